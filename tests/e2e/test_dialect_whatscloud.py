"""End to end: a WhatsCloud (WhatsMark SaaS) client moves to wagate by changing the base URL
and the token. The local stack (``make run``'s program) over real HTTP: the address book,
templates and sends through ``/compat/whatscloud/api/v1/{tenant}``, the callbacks in WhatsApp
Cloud API's webhook shape reaching "read", and an inbound message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib.devstack.launch import StackProcess, wait_until
from chalicelib.devstack.listen import WebhookReceiver
from tests.e2e.stacks import running_stack

pytestmark = pytest.mark.e2e
PASSWORD = "wagate-demo-pass"
CONTACT = "+14155552671"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "stack", PASSWORD,
                             WAGATE_SANDBOX_DELIVERY_MS="200",
                             WAGATE_SANDBOX_READ_MS="500")


def _values(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    return [r["payload"]["entry"][0]["changes"][0]["value"] for r in receiver.received]


def test_a_whatscloud_client_over_http(stack: StackProcess) -> None:
    b = stack.base
    token = requests.post(f"{b}/auth/login", json={"username": "admin", "password": PASSWORD},
                          timeout=5).json()["token"]
    native = {"Authorization": f"Bearer {token}"}
    tenant = requests.get(f"{b}/auth/me", headers=native, timeout=5).json()["tenant_id"]
    key = requests.post(f"{b}/api-keys", headers=native, timeout=5, json={
        "name": "whatscloud", "scopes": ["contacts:read", "contacts:write", "messages:read",
                                         "messages:send", "bots:read"]}).json()["key"]
    # What WhatsMark leaves to its dashboard: the number (paired by QR), the webhook and the
    # templates come from the native API.
    sid = requests.post(f"{b}/sessions", headers=native, json={"name": "shop"},
                        timeout=5).json()["id"]
    wait_until(lambda: requests.get(f"{b}/sessions/{sid}", headers=native, timeout=5).json()[
        "status"] == "SCAN_QR", 15, "the QR code", 0.2)
    assert requests.get(f"{b}/sessions/{sid}/qr", headers=native, timeout=5).json()[
        "qr"].startswith("2@")
    assert requests.post(f"{b}/sandbox/sessions/{sid}/scan", headers=native, json={},
                         timeout=5).json()["status"] == "WORKING"
    requests.post(f"{b}/templates", headers=native, timeout=5,
                  json={"name": "verify_otp", "body": "{{code}} is your verification code."})
    receiver = WebhookReceiver()
    try:
        hook = requests.post(f"{b}/webhooks", headers=native, timeout=5,
                             json={"url": receiver.url, "format": "whatscloud"}).json()
        receiver.secret = hook["secret"]

        api = f"{b.removesuffix('/v1')}/compat/whatscloud/api/v1/{tenant}"
        h = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        assert requests.post(f"{api}/statuses", headers=h, timeout=5,
                             json={"name": "Pending", "color": "#FF0000"}).status_code == 201
        assert requests.post(f"{api}/sources", headers=h, timeout=5,
                             json={"name": "Website"}).status_code == 201
        created = requests.post(f"{api}/contacts", headers=h, timeout=5, json={
            "firstname": "John", "lastname": "Doe", "type": "lead", "phone": CONTACT,
            "email": "john@example.com", "status_id": 1, "source_id": 1})
        assert created.status_code == 201, created.text
        assert created.json()["data"]["id"] == 1
        listed = requests.get(f"{api}/contacts", headers=h, timeout=5).json()
        assert [c["firstname"] for c in listed["data"]["data"]] == ["John"]
        templates = requests.get(f"{api}/templates", headers=h, timeout=5).json()
        assert templates["data"]["data"][0]["template_name"] == "verify_otp"

        sent = requests.post(f"{api}/messages/send", headers=h, timeout=5, json={
            "phone_number": CONTACT, "message_body": "Hello! How can we help you today?"})
        assert sent.status_code == 200, sent.text
        body = sent.json()
        assert (body["status"], body["data"]["contact_id"], body["data"]["contact_created"]) \
            == ("success", 1, False)
        message_id = body["data"]["message_id"]
        wait_until(lambda: "read" in [s["status"] for v in _values(receiver)
                                      for s in v.get("statuses", []) if s["id"] == message_id],
                   20, "the message to be read", 0.2)
        assert [s["status"] for v in _values(receiver) for s in v.get("statuses", [])
                if s["id"] == message_id] == ["sent", "delivered", "read"]

        otp = requests.post(f"{api}/messages/template", headers=h, timeout=5, json={
            "phone_number": CONTACT, "template_name": "verify_otp", "template_language": "en",
            "field_1": "482913"})
        assert otp.status_code == 200, otp.text
        otp_id = otp.json()["data"]["message_id"]
        text = wait_until(lambda: requests.get(f"{b}/messages/{otp_id}", headers=native,
                                               timeout=5).json()["text"], 10, "the template", 0.2)
        assert text == "482913 is your verification code."
        generated = requests.post(f"{api}/messages/template", headers=h, timeout=5, json={
            "phone_number": CONTACT, "template_name": "verify_otp",
            "template_language": "en", "auto_generate_otp": True}).json()["data"]["otp"]
        wait_until(lambda: f"{generated} is your verification code." in str(requests.get(
            f"{b}/sandbox/recipients/14155552671/messages", headers=native, timeout=5).json()),
            20, "the generated code on the phone", 0.2)

        requests.post(f"{b}/sandbox/sessions/{sid}/inbound", headers=native, timeout=5,
                      json={"from": CONTACT, "text": "Thanks!"})
        inbound = wait_until(lambda: [v for v in _values(receiver) if v.get("messages")], 20,
                             "the inbound callback", 0.2)[0]
        assert inbound["messages"][0]["text"] == {"body": "Thanks!"}
        assert inbound["messages"][0]["from"] == "14155552671"
        assert inbound["metadata"]["phone_number_id"] == sid
        assert receiver.rejected == []

        other = requests.get(f"{api.rsplit('/', 1)[0]}/someone-else/contacts", headers=h,
                             timeout=5)
        assert other.status_code == 401 and other.json() == {"status": "error",
                                                             "message": "Invalid API token"}
    finally:
        receiver.close()
