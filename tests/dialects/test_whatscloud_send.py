"""WhatsCloud sends (text, media by URL, templates by name) and its callbacks: the product's
documented request bodies through ``/compat/whatscloud``, the messages sent by the sandbox
session, and WhatsApp Cloud API webhook bodies (WhatsMark forwards those) reaching read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.domain.events import message_received, message_status
from chalicelib.domain.messages import Direction, Message, MessageStatus
from chalicelib.services.webhook_formats import formats
from tests.conftest import Tenant, run_worker, static_site, wait_for
from tests.dialects.test_whatscloud import refused, wc
from tests.samples import png
from tests.workers.test_webhooks import deliver

CONTACT = "+14155552671"
# WhatsMark's own examples (its API reference), with a number the sandbox delivers to.
TEXT = {"phone_number": CONTACT, "message_body": "Hello! How can we help you today?"}
NEW_CONTACT = {"first_name": "Johan", "last_name": "Doe", "email": "johndoe@domain.com",
               "country": "india", "language_code": "en",
               "groups": "examplegroup1,examplegroup2"}


@pytest.fixture
def key(acme: Tenant) -> str:
    return acme.api_key(["contacts:read", "messages:send", "messages:read"])


@pytest.fixture
def receiver(acme: Tenant) -> Iterator[WebhookReceiver]:
    """A receiver subscribed in WhatsCloud's format (``format: "whatscloud"``)."""
    server = WebhookReceiver()
    created = acme.call("POST", "/v1/webhooks", {"url": server.url, "format": "whatscloud"})
    assert created.status_code == 201, created.body
    assert created.json["events"] == ["message.received", "message.status"]
    server.secret = created.json["secret"]
    yield server
    server.close()


def _changes(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    return [r["payload"]["entry"][0]["changes"][0]["value"] for r in receiver.received]


def _statuses(receiver: WebhookReceiver, message_id: str) -> list[str]:
    return [s["status"] for v in _changes(receiver) for s in v.get("statuses", [])
            if s["id"] == message_id]


def test_a_text_reaches_read_in_the_cloud_apis_words(acme: Tenant, working: str, key: str,
                                                     receiver: WebhookReceiver) -> None:
    sent = wc(acme, "POST", "/messages/send", key, TEXT)
    assert sent.status_code == 200, sent.body
    assert sent.json["status"] == "success" and sent.json["message"] == "Message sent successfully"
    data = sent.json["data"]
    assert {k: data[k] for k in ("contact_id", "phone", "message", "status",
                                 "contact_created")} == {
        "contact_id": 1, "phone": CONTACT, "message": TEXT["message_body"],
        "status": "accepted", "contact_created": True}
    message = acme.call("GET", f"/v1/messages/{data['message_id']}").json
    assert (message["session_id"], message["chat"], message["text"]) == (
        working, "14155552671@s.whatsapp.net", TEXT["message_body"])
    run_worker(resources.OUTBOUND)

    def read() -> bool:
        deliver()
        return "read" in _statuses(receiver, data["message_id"])

    wait_for(read)
    assert _statuses(receiver, data["message_id"])[:3] == ["sent", "delivered", "read"]
    value = next(v for v in _changes(receiver) if v.get("statuses"))
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"]["phone_number_id"] == working
    status = value["statuses"][0]
    assert status["recipient_id"] == "14155552671" and status["timestamp"].isdigit()
    # The contact was added to the address book once; a second send finds it.
    again = wc(acme, "POST", "/messages/send", key, {**TEXT, "phone_number": "14155552671@c.us"})
    assert (again.json["data"]["contact_id"], again.json["data"]["contact_created"]) == (1, False)
    assert wc(acme, "GET", "/contacts/1", key).json["data"]["firstname"] == "14155552671"


def test_an_inbound_message_arrives_as_the_cloud_apis_messages(
        acme: Tenant, working: str, receiver: WebhookReceiver) -> None:
    written = acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
                        {"from": CONTACT, "text": "hi there"})
    assert written.status_code == 200, written.body

    def arrived() -> list[dict[str, Any]]:
        deliver()
        return [v for v in _changes(receiver) if v.get("messages")]

    value = wait_for(arrived)[0]
    item = value["messages"][0]
    assert (item["from"], item["type"], item["text"]) == ("14155552671", "text",
                                                          {"body": "hi there"})
    assert value["contacts"][0]["wa_id"] == "14155552671"
    assert value["metadata"] == {"display_phone_number": "14155550100",
                                 "phone_number_id": working}
    payload = receiver.received[0]["payload"]
    assert payload["object"] == "whatsapp_business_account"
    assert payload["entry"][0]["changes"][0]["field"] == "messages"


