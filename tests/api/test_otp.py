"""Verification codes over the HTTP API: send and resend, verify, lock, expiry, cancel,
limits, settings, the code's message, otp.* events, and isolation."""

from __future__ import annotations

import json
import re

import pytest

from chalicelib import resources
from tests.conftest import Tenant, assert_error, receive, run_worker, wait_for

TO = "+14155552671"
OTHER = "+14155552672"



def _send(tenant: Tenant, session_id: str | None, to: str = TO, **fields: object) -> dict:
    body = {"to": to, **fields}
    if session_id:
        body["session_id"] = session_id
    sent = tenant.call("POST", "/v1/otp", body)
    assert sent.status_code == 201, sent.body
    return sent.json


def _code(host, to: str = TO) -> str:
    """The code the phone ``to`` received last (the sandbox engine's outbox)."""
    run_worker(resources.OUTBOUND_HIGH)
    chat = to.lstrip("+")
    texts = wait_for(lambda: [o.content.text for _, _, o in host.engine.outbox
                              if o.to.user == chat])
    return re.findall(r"\d{4,10}", texts[-1])[0]


def _verify(tenant: Tenant, code: str, otp_id: str | None = None, to: str | None = None) -> dict:
    body = {"code": code, **({"id": otp_id} if otp_id else {}), **({"to": to} if to else {})}
    checked = tenant.call("POST", "/v1/otp/verify", body)
    assert checked.status_code == 200, checked.body
    return checked.json


def _events(tenant: Tenant, types: str = "otp.*") -> list[dict]:
    run_worker(resources.EVENT_QUEUE)
    return tenant.call("GET", f"/v1/events?types={types}&limit=100").json["items"]


def _wrong(code: str) -> str:
    return str((int(code) + 1) % 10 ** len(code)).zfill(len(code))


def test_a_code_sent_verifies_once(acme: Tenant, working: str, host):
    sent = _send(acme, working)
    assert sent["status"] == "pending" and sent["to"] == TO and sent["attempts_left"] == 5
    assert set(sent) >= {"id", "expires_at", "resend_available_at"}
    code = _code(host)
    assert len(code) == 6
    assert _verify(acme, code, sent["id"]) == {"id": sent["id"], "status": "approved",
                                               "valid": True, "attempts_left": 5}
    again = _verify(acme, code, sent["id"])
    assert again["status"] == "approved" and again["valid"] is False
    shown = acme.call("GET", f"/v1/otp/{sent['id']}").json
    assert shown["status"] == "approved" and shown["approved_at"]
    assert "code" not in shown and "code_hash" not in shown


def test_verify_by_number_checks_its_pending_verification(acme: Tenant, working: str, host):
    sent = _send(acme, working, length=8)
    code = _code(host)
    assert len(code) == 8
    checked = _verify(acme, code, to="+1 (415) 555-2671")
    assert checked["id"] == sent["id"] and checked["valid"] is True
    assert_error(acme.call("POST", "/v1/otp/verify", {"to": OTHER, "code": "123456"}), 404)


def test_five_wrong_codes_lock_it(acme: Tenant, working: str, host):
    sent = _send(acme, working)
    code = _code(host)
    for left in (4, 3, 2, 1):
        checked = _verify(acme, _wrong(code), sent["id"])
        assert checked == {"id": sent["id"], "status": "pending", "valid": False,
                           "attempts_left": left}
    locked = _verify(acme, _wrong(code), sent["id"])
    assert locked["status"] == "max_attempts_reached" and locked["attempts_left"] == 0
    assert _verify(acme, code, sent["id"])["valid"] is False  # the right code, too late
    failed = [e for e in _events(acme) if e["type"] == "otp.failed"]
    assert [e["data"]["reason"] for e in failed] == ["locked"]


def test_an_expired_code_is_refused(acme: Tenant, working: str, host, later):
    sent = _send(acme, working, ttl_seconds=60)
    code = _code(host)
    later(61)
    assert acme.call("GET", f"/v1/otp/{sent['id']}").json["status"] == "expired"
    checked = _verify(acme, code, sent["id"])
    assert checked["status"] == "expired" and checked["valid"] is False
    assert _verify(acme, code, sent["id"])["valid"] is False
    failed = [e["data"] for e in _events(acme) if e["type"] == "otp.failed"]
    assert [(f["id"], f["reason"]) for f in failed] == [(sent["id"], "expired")]


def test_a_resend_keeps_the_verification_with_a_new_code(acme: Tenant, working: str, host):
    first = _send(acme, working)
    old = _code(host)
    assert _verify(acme, _wrong(old), first["id"])["attempts_left"] == 4
    second = _send(acme, working)
    new = _code(host)
    assert second["id"] == first["id"] and second["sends"] == 2
    assert second["attempts_left"] == 4  # the failure count is kept
    if old != new:
        assert _verify(acme, old, first["id"])["valid"] is False  # the old code is dead
    checked = _verify(acme, new, first["id"])
    assert checked["status"] == "approved" and checked["valid"] is True
    assert _send(acme, working)["id"] != first["id"]  # approved: the next send starts anew


