"""Sends go only to sessions that can send: refused at once otherwise, queued while the
session works or reconnects, and never early when scheduled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import app as wagate
from chalicelib import resources
from chalicelib.bootstrap import container
from tests.conftest import (
    Tenant,
    assert_error,
    receive,
    run_worker,
    start_host,
    wait_for,
)
from tests.workers.test_workers import invoke, record

TO = "+14155552671"


def _status(tenant: Tenant, sid: str) -> dict:
    return tenant.call("GET", f"/v1/sessions/{sid}").json


def _paired(tenant: Tenant, name: str = "shop") -> str:
    sid = tenant.call("POST", "/v1/sessions", {"name": name}).json["id"]
    wait_for(lambda: _status(tenant, sid)["status"] == "SCAN_QR")
    tenant.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {})
    return sid


def _stopped(tenant: Tenant) -> str:
    return tenant.call("POST", "/v1/sessions", {"name": "off", "start": False}).json["id"]


def _never_paired(tenant: Tenant) -> str:
    sid = tenant.call("POST", "/v1/sessions", {"name": "new"}).json["id"]
    wait_for(lambda: _status(tenant, sid)["status"] == "SCAN_QR")
    return sid


def _failed(tenant: Tenant) -> str:
    sid = _paired(tenant)
    tenant.call("POST", f"/v1/sandbox/sessions/{sid}/drop", {"refuse_reconnects": 10})
    wait_for(lambda: _status(tenant, sid)["status"] == "FAILED")
    return sid


def _logged_out(tenant: Tenant) -> str:
    sid = _paired(tenant)
    tenant.call("POST", f"/v1/sandbox/sessions/{sid}/drop", {"logged_out": True})
    return sid


@pytest.mark.parametrize(("make", "reason"), [
    (_stopped, "session_stopped"), (_never_paired, "session_not_paired"),
    (_failed, "session_failed"), (_logged_out, "session_logged_out")])
def test_a_session_that_cannot_send_refuses_messages_at_once(acme: Tenant, host, make,
                                                             reason: str):
    sid = make(acme)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for extra in ({}, {"schedule_at": later}):  # scheduled sends too: checked now, and when due
        error = assert_error(acme.call("POST", "/v1/messages", {
            "session_id": sid, "to": TO, "text": "hi", **extra}), 409, "session_not_ready")
        assert error["details"][0]["reason"] == reason
        assert error["details"][0]["status"] == _status(acme, sid)["status"]
    assert acme.call("GET", "/v1/messages").json["items"] == []  # nothing half-accepted
    assert receive(resources.OUTBOUND) == []


def test_forwarding_to_a_session_that_cannot_send_is_refused(acme: Tenant, host):
    sid = _paired(acme)
    sent = acme.call("POST", "/v1/messages", {"session_id": sid, "to": TO, "text": "hi"}).json
    run_worker(resources.OUTBOUND)
    wait_for(lambda: acme.call("GET", f"/v1/messages/{sent['id']}").json["status"] == "read")
    assert_error(acme.call("POST", f"/v1/messages/{sent['id']}/forward",
                           {"to": TO, "session_id": _stopped(acme)}), 409, "session_not_ready")


def test_a_session_that_stops_after_accepting_fails_its_queued_messages(acme: Tenant, host):
    sid = _paired(acme)
    mid = acme.call("POST", "/v1/messages", {"session_id": sid, "to": TO, "text": "hi"}).json["id"]
    acme.call("POST", f"/v1/sessions/{sid}/stop", {})
    run_worker(resources.OUTBOUND)
    failed = acme.call("GET", f"/v1/messages/{mid}").json
    assert failed["status"] == "failed" and failed["error"]["code"] == "session_stopped"
    assert host.engine.outbox == []


def test_a_reconnecting_session_takes_messages_and_sends_them_when_back(acme: Tenant,
                                                                        tmp_path: Path):
    first = start_host(tmp_path / "state", "host-a")
    sid = _paired(acme)
    acme.call("POST", f"/v1/sessions/{sid}/stop", {})  # keeps its pairing
    first.host.kill()
    first.stop()
    acme.call("POST", f"/v1/sessions/{sid}/start", {})  # no host can take it yet
    assert _status(acme, sid)["status"] == "STARTING" and _status(acme, sid)["phone"]
    accepted = acme.call("POST", "/v1/messages", {"session_id": sid, "to": TO, "text": "hi"})
    assert accepted.status_code == 202, accepted.body
    mid = accepted.json["id"]
    run_worker(resources.OUTBOUND)  # no host: back to the queue, tried again soon
    assert acme.call("GET", f"/v1/messages/{mid}").json["status"] == "queued"
    second = start_host(tmp_path / "state", "host-b", background=True)
    try:
        def sent() -> dict | None:
            run_worker(resources.OUTBOUND)
            message = acme.call("GET", f"/v1/messages/{mid}").json
            return message if message["status"] == "read" else None

        message = wait_for(sent, timeout=20, interval=0.3)
        assert len(second.engine.outbox) == 1
        stamps = message["timestamps"]
        # A requeue leaves no "queued" later than "sending": times only go forward.
        assert stamps["queued"] <= stamps["sending"] <= stamps["sent"] <= stamps["read"]
        moments = [h["at"] for h in message["history"]]
        assert moments == sorted(moments)
        assert [h["status"] for h in message["history"]][:4] == \
            ["queued", "sending", "queued", "sending"]
    finally:
        second.host.kill()
        second.stop()


# --- schedule_at is never early ---

class Lanes:
    """Records what the service puts on the normal lane instead of sending it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[tuple[dict, int]] = []
        lane = container().lanes["normal"]
        monkeypatch.setattr(lane, "send", lambda body, delay_seconds=0:
                            self.sent.append((body, delay_seconds)))


def test_a_delay_is_rounded_up_never_down(acme: Tenant, working: str, monkeypatch):
    lanes = Lanes(monkeypatch)
    at = datetime.now(UTC) + timedelta(seconds=1.6)
    accepted = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO, "text": "hi",
                                                  "schedule_at": at.isoformat()})
    assert accepted.json["status"] == "scheduled"
    ((body, delay),) = lanes.sent
    assert body["message_id"] == accepted.json["id"]
    assert delay == 2  # 1.6 s rounded up: the record is never visible before its time


def test_a_record_that_arrives_early_waits_again(acme: Tenant, working: str, host, monkeypatch):
    at = datetime.now(UTC) + timedelta(milliseconds=900)
    mid = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO, "text": "hi",
                                             "schedule_at": at.isoformat()}).json["id"]
    lanes = Lanes(monkeypatch)
    # The record shows up early (a scheduler firing on the second before, a clock a bit
    # ahead): the worker puts it back for the rest of the wait instead of sending it.
    assert invoke(wagate.send_worker, record({"tenant_id": acme.id, "message_id": mid})) == \
        {"batchItemFailures": []}
    assert acme.call("GET", f"/v1/messages/{mid}").json["status"] == "scheduled"
    assert host.engine.outbox == []
    ((body, delay),) = lanes.sent
    assert body == {"tenant_id": acme.id, "message_id": mid} and delay == 1