def test_a_new_number_brings_its_contact_and_the_sender_may_be_named(
        acme: Tenant, working: str, key: str) -> None:
    sent = wc(acme, "POST", "/messages/send", key, {**TEXT, "contact": NEW_CONTACT,
                                                     "from_phone_number_id": "+14155550100"})
    assert sent.status_code == 200, sent.body
    contact = wc(acme, "GET", f"/contacts/{sent.json['data']['contact_id']}", key).json["data"]
    assert (contact["firstname"], contact["lastname"], contact["email"]) == (
        "Johan", "Doe", "johndoe@domain.com")
    by_id = wc(acme, "POST", "/messages/send", key, {**TEXT, "from_phone_number_id": working})
    assert by_id.status_code == 200
    unknown = refused(wc(acme, "POST", "/messages/send", key,
                         {**TEXT, "from_phone_number_id": "+4915112345678"}), 422)
    assert list(unknown["errors"]) == ["from_phone_number_id"]


def test_media_by_url_and_templates_by_name(acme: Tenant, working: str, key: str) -> None:
    with static_site({"/image.jpg": (png(), "image/png")}) as base:
        sent = wc(acme, "POST", "/messages/media", key, {
            "phone_number": CONTACT, "media_type": "image", "media_url": f"{base}/image.jpg",
            "caption": "This is a sample image"})
    assert sent.status_code == 200, sent.body
    assert sent.json["message"] == "Media message sent successfully"
    data = sent.json["data"]
    assert (data["media_type"], data["caption"], data["status"]) == (
        "image", "This is a sample image", "accepted")
    message = acme.call("GET", f"/v1/messages/{data['message_id']}").json
    assert (message["type"], message["text"]) == ("image", "This is a sample image")

    acme.call("POST", "/v1/templates", {"name": "verify_otp",
                                        "body": "{{code}} is your code, {{name}}."})
    body = {"phone_number": CONTACT, "template_name": "verify_otp", "template_language": "en",
            "field_1": "123456", "field_2": "Johan"}
    sent = wc(acme, "POST", "/messages/template", key, body)
    assert sent.status_code == 200, sent.body
    data = sent.json["data"]
    assert data["template"] == {"template_name": "verify_otp", "language": "en", "sent": True,
                                "header_format": None, "has_media": False}
    assert data["contact"]["id"] == 1 and data["contact"]["created"] is False
    text = acme.call("GET", f"/v1/messages/{data['message_id']}").json["text"]
    assert text == "123456 is your code, Johan."
    missing = refused(wc(acme, "POST", "/messages/template", key, {**body, "field_2": None}),
                      422)
    assert missing["errors"] == {"template_fields": ["field_2 (Body parameter 2 required)"]}
    refused(wc(acme, "POST", "/messages/template", key, {**body, "template_name": "nope"}), 404)


