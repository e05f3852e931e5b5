"""The rotation function of the gateway's secrets, driven by Lambda-shaped events (the four
steps Secrets Manager sends), on moto's Secrets Manager."""

from __future__ import annotations

import string
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters import aws as aws_clients
from chalicelib.workers.rotation import RotationRefused
from tests.secrets_support import by_lambda, create_secrets, rotate, value

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def _stages(secret_id: str) -> dict[str, list[str]]:
    meta = aws_clients.client("secretsmanager").describe_secret(SecretId=secret_id)
    return {v: sorted(labels) for v, labels in meta["VersionIdsToStages"].items() if labels}


def _staged(secret_id: str) -> list[dict[str, Any]]:
    """Start a rotation as Secrets Manager does (the new version staged AWSPENDING), without
    running any step: the four events it would send."""
    events: list[dict[str, Any]] = []
    rotate(secret_id, events.append)
    return events


@pytest.fixture
def jwt_secret(client: Client) -> str:
    return create_secrets()["JWT_SECRET"]


def test_the_four_steps_make_a_new_random_value_current_and_keep_the_old_as_previous(
        client: Client, jwt_secret: str):
    first = value(jwt_secret)
    events = _staged(jwt_secret)
    assert [e["Step"] for e in events] == list(STEPS)
    token = events[0]["ClientRequestToken"]
    assert len({(e["SecretId"], e["ClientRequestToken"]) for e in events}) == 1
    assert value(jwt_secret) == first  # nothing moved before the function ran

    for event in events:
        answer = client.lambda_.invoke("rotate_secret", event).payload
        assert answer["done"] == "ok"
        if event["Step"] == "createSecret":
            pending = value(jwt_secret, "AWSPENDING")
            assert len(pending) == 64 and set(pending) <= set(string.ascii_letters + string.digits)
            assert value(jwt_secret) == first  # still current until finishSecret

    assert value(jwt_secret) == pending
    assert value(jwt_secret, "AWSPREVIOUS") == first
    assert _stages(jwt_secret)[token] == ["AWSCURRENT"]  # AWSPENDING dropped at the end


def test_every_step_repeated_changes_nothing(client: Client, jwt_secret: str):
    events = _staged(jwt_secret)
    for event in events:
        client.lambda_.invoke("rotate_secret", event)
        before = (_stages(jwt_secret), value(jwt_secret, "AWSPENDING")
                  if event["Step"] != "finishSecret" else value(jwt_secret))
        client.lambda_.invoke("rotate_secret", event)  # Secrets Manager retried the step
        after = (_stages(jwt_secret), value(jwt_secret, "AWSPENDING")
                 if event["Step"] != "finishSecret" else value(jwt_secret))
        assert after == before
    current = value(jwt_secret)
    for event in events:  # the whole rotation again, once it is done
        assert client.lambda_.invoke("rotate_secret", event).payload["done"] == "already current"
    assert value(jwt_secret) == current


def test_two_rotations_through_rotate_secret_shift_current_to_previous(client: Client,
                                                                       jwt_secret: str):
    first = value(jwt_secret)
    rotate(jwt_secret, by_lambda(client))
    second = value(jwt_secret)
    rotate(jwt_secret, by_lambda(client))
    assert len({first, second, value(jwt_secret)}) == 3
    assert value(jwt_secret, "AWSPREVIOUS") == second
    assert sorted(map(tuple, _stages(jwt_secret).values())) == [("AWSCURRENT",),
                                                                ("AWSPREVIOUS",)]


def test_a_secret_whose_rotation_is_not_enabled_is_refused(client: Client, jwt_secret: str):
    events = _staged(jwt_secret)
    unrotated = aws_clients.client("secretsmanager").create_secret(
        Name="not-rotated", SecretString="a-value")["ARN"]
    with pytest.raises(RotationRefused, match="not enabled"):
        client.lambda_.invoke("rotate_secret", {**events[0], "SecretId": unrotated})
    assert value(unrotated) == "a-value" and len(_stages(unrotated)) == 1


@pytest.mark.parametrize("token", ["no-such-version-0000000000000000000", "previous"])
def test_a_token_not_staged_pending_is_refused(client: Client, jwt_secret: str, token: str):
    rotate(jwt_secret, by_lambda(client))
    previous = next(v for v, labels in _stages(jwt_secret).items() if "AWSPREVIOUS" in labels)
    events = _staged(jwt_secret)
    before = _stages(jwt_secret)
    for event in events:
        with pytest.raises(RotationRefused):
            client.lambda_.invoke("rotate_secret", {
                **event, "ClientRequestToken": previous if token == "previous" else token})
    assert _stages(jwt_secret) == before


def test_an_event_without_its_keys_or_with_an_unknown_step_is_refused(client: Client,
                                                                      jwt_secret: str):
    event = _staged(jwt_secret)[0]
    with pytest.raises(RotationRefused, match="no Step"):
        client.lambda_.invoke("rotate_secret", {k: v for k, v in event.items() if k != "Step"})
    with pytest.raises(RotationRefused, match="unknown rotation step"):
        client.lambda_.invoke("rotate_secret", {**event, "Step": "dropSecret"})
