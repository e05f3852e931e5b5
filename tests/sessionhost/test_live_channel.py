"""The typed live channel: one route on the host, one guard, engines that answer what they can
(501 naming the engine for the rest), and a bound below API Gateway's 29 s (a 504 in our error
shape, never the gateway's own)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib import bootstrap
from chalicelib.domain import signing
from chalicelib.domain.jids import Jid
from chalicelib.domain.live import LIVE_TIMEOUT_S, Done, LiveOp, operations
from chalicelib.domain.live.contacts import CheckNumbers, NumbersChecked
from chalicelib.sessionhost.engines.base import (
    EngineBase,
    EngineError,
    EngineListener,
    EngineSession,
    Outbound,
)
from tests.conftest import RunningHost, Tenant, assert_error, wait_for

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+14155552671"


def _internal(host: RunningHost, body: dict[str, Any]) -> requests.Response:
    """A signed request to the host's one live route, as the fleet client sends it."""
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json",
               **signing.sign(bootstrap.container().internal_keys.current(), "POST",
                              "/internal/live", raw)}
    return requests.post(f"{host.host.address}/internal/live", data=raw, headers=headers,
                         timeout=10)


def test_an_operation_the_engine_cannot_do_is_501_naming_the_engine(
        acme: Tenant, host: RunningHost, working: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host.engine, "contacts_check", None)  # as an engine without it
    error = assert_error(acme.call("POST", f"/v1/sessions/{working}/check-numbers",
                                   {"phones": [PHONE]}), 501)
    assert error["code"] == "not_supported"
    assert "contacts.check" in error["message"] and "sandbox" in error["message"]


def test_a_live_call_that_outlasts_its_bound_is_a_504_in_our_shape(
        acme: Tenant, host: RunningHost, working: str, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck(session: EngineSession, op: CheckNumbers) -> NumbersChecked:
        release.wait(5)
        return NumbersChecked(results=[])

    monkeypatch.setattr(host.engine, "contacts_check", stuck)
    monkeypatch.setattr("chalicelib.adapters.fleet.LIVE_TIMEOUT_S", 0.5)
    try:
        error = assert_error(acme.call("POST", f"/v1/sessions/{working}/check-numbers",
                                       {"phones": [PHONE]}), 504)
        assert error["code"] == "outcome_unknown"
    finally:
        release.set()


def test_the_bound_is_below_api_gateway_and_the_api_lambda() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert LIVE_TIMEOUT_S < 29
    for stage in config["stages"].values():
        assert stage["lambda_timeout"] > LIVE_TIMEOUT_S + 2  # + the connect timeout


def test_the_host_refuses_an_operation_it_does_not_know_with_501(
        acme: Tenant, host: RunningHost, working: str) -> None:
    answer = _internal(host, {"tenant_id": acme.id, "session_id": working,
                              "op": "contacts.teleport", "args": {}})
    assert answer.status_code == 501
    assert answer.json()["error"]["code"] == "not_supported"


def test_the_host_refuses_bad_arguments_naming_the_field(
        acme: Tenant, host: RunningHost, working: str) -> None:
    answer = _internal(host, {"tenant_id": acme.id, "session_id": working,
                              "op": "contacts.check", "args": {"phones": []}})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["field"] == "phones"


def test_the_one_guard_holds_on_the_host_whatever_the_api_believed(
        acme: Tenant, host: RunningHost) -> None:
    """A session the host holds but that is not WORKING: 409 session_not_ready from the host
    itself; one it does not hold: not_owner (the fleet client then looks again)."""
    sid = acme.call("POST", "/v1/sessions", {"name": "pairing"}).json["id"]
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    live = {"op": "contacts.check", "args": {"phones": [PHONE]}}
    not_ready = _internal(host, {"tenant_id": acme.id, "session_id": sid, **live})
    assert (not_ready.status_code, not_ready.json()["error"]["code"]) == (409,
                                                                          "session_not_ready")
    elsewhere = _internal(host, {"tenant_id": acme.id, "session_id": "01NOTHELDHERE", **live})
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (409, "not_owner")


def test_every_operation_names_an_engine_method_and_answers_a_result() -> None:
    ops = operations()
    assert {"contacts.check", "sessions.pairing_code", "messages.edit"} <= set(ops)
    for name, op in ops.items():
        assert name == op.OP and op.handler().isidentifier()


def test_an_engine_implements_only_what_it_can() -> None:
    class Tiny(EngineBase):
        """Connects to nothing; of the live operations, it can only star."""

        name = "tiny"

        def start(self, session: EngineSession, listener: EngineListener) -> None:
            return None

        def stop(self, session: EngineSession) -> None:
            return None

        def logout(self, session: EngineSession) -> None:
            return None

        def send(self, session: EngineSession, outbound: Outbound,
                 message_id: str | None = None) -> str:
            return "3EB0TINY"

        def typing(self, session: EngineSession, chat: Jid, duration_ms: int) -> None:
            return None

        def messages_star(self, session: EngineSession, op: LiveOp) -> Done:
            return Done()

    from chalicelib.domain.live.messages import StarMessage

    session = EngineSession("t", "s", Path("/nonexistent"))
    star = StarMessage(chat="1@s.whatsapp.net", engine_message_id="X", from_me=True)
    assert Tiny().live(session, star) == Done()
    with pytest.raises(EngineError) as refused:
        Tiny().live(session, CheckNumbers(phones=[PHONE]))
    with pytest.raises(TypeError):  # what every engine must do is not optional
        type("Half", (EngineBase,), {"name": "half"})()
    assert (refused.value.code, refused.value.status) == ("not_supported", 501)
    assert "tiny" in refused.value.message
