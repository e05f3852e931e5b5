"""Secrets Manager in tests: the gateway's three secrets in moto, rotations run the way
Secrets Manager runs them (``RotateSecret`` stages a new version AWSPENDING and calls the
rotation function once per step), and a client wrapper that counts reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from chalice.test import Client
from moto.awslambda.models import LambdaBackend

from chalicelib import bootstrap
from chalicelib.adapters import aws as aws_clients

ROTATION_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:wagate-test-rotate_secret"
SECRETS = ("JWT_SECRET", "INTERNAL_SECRET", "OTP_PEPPER")


def create_secrets() -> dict[str, str]:
    """The three secrets in Secrets Manager with a first value each: name -> ARN."""
    sm = aws_clients.client("secretsmanager")
    return {name: sm.create_secret(Name=f"wagate-test/{name.lower()}",
                                   SecretString=f"first-{name.lower()}-value-0123456789")["ARN"]
            for name in SECRETS}


def use_secrets_manager(monkeypatch: pytest.MonkeyPatch, arns: dict[str, str],
                        **settings: str) -> None:
    """The gateway reads its secrets from Secrets Manager from now on (``settings``: more
    WAGATE_* values, e.g. SECRETS_CACHE_SECONDS)."""
    for name, arn in arns.items():
        monkeypatch.setenv(f"WAGATE_{name}", "")
        monkeypatch.setenv(f"WAGATE_{name}_ARN", arn)
    for name, value in settings.items():
        monkeypatch.setenv(f"WAGATE_{name}", value)
    bootstrap.reset()


def rotate(secret_id: str, function: Callable[[dict[str, Any]], Any]) -> str:
    """``aws secretsmanager rotate-secret`` with ``function`` as the rotation function
    (moto stages the new version and calls it with the four steps); the new version's id."""

    def invoke(self: LambdaBackend, function_name: str, qualifier: str | None, body: str,
               headers: Any, response_headers: Any) -> bytes:
        assert function_name == ROTATION_FUNCTION_ARN
        function(json.loads(body))
        return b""

    with mock.patch.object(LambdaBackend, "get_function", lambda *args, **kwargs: None), \
            mock.patch.object(LambdaBackend, "invoke", invoke):
        answer = aws_clients.client("secretsmanager").rotate_secret(
            SecretId=secret_id, RotationLambdaARN=ROTATION_FUNCTION_ARN,
            RotationRules={"AutomaticallyAfterDays": 30})
    return str(answer["VersionId"])


def by_lambda(client: Client) -> Callable[[dict[str, Any]], Any]:
    """The app's own rotation function, invoked as Lambda invokes it."""
    return lambda event: client.lambda_.invoke("rotate_secret", event).payload


def value(secret_id: str, stage: str = "AWSCURRENT") -> str:
    return str(aws_clients.client("secretsmanager").get_secret_value(
        SecretId=secret_id, VersionStage=stage)["SecretString"])


class CountingClient:
    """A Secrets Manager client that counts its ``get_secret_value`` calls."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.reads = 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.reads += 1
        return self._client.get_secret_value(**kwargs)
