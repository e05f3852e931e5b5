"""The deployment's bootstrap: ``create_admin`` (invoked by the operator with AWS credentials)
makes the first platform administrator, who then logs in over the API; it refuses a second
time, and bad input changes nothing."""

from __future__ import annotations

from typing import Any

import app as app_module
from chalicelib.devstack.runtime import LambdaContext
from tests.conftest import call


def _invoke(payload: dict[str, Any]) -> dict[str, Any]:
    return app_module.create_admin(payload, LambdaContext("wagate-test-create_admin"))


def test_the_first_admin_is_made_once_and_logs_in(client: Any) -> None:
    made = _invoke({"username": "Root", "password": "a-long-enough-password"})
    assert made["username"] == "root" and made["tenant_id"] == "default"
    login = call(client, "POST", "/v1/auth/login",
                 body={"username": "root", "password": "a-long-enough-password"})
    assert login.status_code == 200
    me = call(client, "GET", "/v1/auth/me", login.json["token"]).json
    assert me["role"] == "admin" and me["tenant_id"] == "default"
    again = _invoke({"username": "other", "password": "a-long-enough-password"})
    assert again["error"]["code"] == "admin_exists"
    assert call(client, "POST", "/v1/auth/login",
                body={"username": "other", "password": "a-long-enough-password"}
                ).status_code == 401


def test_bad_input_makes_no_admin(client: Any) -> None:
    assert _invoke({"username": "root"})["error"]["code"] == "invalid_request"
    assert _invoke({"username": "root", "password": 123})["error"]["code"] == "invalid_request"
    short = _invoke({"username": "root", "password": "short"})
    assert "error" in short
    made = _invoke({"username": "root", "password": "a-long-enough-password"})
    assert made["username"] == "root"  # the refusals above left the platform empty