def test_an_auth_template_with_a_generated_code(acme: Tenant, working: str, key: str) -> None:
    acme.call("POST", "/v1/templates", {"name": "verify_otp",
                                        "body": "{{code}} is your verification code."})
    # WhatsMark's "Send Auth Templates" example, as its guide prints it.
    sent = wc(acme, "POST", "/messages/template", key, {
        "phone_number": "+14155552671", "template_name": "verify_otp",
        "template_language": "en", "auto_generate_otp": True})
    assert sent.status_code == 200, sent.body
    code = sent.json["data"]["otp"]
    assert len(code) == 6 and code.isdigit()
    stored = acme.call("GET", f"/v1/messages/{sent.json['data']['message_id']}").json
    assert stored["text"] == "****** is your verification code."  # the code is not kept
    run_worker(resources.OUTBOUND)
    phone = wait_for(lambda: acme.call("GET", "/v1/sandbox/recipients/14155552671/messages")
                     .json["items"])
    assert f"{code} is your verification code." in str(phone[0])


def test_bad_sends_are_refused_and_send_nothing(acme: Tenant, working: str, key: str) -> None:
    cases = [({"message_body": "hi"}, "phone_number"), ({"phone_number": CONTACT}, "message_body"),
             ({**TEXT, "phone_number": "120363000000000000@g.us"}, "phone_number"),
             ({**TEXT, "phone_number": "call me"}, "phone_number"),
             ({**TEXT, "message_body": "x" * 4097}, "message_body")]
    for body, field in cases:
        assert field in refused(wc(acme, "POST", "/messages/send", key, body), 422)["errors"]
    media = {"phone_number": CONTACT, "media_type": "sticker", "media_url": "https://x.test/a"}
    assert "media_type" in refused(wc(acme, "POST", "/messages/media", key, media), 422)["errors"]
    no_url = {**media, "media_type": "image", "media_url": "ftp://x.test/a"}
    assert "media_url" in refused(wc(acme, "POST", "/messages/media", key, no_url), 422)["errors"]
    assert acme.call("GET", "/v1/messages").json["items"] == []


def test_without_a_working_session_nothing_is_sent(acme: Tenant, globex: Tenant,
                                                   key: str) -> None:
    refusal = refused(wc(acme, "POST", "/messages/send", key, TEXT), 422)
    assert list(refusal["errors"]) == ["from_phone_number_id"]
    theirs = globex.api_key(["messages:send"])
    refused(wc(acme, "POST", "/messages/send", theirs, TEXT), 401, "Invalid API token")
    assert acme.call("GET", "/v1/messages").json["items"] == []


def _message(status: MessageStatus, **fields: Any) -> Message:
    at = "2026-01-02T03:04:05.000Z"
    return Message(id="m1", tenant_id="t", session_id="s1", chat="14155552671@s.whatsapp.net",
                   created_at=at, updated_at=at, status=status, **fields)


def test_every_status_is_in_the_cloud_apis_vocabulary() -> None:
    shape = formats()["whatscloud"]
    for ours, theirs in (("sent", "sent"), ("delivered", "delivered"), ("read", "read"),
                         ("played", "read"), ("failed", "failed"), ("expired", "failed"),
                         ("canceled", "failed"), ("queued", "accepted")):
        message = _message(MessageStatus(ours), direction=Direction.OUTBOUND,
                           to="14155552671@s.whatsapp.net")
        item = shape(message_status(message))["entry"][0]["changes"][0]["value"]["statuses"][0]
        assert (item["id"], item["status"], item["recipient_id"]) == ("m1", theirs,
                                                                      "14155552671")
        assert ("errors" in item) == (theirs == "failed")
    image = _message(MessageStatus.RECEIVED, direction=Direction.INBOUND, type="image",
                     text="look", push_name="Ann", content={"media": {"mime_type": "image/png"}},
                     **{"from": "14155552671@s.whatsapp.net"})
    value = shape(message_received(image))["entry"][0]["changes"][0]["value"]
    assert value["messages"][0]["image"] == {"id": "m1", "mime_type": "image/png",
                                             "sha256": None, "caption": "look"}
    assert value["contacts"] == [{"profile": {"name": "Ann"}, "wa_id": "14155552671"}]
    assert value["messages"][0]["timestamp"] == "1767323045"
