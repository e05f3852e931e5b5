"""The WACloud dialect: webhooks and their payload, templates, OTP, and the account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import resources
from chalicelib.api.dialects.wacloud import shapes
from chalicelib.domain import clock
from chalicelib.domain.events import message_received, message_status
from chalicelib.domain.messages import (
    Direction,
    Message,
    MessageStatus,
    StatusChange,
    can_transition,
)
from chalicelib.domain.sessions import Qr, Session, SessionStatus
from chalicelib.services.webhook_formats import carried, formats
from chalicelib.services.webhook_formats.wacloud import STATUSES
from tests.conftest import Tenant, run_worker, wait_for
from tests.dialects.wacloud_support import ALL, DEVICE, field_of, ok, refused, wa

ORDER = {"name": "Order Confirmation",
         "content": "Halo @{{name}}, pesanan Anda #@{{order_id}} telah dikonfirmasi. Total: "
                    "Rp @{{amount}}",
         "message_type": "text", "variables": ["name", "order_id", "amount"],
         "description": "Template untuk konfirmasi pesanan"}
FILLED = {"name": "John Doe", "order_id": "ORD-12345", "amount": "150.000"}
ORDER_TEXT = "Halo John Doe, pesanan Anda #ORD-12345 telah dikonfirmasi. Total: Rp 150.000"
TO = "6281234567890"
HOOK = "http://127.0.0.1:9/webhook"  # the document's your-domain.com, kept on loopback


def test_webhooks_are_created_listed_and_deleted(acme: Tenant, globex: Tenant,
                                                 working: str) -> None:
    key = acme.api_key(ALL)
    documented = {"url": HOOK, "events": ["message", "status"],
                  "device_id": working}
    hook = ok(wa(acme, "POST", "/webhooks", key, documented), 201)
    assert (hook["url"], hook["events"], hook["device_id"], hook["is_active"]) == (
        HOOK, ["message", "status"], working, True)
    assert hook["secret"].startswith("whsec_")
    native = acme.call("GET", f"/v1/webhooks/{hook['id']}").json
    assert (native["format"], native["events"], native["session_ids"]) == (
        "wacloud", ["message.received", "message.status"], [working])
    every = ok(wa(acme, "POST", "/webhooks", key, {"url": "http://127.0.0.1:9/other"}), 201)
    assert (every["events"], every["device_id"]) == (["message"], None)
    listed = ok(wa(acme, "GET", "/webhooks", key))
    assert sorted(h["id"] for h in listed) == sorted([hook["id"], every["id"]])
    assert all("secret" not in h for h in listed)

    for bad, field in (({"url": "ftp://x.example/h"}, "url"),
                       ({"url": HOOK, "events": ["ack"]}, "events[0]"),
                       ({"url": HOOK, "events": []}, "events")):
        assert field_of(wa(acme, "POST", "/webhooks", key, bad)) == field
    refused(wa(acme, "POST", "/webhooks", key, {**documented, "device_id": DEVICE}), 404)
    refused(wa(acme, "POST", "/webhooks", acme.api_key(["webhooks:read"]), documented), 403,
            "missing_scope")
    refused(wa(acme, "GET", "/webhooks", acme.api_key(["webhooks:write"])), 403)
    refused(wa(globex, "DELETE", f"/webhooks/{hook['id']}", globex.api_key(ALL)), 404)

    deleted = wa(acme, "DELETE", f"/webhooks/{hook['id']}", key)
    assert ok(deleted) == {"id": hook["id"]} and deleted.json["message"]
    refused(wa(acme, "DELETE", f"/webhooks/{hook['id']}", key), 404, "not_found")
    assert [h["id"] for h in ok(wa(acme, "GET", "/webhooks", key))] == [every["id"]]


def _message(**fields: object) -> Message:
    now = clock.now_iso()
    return Message.model_validate({
        "id": "m1", "tenant_id": "t1", "session_id": "s1", "chat": f"{TO}@s.whatsapp.net",
        "created_at": "2025-11-30T10:00:00Z", "updated_at": now, **fields})


def test_the_wacloud_payload_is_the_documents() -> None:
    assert carried("wacloud") == ("message.received", "message.status")
    incoming = _message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED,
                        text="Pesan masuk", sender=f"{TO}@s.whatsapp.net",
                        **{"from": f"{TO}@s.whatsapp.net",
                           "to": "6289876543210@s.whatsapp.net"})
    assert formats()["wacloud"](message_received(incoming)) == {
        "event": "message", "device_id": "s1", "data": {
            "message_id": "m1", "from": "6281234567890@c.us", "to": "6289876543210@c.us",
            "body": "Pesan masuk", "message_type": "text", "timestamp": 1764496800,
            "push_name": None, "chat_id": "6281234567890@c.us"}}
    read = _message(direction=Direction.OUTBOUND, status=MessageStatus.READ,
                    to=f"{TO}@s.whatsapp.net", history=[StatusChange(
                        status=MessageStatus.READ, at="2025-11-30T10:00:05Z")])
    assert formats()["wacloud"](message_status(read)) == {
        "event": "status", "device_id": "s1", "data": {
            "message_id": "m1", "to": "6281234567890@c.us", "status": "read", "ack": 3,
            "error": None, "timestamp": 1764496805}}
    failed = read.model_copy(update={"status": MessageStatus.EXPIRED, "history": [
        StatusChange(status=MessageStatus.EXPIRED, at="2025-11-30T10:00:05Z",
                     reason="expired")]})
    shaped = formats()["wacloud"](message_status(failed))["data"]
    assert (shaped["status"], shaped["ack"], shaped["error"]) == ("failed", -1, "expired")


def test_templates_crud_preview_and_send(acme: Tenant, globex: Tenant, working: str,
                                         host) -> None:
    key = acme.api_key(ALL)
    template = ok(wa(acme, "POST", "/templates", key, ORDER), 201)
    tid = template["id"]
    assert {k: template[k] for k in ORDER} == ORDER
    assert ok(wa(acme, "GET", f"/templates/{tid}", key)) == template
    assert [t["id"] for t in ok(wa(acme, "GET", "/templates", key))] == [tid]
    preview = ok(wa(acme, "POST", f"/templates/{tid}/preview", key, {"variables": FILLED}))
    assert preview["preview"] == ORDER_TEXT
    missing = wa(acme, "POST", f"/templates/{tid}/preview", key, {"variables": {"name": "A"}})
    assert field_of(missing) == "variables.order_id"

    mid = ok(wa(acme, "POST", "/messages", key, {
        "device_id": working, "to": TO, "template_id": tid, "variables": FILLED}),
        201)["message_id"]
    run_worker(resources.OUTBOUND)
    wait_for(lambda: ok(wa(acme, "GET", f"/messages/{mid}", key))["status"] == "read")
    assert [o.content.text for _, _, o in host.engine.outbox] == [ORDER_TEXT]

    updated = ok(wa(acme, "PUT", f"/templates/{tid}", key, {
        "name": "Updated Template", "content": "Updated content", "message_type": "text"}))
    assert (updated["name"], updated["content"], updated["variables"],
            updated["description"]) == ("Updated Template", "Updated content", [],
                                        ORDER["description"])
    assert field_of(wa(acme, "PUT", f"/templates/{tid}", key, {})) == "content"
    assert field_of(wa(acme, "POST", "/templates", key, {**ORDER, "message_type": "image"})) \
        == "message_type"
    assert field_of(wa(acme, "POST", "/templates", key, {"name": "x"})) == "content"
    theirs = globex.api_key(ALL)
    for method, path in (("GET", f"/templates/{tid}"), ("PUT", f"/templates/{tid}"),
                         ("DELETE", f"/templates/{tid}"),
                         ("POST", f"/templates/{tid}/preview")):
        refused(wa(globex, method, path, theirs, {"name": "x"}), 404)
    refused(wa(acme, "POST", "/templates", acme.api_key(["messages:read"]), ORDER), 403)
    assert field_of(wa(acme, "POST", "/messages", key, {
        "device_id": working, "to": TO, "template_id": "nope"})) == "template_id"
    deleted = wa(acme, "DELETE", f"/templates/{tid}", key)
    assert ok(deleted) == {"id": tid}
    refused(wa(acme, "GET", f"/templates/{tid}", key), 404, "not_found")


def _code(host, to: str = TO) -> tuple[str, str]:
    """The text of the code the phone ``to`` received last, and the code."""
    run_worker(resources.OUTBOUND_HIGH)
    texts = wait_for(lambda: [o.content.text for _, _, o in host.engine.outbox
                              if o.to.user == to])
    return texts[-1], re.findall(r"\d{6}", texts[-1])[0]


def test_otp_is_sent_verified_and_its_status_read(acme: Tenant, working: str, host) -> None:
    key = acme.api_key(ALL)
    sent = wa(acme, "POST", "/messages/otp", key,
              {"device_id": working, "to": "81234567890", "expiry_minutes": 10})
    otp = ok(sent)
    assert otp["expires_in_minutes"] == 10 and otp["otp_id"]
    left = clock.parse(otp["expires_at"]) - clock.now()
    assert 590 < left.total_seconds() <= 600
    text, code = _code(host, "81234567890")
    assert text == f"Kode verifikasi Anda adalah {code}. Berlaku selama 10 menit."
    status = f"/messages/otp/{otp['otp_id']}/status"
    assert ok(wa(acme, "GET", status, key))["status"] == "pending"

    wrong = str((int(code) + 1) % 10 ** 6).zfill(6)
    bad = refused(wa(acme, "POST", "/messages/verify-otp", key,
                     {"phone_number": "81234567890", "code": wrong}), 400, "invalid_otp")
    assert bad["error"] == "Invalid OTP code"
    verified = wa(acme, "POST", "/messages/verify-otp", key,
                  {"phone_number": "81234567890", "code": code})
    assert verified.json["message"] == "OTP verified successfully"
    assert ok(verified) == {"otp_id": otp["otp_id"], "status": "verified"}
    assert ok(wa(acme, "GET", status, key))["status"] == "verified"


def test_otp_with_a_template_and_its_expiry(acme: Tenant, globex: Tenant, working: str,
                                            host, monkeypatch: pytest.MonkeyPatch) -> None:
    key = acme.api_key(ALL)
    tid = ok(wa(acme, "POST", "/templates", key, {
        "name": "OTP", "content": "Kode OTP: @{{code}} (@{{minutes}} menit)"}), 201)["id"]
    otp = ok(wa(acme, "POST", "/messages/otp", key, {
        "device_id": "shop", "to": TO, "template_id": tid, "expiry_minutes": 2}))
    text, code = _code(host)
    assert text == f"Kode OTP: {code} (2 menit)"
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + timedelta(minutes=3))
    status = f"/messages/otp/{otp['otp_id']}/status"
    assert ok(wa(acme, "GET", status, key))["status"] == "expired"
    expired = refused(wa(acme, "POST", "/messages/verify-otp", key,
                         {"phone_number": TO, "code": code}), 400, "invalid_otp")
    assert expired["error"] == "OTP expired"

    plain = ok(wa(acme, "POST", "/templates", key, {"name": "x", "content": "no code"}), 201)
    assert field_of(wa(acme, "POST", "/messages/otp", key, {
        "device_id": working, "to": TO, "template_id": plain["id"]})) == "template"
    for bad, field in (({"expiry_minutes": 0}, "expiry_minutes"),
                       ({"expiry_minutes": 61}, "expiry_minutes"), ({"to": "12"}, "to")):
        assert field_of(wa(acme, "POST", "/messages/otp", key, {
            "device_id": working, "to": TO, **bad})) == field
    refused(wa(acme, "POST", "/messages/otp", acme.api_key(["otp:verify"]),
               {"device_id": working, "to": TO}), 403, "missing_scope")
    refused(wa(acme, "POST", "/messages/verify-otp", acme.api_key(["otp:send"]),
               {"phone_number": TO, "code": "123456"}), 403, "missing_scope")
    refused(wa(globex, "GET", status, globex.api_key(ALL)), 404)
    refused(wa(globex, "POST", "/messages/otp", globex.api_key(ALL),
               {"device_id": working, "to": TO}), 404)


def test_the_account_and_its_quota(acme: Tenant, working: str) -> None:
    key = acme.api_key(["messages:send"])
    ok(wa(acme, "POST", "/messages", key, {"device_id": working, "to": TO, "text": "x"}), 201)
    account = ok(wa(acme, "GET", "/account", key))
    assert (account["id"], account["name"]) == (acme.id, "Acme")
    quota = account["quota"]
    assert quota["messages_daily"] == {"limit": 10_000, "used": 1, "remaining": 9_999}
    assert quota["messages_monthly"]["used"] == 1
    assert quota["devices"] == {"limit": 10, "used": 1, "remaining": 9}
    again = ok(wa(acme, "GET", "/account/quota", key))
    # The same figures (the seconds to the resets move on between the two calls).
    assert {**again, "resets_in_seconds": None} == {**quota, "resets_in_seconds": None}
    assert 0 < again["resets_in_seconds"]["daily"] <= 86_400
    refused(wa(acme, "GET", "/account", None), 401)


@given(st.sampled_from(list(MessageStatus)), st.sampled_from(list(MessageStatus)))
def test_every_status_has_wacloud_words_and_a_legal_move_never_lowers_the_ack(
        before: MessageStatus, after: MessageStatus) -> None:
    word, ack = STATUSES[before.value]
    assert word in ("pending", "sent", "delivered", "read", "played", "received", "failed")
    assert (ack is None) == (before == MessageStatus.RECEIVED)
    next_ack = STATUSES[after.value][1]
    if can_transition(before, after) and next_ack != -1:
        assert ack is not None and next_ack is not None and next_ack >= ack


@given(st.integers(min_value=1, max_value=3600))
def test_a_pairing_code_is_never_shown_valid_for_more_than_two_minutes(seconds: int) -> None:
    now = clock.now()
    session = Session(id="s1", tenant_id="t1", name="d", engine="sandbox",
                      status=SessionStatus.SCAN_QR, created_at=clock.iso(now),
                      updated_at=clock.iso(now))
    code = Qr(code="2@x", expires_at=clock.iso(now + timedelta(seconds=seconds)))
    shown = clock.parse(shapes.qr(session, code, "data:image/png;base64,")["expires_at"])
    assert shown <= clock.now() + timedelta(seconds=120)
    assert shown <= clock.parse(code.expires_at)


def test_a_description_given_on_v1_shows_in_wacloud_and_back(acme: Tenant) -> None:
    key = acme.api_key(ALL)
    created = acme.call("POST", "/v1/templates", {"name": "n", "body": "Hi {{name}}",
                                                  "description": "greeting"})
    assert created.status_code == 201 and created.json["description"] == "greeting"
    shown = ok(wa(acme, "GET", f"/templates/{created.json['id']}", key))
    assert (shown["content"], shown["description"], shown["variables"]) == (
        "Hi {{name}}", "greeting", ["name"])
    ok(wa(acme, "PUT", f"/templates/{shown['id']}", key, {"description": "hello"}))
    assert acme.call("GET", f"/v1/templates/{shown['id']}").json["description"] == "hello"
