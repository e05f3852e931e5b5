"""Rotating the gateway's secrets in Secrets Manager leaves nothing unverifiable: through the
HTTP API, a login token, an OTP code and its sealed message text from before a rotation still
work after it (a token two rotations old does not), the hosts accept the previous internal
key, and a warm Lambda verifies a token a fresh one signed with the new key."""

from __future__ import annotations

import json
import re

import pytest
import requests
from chalice.test import Client

from chalicelib import bootstrap, resources
from chalicelib.domain import signing
from chalicelib.domain.auth import Role
from chalicelib.settings import Settings
from tests.conftest import (
    ADMIN_PASSWORD,
    RunningHost,
    Tenant,
    assert_error,
    call,
    run_worker,
    wait_for,
)
from tests.secrets_support import by_lambda, create_secrets, rotate, use_secrets_manager

TO = "+14155552671"


@pytest.fixture
def arns(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The gateway's secrets in Secrets Manager, read at every use (each call sees a
    rotation at once, as a cold Lambda would)."""
    arns = create_secrets()
    use_secrets_manager(monkeypatch, arns, SECRETS_CACHE_SECONDS="0")
    return arns


def _me(client: Client, token: str) -> int:
    return int(call(client, "GET", "/v1/auth/me", token).status_code)


def test_a_login_token_outlives_one_rotation_of_the_jwt_key_but_not_two(
        arns: dict[str, str], acme: Tenant, client: Client):
    before = acme.token
    rotate(arns["JWT_SECRET"], by_lambda(client))
    assert _me(client, before) == 200
    between = acme.member().token  # signed with the new key
    assert _me(client, between) == 200
    rotate(arns["JWT_SECRET"], by_lambda(client))
    assert_error(call(client, "GET", "/v1/auth/me", before), 401, "invalid_token")
    assert _me(client, between) == 200


def _post(host: RunningHost, key: str, path: str = "/internal/sessions/start") -> int:
    raw = json.dumps({"tenant_id": "t", "session_id": "s"}).encode()
    return requests.post(host.host.address + path, data=raw, timeout=5,
                         headers=signing.sign(key, "POST", path, raw)).status_code


def test_the_host_accepts_the_previous_internal_key_during_the_overlap_only(
        arns: dict[str, str], acme: Tenant, working: str, host: RunningHost, client: Client):
    keys = bootstrap.container().internal_keys
    first = keys.current()
    assert _post(host, first) == 409  # signed fine; the session just does not exist
    rotate(arns["INTERNAL_SECRET"], by_lambda(client))
    second = keys.current()
    assert second != first
    assert _post(host, first) == 409 and _post(host, second) == 409
    rotate(arns["INTERNAL_SECRET"], by_lambda(client))
    assert _post(host, first) == 401
    assert _post(host, second) == 409 and _post(host, keys.current()) == 409
    sent = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO, "text": "hi"})
    run_worker(resources.OUTBOUND)  # the worker signs with the newest key: the host takes it
    wait_for(lambda: acme.call("GET", f"/v1/messages/{sent.json['id']}").json["status"]
             in ("sent", "delivered", "read"))


def _received_code(host: RunningHost) -> str:
    run_worker(resources.OUTBOUND_HIGH)
    texts = wait_for(lambda: [o.content.text for _, _, o in host.engine.outbox
                              if o.to.user == TO.lstrip("+")])
    return str(re.findall(r"\d{6}", texts[-1])[0])


def test_an_otp_sent_before_a_rotation_of_the_pepper_is_delivered_and_verifies_after_it(
        arns: dict[str, str], acme: Tenant, working: str, host: RunningHost, client: Client):
    sent = acme.call("POST", "/v1/otp", {"to": TO, "session_id": working})
    assert sent.status_code == 201, sent.body
    rotate(arns["OTP_PEPPER"], by_lambda(client))
    # Its text was sealed under the old pepper and waited in the queue: it is still sent.
    code = _received_code(host)
    checked = acme.call("POST", "/v1/otp/verify", {"id": sent.json["id"], "code": code})
    assert checked.json["status"] == "approved" and checked.json["valid"] is True
    after = acme.call("POST", "/v1/otp", {"to": "+14155552672", "session_id": working}).json
    run_worker(resources.OUTBOUND_HIGH)
    texts = wait_for(lambda: [o.content.text for _, _, o in host.engine.outbox
                              if o.to.user == "14155552672"])
    code = re.findall(r"\d{6}", texts[-1])[0]
    assert acme.call("POST", "/v1/otp/verify",
                     {"id": after["id"], "code": code}).json["valid"] is True


def test_a_warm_lambda_verifies_a_token_a_fresh_one_signed_with_the_rotated_key(
        aws: None, monkeypatch: pytest.MonkeyPatch, client: Client):
    """The API's keys are cached for the default 300 s: read before the rotation, they miss
    the new key, read again (the cache is older than the refresh interval) and accept it."""
    arns = create_secrets()
    use_secrets_manager(monkeypatch, arns, SECRETS_REFRESH_MIN_SECONDS="0")
    tenancy = bootstrap.container().tenancy
    tenancy.ensure_tenant("default", "Default")
    tenancy.create_user(None, "default", "admin", ADMIN_PASSWORD, Role.ADMIN)
    old = call(client, "POST", "/v1/auth/login",
               body={"username": "admin", "password": ADMIN_PASSWORD}).json["token"]
    assert _me(client, old) == 200  # the warm keyring holds the first key
    rotate(arns["JWT_SECRET"], by_lambda(client))
    fresh = bootstrap.Container(Settings())  # another Lambda, started after the rotation
    new, _ = fresh.auth.login("admin", ADMIN_PASSWORD)
    assert new != old
    assert _me(client, new) == 200
    assert _me(client, old) == 200
