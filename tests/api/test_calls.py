"""Incoming calls on the sandbox: call.received, and the session setting that rejects calls
with an optional text reply (once per call)."""

from __future__ import annotations

from typing import Any

from chalicelib import resources
from tests.conftest import Tenant, assert_error, run_worker, wait_for

ANA, ANA_JID = "+4915112345678", "4915112345678@s.whatsapp.net"


def _calls(tenant: Tenant) -> list[dict[str, Any]]:
    run_worker(resources.EVENT_QUEUE)
    return [e["data"] for e in tenant.call("GET", "/v1/events?types=call.*").json["items"]]


def _ring(tenant: Tenant, sid: str, **body: Any) -> str:
    played = tenant.call("POST", f"/v1/sandbox/sessions/{sid}/call", {"from": ANA, **body})
    assert played.status_code == 200, played.body
    return played.json["call_id"]


def test_a_call_rings_by_default(acme: Tenant, working: str, host: Any):
    assert acme.call("GET", f"/v1/sessions/{working}").json["calls"] == {
        "reject": False, "reply_text": None}
    call_id = _ring(acme, working, video=True)
    (event,) = _calls(acme)
    assert event == {"call_id": call_id, "from": ANA_JID, "from_phone": ANA, "video": True,
                     "group": False, "group_id": None, "rejected": False, "at": event["at"]}
    assert not [a for a in host.engine.actions if a[1] == "reject_call"]


def test_calls_are_rejected_with_one_reply_each(acme: Tenant, working: str, host: Any):
    patched = acme.call("PATCH", f"/v1/sessions/{working}",
                        {"calls": {"reject": True, "reply_text": "Please write instead."}})
    assert patched.status_code == 200, patched.body
    assert patched.json["calls"] == {"reject": True, "reply_text": "Please write instead."}
    assert acme.call("GET", f"/v1/sessions/{working}").json["calls"] == patched.json["calls"]

    first, second = _ring(acme, working), _ring(acme, working, group_id="120363000000000009@g.us")
    events = _calls(acme)
    assert [(e["call_id"], e["rejected"], e["group"]) for e in events] == [
        (first, True, False), (second, True, True)]
    assert [a[2:] for a in host.engine.actions if a[1] == "reject_call"] == [
        (first, ANA_JID), (second, ANA_JID)]
    replies = wait_for(lambda: len([o for o in host.engine.outbox if o[0] == working]) == 2
                       and [o for o in host.engine.outbox if o[0] == working])
    assert {(str(o.to), o.content.text) for _, _, o in replies} == {
        (ANA_JID, "Please write instead.")}

    acme.call("PATCH", f"/v1/sessions/{working}", {"calls": {"reject": True}})
    _ring(acme, working)
    assert _calls(acme)[-1]["rejected"] is True
    assert len([o for o in host.engine.outbox if o[0] == working]) == 2  # no reply text now

    back = acme.call("PATCH", f"/v1/sessions/{working}", {"calls": None}).json
    assert back["calls"] == {"reject": False, "reply_text": None}
    _ring(acme, working)
    assert _calls(acme)[-1]["rejected"] is False


def test_the_calls_setting_is_bounded(acme: Tenant, working: str):
    error = assert_error(acme.call("PATCH", f"/v1/sessions/{working}",
                                   {"calls": {"reject": True, "reply_text": "x" * 1025}}), 422)
    assert error["details"][0]["field"] == "calls.reply_text"
    assert_error(acme.call("PATCH", f"/v1/sessions/{working}", {"calls": {"ring": 1}}), 422)
    assert acme.call("GET", f"/v1/sessions/{working}").json["calls"]["reject"] is False


def test_a_call_needs_a_phone_and_a_working_session(acme: Tenant, working: str):
    error = assert_error(acme.call("POST", f"/v1/sandbox/sessions/{working}/call",
                                   {"from": "120363000000000001@g.us"}), 422)
    assert error["details"][0]["field"] == "from"
    acme.call("POST", f"/v1/sessions/{working}/stop")
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{working}").json["status"] == "STOPPED")
    assert_error(acme.call("POST", f"/v1/sandbox/sessions/{working}/call", {"from": ANA}), 503,
                 "session_unavailable")  # no host holds a stopped session


def test_a_call_reported_twice_is_handled_once(acme: Tenant, working: str, host: Any):
    from datetime import UTC, datetime

    from chalicelib.domain.live.calls import CallReceived

    acme.call("PATCH", f"/v1/sessions/{working}", {"calls": {"reject": True,
                                                             "reply_text": "Later!"}})
    listener = host.engine._connections[(acme.id, working)].listener
    offer = CallReceived(call_id="CA11", caller=ANA_JID, caller_phone=ANA, at=datetime.now(UTC))
    listener.on_update(offer)
    listener.on_update(offer)  # e.g. an offer and its notice for the same call
    host.host.flush()
    assert [e["call_id"] for e in _calls(acme)] == ["CA11"]
    wait_for(lambda: [o for o in host.engine.outbox if o[0] == working])
    assert len([a for a in host.engine.actions if a[1] == "reject_call"]) == 1
    assert len([o for o in host.engine.outbox if o[0] == working]) == 1
