"""Honest liveness: each session's health in the API, the host's self-check, and a session
that is connected but deaf, found and reconnected."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib import resources
from chalicelib.bootstrap import container
from chalicelib.domain.live.liveness import SelfCheck
from chalicelib.sessionhost.engines.base import EngineSession
from chalicelib.sessionhost.liveness import DEAF_REASON
from tests.conftest import RunningHost, Tenant, assert_error, run_worker, wait_for

FRIEND = "+4915112345678"


def _health(tenant: Tenant, sid: str) -> dict[str, Any]:
    return tenant.call("GET", f"/v1/sessions/{sid}").json["health"]


def _statuses(tenant: Tenant, sid: str) -> list[dict[str, Any]]:
    run_worker(resources.EVENT_QUEUE)
    return [e["data"] for e in tenant.call(
        "GET", f"/v1/events?session_id={sid}&types=session.status&limit=100").json["items"]]


def _inbound_texts(tenant: Tenant, sid: str) -> list[str]:
    return [m["text"] for m in tenant.call(
        "GET", f"/v1/messages?session_id={sid}").json["items"] if m["direction"] == "inbound"]


def test_health_is_shown_in_the_session_and_the_list(acme: Tenant, working: str, host):
    health = wait_for(lambda: (h := _health(acme, working))["last_event_at"] and h)
    assert health["connected"] is True and health["last_check_at"] is None
    assert health["last_check_error"] is None
    listed = acme.call("GET", "/v1/sessions").json["items"]
    assert listed[0]["health"]["connected"] is True

    host.host.self_check(force=True)
    checked = wait_for(lambda: (h := _health(acme, working))["last_check_at"] and h)
    assert checked["connected"] is True and checked["last_check_error"] is None


def test_a_stopped_session_is_not_connected(acme: Tenant, working: str, host):
    acme.call("POST", f"/v1/sessions/{working}/stop")
    assert _health(acme, working)["connected"] is False


def test_a_deaf_session_is_reconnected_and_hears_again(acme: Tenant, working: str, host):
    played = acme.call("POST", f"/v1/sandbox/sessions/{working}/deaf", {"deaf": True})
    assert played.json == {"status": "WORKING"}
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": FRIEND, "text": "anyone there?"})
    host.host.flush()
    assert _inbound_texts(acme, working) == []  # deaf: nothing arrives
    assert acme.call("GET", f"/v1/sessions/{working}").json["status"] == "WORKING"

    host.host.self_check(force=True)
    wait_for(lambda: _inbound_texts(acme, working) == ["anyone there?"])
    session = wait_for(lambda: (s := acme.call("GET", f"/v1/sessions/{working}").json)[
        "status"] == "WORKING" and s)
    assert session["health"]["last_check_error"] == "no_answer: the connection did not answer"
    statuses = _statuses(acme, working)
    assert {"status": "STARTING", "reason": f"reconnecting: {DEAF_REASON} (attempt 1)",
            "phone": "+14155550100"} in statuses
    assert statuses[-1]["status"] == "WORKING"

    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound", {"from": FRIEND, "text": "hi"})
    wait_for(lambda: "hi" in _inbound_texts(acme, working))
    host.host.self_check(force=True)
    wait_for(lambda: _health(acme, working)["last_check_error"] is None)


def test_a_self_check_that_never_answers_counts_as_deaf(acme: Tenant, working: str,
                                                        host: RunningHost, monkeypatch):
    answer = threading.Event()

    def hangs(session: EngineSession, op: SelfCheck) -> Any:
        answer.wait(10)
        raise AssertionError("answered too late to count")

    monkeypatch.setattr(host.engine, "sessions_self_check", hangs)
    host.host._check_timeout_s = 0  # the next sweep finds it past its time
    host.host.self_check(force=True)
    host.host.self_check()
    session = wait_for(lambda: (s := acme.call("GET", f"/v1/sessions/{working}").json)[
        "health"]["last_check_error"] and s)
    assert session["health"]["last_check_error"] == "no answer within 0 s"
    answer.set()
    assert any(s["reason"] == f"reconnecting: {DEAF_REASON} (attempt 1)"
               for s in _statuses(acme, working))


def test_deaf_is_sandbox_only_and_needs_the_sandbox_api(acme: Tenant, working: str, host,
                                                        monkeypatch):
    from chalicelib import bootstrap

    error = assert_error(acme.call("POST", f"/v1/sandbox/sessions/{working}/deaf",
                                   {"deaf": "loud"}), 422)
    assert error["details"][0]["field"] == "deaf"
    monkeypatch.setattr(bootstrap.container().settings, "enable_sandbox_api", False)
    assert_error(acme.call("POST", f"/v1/sandbox/sessions/{working}/deaf", {}), 404,
                 "sandbox_disabled")


def test_hearing_after_deafness_is_switched_off(acme: Tenant, working: str, host):
    acme.call("POST", f"/v1/sandbox/sessions/{working}/deaf", {"deaf": True})
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound", {"from": FRIEND, "text": "1"})
    acme.call("POST", f"/v1/sandbox/sessions/{working}/deaf", {"deaf": False})
    wait_for(lambda: _inbound_texts(acme, working) == ["1"])


def test_checks_that_keep_succeeding_are_written_once_in_a_while(
        acme: Tenant, working: str, host: RunningHost) -> None:
    """A check a minute would be a write a minute per session: while checks succeed,
    last_check_at is written at most once per CHECK_WRITE_S (a failure is written at once)."""
    host.host.self_check(force=True)
    first = wait_for(lambda: _health(acme, working)["last_check_at"])
    for _ in range(3):
        host.host.self_check(force=True)
        wait_for(lambda: not host.host._pending)
        host.host.flush()
    assert _health(acme, working)["last_check_at"] == first


def test_the_host_reports_its_deaf_sessions_in_the_registry_until_one_answers(
        acme: Tenant, working: str, host):
    registry = container().hosts
    acme.call("POST", f"/v1/sandbox/sessions/{working}/deaf", {"deaf": True})
    host.host.self_check(force=True)
    wait_for(lambda: _health(acme, working)["last_check_error"] is not None)
    host.host.heartbeat()
    assert registry.get(host.host.host_id).deaf == 1
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{working}").json["status"] == "WORKING")
    host.host.self_check(force=True)
    wait_for(lambda: _health(acme, working)["last_check_error"] is None)
    host.host.heartbeat()
    assert registry.get(host.host.host_id).deaf == 0
