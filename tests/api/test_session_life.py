"""Pairing by code, live number checks, pacing, dropped connections and logouts from the phone."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import pairwise

from chalicelib import resources
from tests.conftest import Tenant, assert_error, receive, run_worker, wait_for


def _status(tenant: Tenant, sid: str) -> dict:
    return tenant.call("GET", f"/v1/sessions/{sid}").json


def _scanning(tenant: Tenant, **body) -> str:
    sid = tenant.call("POST", "/v1/sessions", {"name": "shop", **body}).json["id"]
    wait_for(lambda: _status(tenant, sid)["status"] == "SCAN_QR")
    return sid


def _working(tenant: Tenant, **body) -> str:
    sid = _scanning(tenant, **body)
    tenant.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550101"})
    return sid


def test_pairing_code_links_the_number_it_was_asked_for(acme: Tenant, host):
    sid = _scanning(acme)
    asked = acme.call("POST", f"/v1/sessions/{sid}/pairing-code", {"phone": "+49 151 12345678"})
    assert asked.status_code == 200, asked.body
    assert asked.json["phone"] == "+4915112345678" and len(asked.json["code"]) == 8
    wrong = acme.call("POST", f"/v1/sandbox/sessions/{sid}/link", {"code": "AAAAAAAA"})
    assert_error(wrong, 409, "wrong_code")
    linked = acme.call("POST", f"/v1/sandbox/sessions/{sid}/link", {"code": asked.json["code"]})
    assert linked.json == {"phone": "+4915112345678", "status": "WORKING"}
    assert _status(acme, sid)["phone"] == "+4915112345678"
    assert_error(acme.call("POST", f"/v1/sessions/{sid}/pairing-code", {"phone": "+4915112345678"}),
                 409, "not_scanning")


def test_pairing_code_needs_a_valid_phone(acme: Tenant, host):
    sid = _scanning(acme)
    error = assert_error(acme.call("POST", f"/v1/sessions/{sid}/pairing-code", {"phone": "12"}),
                         422)
    assert error["details"][0]["field"] == "phone"


def test_check_numbers_asks_the_network(acme: Tenant, host):
    sid = _working(acme)
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
              {"from": "+4915112345678", "text": "hi", "push_name": "Max"})
    result = acme.call("POST", f"/v1/sessions/{sid}/check-numbers",
                       {"phones": ["+4915112345678", "+1 415 555 0000"]})
    assert result.json["results"] == [
        {"phone": "+4915112345678", "on_whatsapp": True, "jid": "4915112345678@s.whatsapp.net",
         "lid": None, "name": "Max"},
        {"phone": "+14155550000", "on_whatsapp": False, "jid": None, "lid": None,
         "name": None}]
    error = assert_error(acme.call("POST", f"/v1/sessions/{sid}/check-numbers",
                                   {"phones": ["+4915112345678", "nope"]}), 422)
    assert error["details"][0]["field"] == "phones[1]"


def test_a_number_not_on_whatsapp_fails_the_message(acme: Tenant, host):
    sid = _working(acme)
    mid = acme.call("POST", "/v1/messages", {"session_id": sid, "to": "+14155550000",
                                             "text": "hello?"}).json["id"]
    run_worker(resources.OUTBOUND)
    message = acme.call("GET", f"/v1/messages/{mid}").json
    assert message["status"] == "failed" and message["error"]["code"] == "not_on_whatsapp"


def test_sends_of_a_session_are_paced(acme: Tenant, host):
    sid = _working(acme, send_interval_ms=300)
    assert _status(acme, sid)["send_interval_ms"] == 300
    ids = [acme.call("POST", "/v1/messages", {"session_id": sid, "to": "+14155552671",
                                              "text": f"n{i}"}).json["id"] for i in range(3)]
    run_worker(resources.OUTBOUND)
    sent = sorted(datetime.fromisoformat(acme.call("GET", f"/v1/messages/{m}").json[
        "timestamps"]["sent"].replace("Z", "+00:00")) for m in ids)
    gaps = [(b - a).total_seconds() for a, b in pairwise(sent)]
    assert all(gap >= 0.24 for gap in gaps), gaps  # 300 ms minus the 20% jitter


def test_patch_changes_name_and_pacing_and_validates(acme: Tenant):
    sid = acme.call("POST", "/v1/sessions", {"name": "a", "start": False}).json["id"]
    patched = acme.call("PATCH", f"/v1/sessions/{sid}", {"name": "b", "send_interval_ms": 2000})
    assert patched.json["name"] == "b" and patched.json["send_interval_ms"] == 2000
    reset = acme.call("PATCH", f"/v1/sessions/{sid}", {"send_interval_ms": None})
    assert reset.json["send_interval_ms"] is None and reset.json["name"] == "b"
    error = assert_error(acme.call("PATCH", f"/v1/sessions/{sid}", {"send_interval_ms": -1}), 422)
    assert error["details"][0]["field"] == "send_interval_ms"
    assert_error(acme.call("PATCH", "/v1/sessions/01HZZZZZZZZZZZZZZZZZZZZZZZ", {"name": "x"}),
                 404)


def test_a_dropped_connection_reconnects_by_itself(acme: Tenant, host):
    sid = _working(acme)
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/drop", {"refuse_reconnects": 2})
    wait_for(lambda: _status(acme, sid)["status"] == "WORKING")
    assert _status(acme, sid)["reason"] is None
    statuses = [json.loads(m["Body"])["data"]["status"] for m in receive(resources.EVENT_QUEUE)
                if json.loads(m["Body"])["type"] == "session.status"]
    # One STARTING for the whole outage, not one per attempt: no webhook floods.
    assert statuses == ["SCAN_QR", "WORKING", "STARTING", "WORKING"]


def test_too_many_failed_reconnects_end_in_failed_with_the_reason(acme: Tenant, host):
    sid = _working(acme)
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/drop", {"refuse_reconnects": 10})
    session = wait_for(lambda: (s := _status(acme, sid))["status"] == "FAILED" and s)
    assert session["reason"].startswith("reconnect_failed: connection_refused")
    assert host.host.session_count == 0


def test_logout_from_the_phone_stops_the_session_and_forgets_the_pairing(acme: Tenant, host):
    sid = _working(acme)
    dropped = acme.call("POST", f"/v1/sandbox/sessions/{sid}/drop", {"logged_out": True})
    assert dropped.json["status"] == "STOPPED"
    session = _status(acme, sid)
    assert session["reason"] == "logged_out" and session["phone"] is None
    acme.call("POST", f"/v1/sessions/{sid}/start", {})
    wait_for(lambda: _status(acme, sid)["status"] == "SCAN_QR")  # a new pairing is needed