def test_the_sixth_send_in_ten_minutes_is_refused(acme: Tenant, working: str, later):
    for _ in range(5):
        _send(acme, working)
    refused = acme.call("POST", "/v1/otp", {"to": TO, "session_id": working})
    error = assert_error(refused, 429, "otp_send_limit")
    retry = int(refused.headers["Retry-After"])
    assert 1 <= retry <= 600 and error["details"] == [{"retry_after_seconds": retry}]
    _send(acme, working, to=OTHER)  # another number is not affected
    later(retry)
    _send(acme, working)


def test_the_tenant_send_rate_is_a_setting(acme: Tenant, working: str):
    assert acme.call("GET", "/v1/otp/settings").json == {"session_id": None, "template": None,
                                                         "rate_per_minute": 60}
    put = acme.call("PUT", "/v1/otp/settings", {"session_id": working, "rate_per_minute": 2})
    assert put.status_code == 200 and put.json["rate_per_minute"] == 2
    _send(acme, None, to="+14155550001")
    _send(acme, None, to="+14155550002")
    refused = acme.call("POST", "/v1/otp", {"to": "+14155550003"})
    assert_error(refused, 429, "otp_rate_limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_settings_give_the_default_session_and_text(acme: Tenant, working: str, host):
    error = assert_error(acme.call("POST", "/v1/otp", {"to": TO}), 422)
    assert error["details"][0]["field"] == "session_id"
    acme.call("PUT", "/v1/otp/settings", {"session_id": working,
                                          "template": "Acme: {{code}} ({{minutes}} min)"})
    _send(acme, None, ttl_seconds=120)
    run_worker(resources.OUTBOUND_HIGH)
    text = wait_for(lambda: [o.content.text for _, _, o in host.engine.outbox])[-1]
    assert re.fullmatch(r"Acme: \d{6} \(2 min\)", text)


def test_the_default_text_follows_the_locale(acme: Tenant, working: str, host):
    _send(acme, working, locale="es-MX")
    run_worker(resources.OUTBOUND_HIGH)
    text = wait_for(lambda: [o.content.text for _, _, o in host.engine.outbox])[-1]
    assert text.startswith("Tu código de verificación es ")


def test_the_code_goes_on_the_high_lane_masked_and_dead_with_the_code(acme: Tenant,
                                                                      working: str):
    sent = _send(acme, working, ttl_seconds=300)
    queued = [json.loads(m["Body"]) for m in receive(resources.OUTBOUND_HIGH)]
    assert len(queued) == 1 and receive(resources.OUTBOUND) == []
    message = acme.call("GET", f"/v1/messages/{queued[0]['message_id']}").json
    assert message["priority"] == "high" and message["metadata"] == {"otp_id": sent["id"]}
    assert message["expires_at"] == sent["expires_at"]
    assert "******" in message["text"] and not re.search(r"\d{6}", message["text"])


def test_a_late_code_is_never_delivered(acme: Tenant, working: str, host, later):
    sent = _send(acme, working, ttl_seconds=60)
    later(61)
    run_worker(resources.OUTBOUND_HIGH)
    assert host.engine.outbox == []
    failed = [e["data"] for e in _events(acme) if e["type"] == "otp.failed"]
    assert [(f["id"], f["reason"]) for f in failed] == [(sent["id"], "undeliverable")]


def test_a_sent_code_publishes_otp_sent(acme: Tenant, working: str, host):
    sent = _send(acme, working)
    _code(host)
    host.host.flush()
    events = wait_for(lambda: [e for e in _events(acme) if e["type"] == "otp.sent"])
    assert events[0]["data"]["id"] == sent["id"] and events[0]["data"]["to"] == TO
    assert events[0]["data"]["message_id"]


def test_a_send_through_a_session_that_cannot_send_leaves_nothing_pending(acme: Tenant,
                                                                          working: str):
    acme.call("POST", f"/v1/sessions/{working}/stop")
    assert_error(acme.call("POST", "/v1/otp", {"to": TO, "session_id": working}), 409,
                 "session_not_ready")
    acme.call("POST", f"/v1/sessions/{working}/start")
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{working}").json["status"] == "WORKING")
    sent = _send(acme, working)
    assert sent["sends"] == 1 and sent["attempts_left"] == 5


def test_cancel(acme: Tenant, working: str, host):
    sent = _send(acme, working)
    code = _code(host)
    canceled = acme.call("POST", f"/v1/otp/{sent['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json["status"] == "canceled"
    assert _verify(acme, code, sent["id"]) == {"id": sent["id"], "status": "canceled",
                                               "valid": False, "attempts_left": 5}
    assert_error(acme.call("POST", f"/v1/otp/{sent['id']}/cancel"), 409, "not_cancelable")


def test_approval_publishes_otp_approved(acme: Tenant, working: str, host):
    sent = _send(acme, working)
    _verify(acme, _code(host), sent["id"])
    approved = [e for e in _events(acme) if e["type"] == "otp.approved"]
    assert len(approved) == 1 and approved[0]["data"]["id"] == sent["id"]
    assert approved[0]["data"]["kind"] == "otp" and approved[0]["data"]["to"] == TO


@pytest.mark.parametrize(("body", "field"), [
    ({"to": TO, "length": 3}, "length"),
    ({"to": TO, "length": 11}, "length"),
    ({"to": TO, "ttl_seconds": 59}, "ttl_seconds"),
    ({"to": TO, "ttl_seconds": 3601}, "ttl_seconds"),
    ({"to": TO, "template": "no placeholder"}, "template"),
    ({"to": TO, "template": "{{code}} for {{name}}"}, "template"),
    ({"to": "not a number"}, "to"),
    ({"to": TO, "extra": 1}, "extra"),
])
def test_bad_sends_are_refused_naming_the_field(acme: Tenant, working: str, body: dict,
                                                field: str):
    error = assert_error(acme.call("POST", "/v1/otp", {"session_id": working, **body}), 422)
    assert error["details"][0]["field"] == field
    assert receive(resources.OUTBOUND_HIGH) == []


@pytest.mark.parametrize(("body", "field"), [
    ({"id": "x", "code": "12ab"}, "code"),
    ({"id": "x", "code": "123"}, "code"),
    ({"code": "123456"}, "id"),
    ({"to": "nope", "code": "123456"}, "to"),
])
def test_bad_verifies_are_refused_naming_the_field(acme: Tenant, body: dict, field: str):
    error = assert_error(acme.call("POST", "/v1/otp/verify", body), 422)
    assert error["details"][0]["field"] == field


def test_settings_refuse_an_unknown_session_and_a_bad_template(acme: Tenant, working: str):
    error = assert_error(acme.call("PUT", "/v1/otp/settings", {"session_id": "nope"}), 422)
    assert error["details"][0]["field"] == "session_id"
    error = assert_error(acme.call("PUT", "/v1/otp/settings",
                                   {"session_id": working, "template": "hi"}), 422)
    assert error["details"][0]["field"] == "template"
    error = assert_error(acme.call("PUT", "/v1/otp/settings",
                                   {"session_id": working, "rate_per_minute": 0}), 422)
    assert error["details"][0]["field"] == "rate_per_minute"
    assert acme.call("GET", "/v1/otp/settings").json["session_id"] is None


def test_another_tenants_verification_is_not_found(acme: Tenant, globex: Tenant,
                                                   working: str, host):
    sent = _send(acme, working)
    code = _code(host)
    assert_error(globex.call("GET", f"/v1/otp/{sent['id']}"), 404)
    assert_error(globex.call("POST", f"/v1/otp/{sent['id']}/cancel"), 404)
    assert_error(globex.call("POST", "/v1/otp/verify", {"id": sent["id"], "code": code}), 404)
    assert_error(globex.call("POST", "/v1/otp/verify", {"to": TO, "code": code}), 404)
    assert_error(globex.call("GET", f"/v1/otp/reverse/{sent['id']}"), 404)
    assert _verify(acme, code, sent["id"])["valid"] is True  # untouched by globex's tries


def test_scopes(acme: Tenant, working: str):
    verifier = acme.api_key(["otp:verify"])
    headers = {"X-API-Key": verifier}
    from tests.conftest import call

    assert_error(call(acme.client, "POST", "/v1/otp", body={"to": TO, "session_id": working},
                      headers=headers), 403, "missing_scope")
    assert call(acme.client, "POST", "/v1/otp/verify", body={"id": "x", "code": "123456"},
                headers=headers).status_code == 404
    member = acme.member()
    assert member.call("POST", "/v1/otp", {"to": TO, "session_id": working}).status_code == 201


def test_each_literal_path_reaches_its_own_view(acme: Tenant):
    assert set(acme.call("GET", "/v1/otp/settings").json) == {"session_id", "template",
                                                              "rate_per_minute"}
    assert acme.call("GET", "/v1/otp/shared-numbers").json == {"items": []}
    assert_error(acme.call("POST", "/v1/otp/verify", {"code": "1"}), 422)
    assert_error(acme.call("POST", "/v1/otp/reverse", {}), 409, "no_shared_number")
    assert_error(acme.call("GET", "/v1/otp/reverse/nope"), 404)
    assert_error(acme.call("GET", "/v1/otp/nope"), 404)
