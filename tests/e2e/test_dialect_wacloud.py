"""End to end: a WACloud customer moves to wagate by changing the base URL and the key.
Over real HTTP against ``make run``'s program (sandbox engine): pairing by QR, sends
reaching read, incoming messages and statuses at a WACloud webhook, templates and OTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib.devstack.launch import StackProcess, wait_until
from chalicelib.devstack.listen import WebhookReceiver
from tests.e2e.stacks import running_stack

pytestmark = pytest.mark.e2e
PASSWORD = "wagate-demo-pass"
TIMEOUT = 20
SCOPES = ["sessions:read", "sessions:write", "messages:read", "messages:send",
          "webhooks:read", "webhooks:write", "otp:send", "otp:verify"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "wacloud-stack", PASSWORD)


class WaCloud:
    """A WACloud client: its base URL swapped for wagate's, its key a wagate key."""

    def __init__(self, base: str, key: str) -> None:
        self.base, self.headers = base, {"X-Api-Key": key}

    def __call__(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        answer = requests.request(method, f"{self.base}{path}", json=body, timeout=15,
                                  headers=self.headers)
        assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
        payload = answer.json()
        assert payload["success"] is True, payload
        return payload

    def until(self, path: str, check: Any, what: str) -> Any:
        def checked() -> Any:
            data = self("GET", path)["data"]
            return data if check(data) else None

        return wait_until(checked, TIMEOUT, what, 0.2)


def _events(receiver: WebhookReceiver, event: str) -> list[dict[str, Any]]:
    return [r["payload"] for r in receiver.received if r["payload"]["event"] == event]


def test_a_wacloud_client_works_unchanged_but_for_base_url_and_key(stack: StackProcess):
    admin = stack.login(PASSWORD)
    native = stack.base
    key = admin.post(f"{native}/api-keys", json={"name": "wacloud", "scopes": SCOPES},
                     timeout=10).json()["key"]
    wa = WaCloud(native.removesuffix("/v1") + "/compat/wacloud/api/v1", key)
    receiver = WebhookReceiver()
    try:
        # Pairing: create the device, fetch its QR code, the phone scans it.
        created = wa("POST", "/devices", {"name": "Device Utama",
                                          "phone_number": "81234567890"}, expect=201)
        device = created["data"]["id"]
        assert created["data"]["status"] == "pairing"
        qr = wa("GET", f"/devices/{device}/pair")["data"]
        assert qr["qr_code"].startswith("data:image/png;base64,") and qr["expires_at"]
        admin.post(f"{native}/sandbox/sessions/{device}/scan", json={"phone": "+6281234567890"},
                   timeout=10).raise_for_status()
        wa.until(f"/devices/{device}/status", lambda d: d["status"] == "connected", "connected")

        # A WACloud webhook: incoming messages and statuses, in WACloud's payload.
        hook = wa("POST", "/webhooks", {"url": receiver.url, "events": ["message", "status"],
                                        "device_id": device}, expect=201)["data"]
        receiver.secret = hook["secret"]

        # A text, and a template with @{{variables}}, both reach read.
        text = wa("POST", "/messages", {"device_id": device, "to": "6281234567890",
                                        "message_type": "text", "text": "Halo dari API!"},
                  expect=201)["data"]
        template = wa("POST", "/templates", {
            "name": "Order Confirmation", "message_type": "text",
            "content": "Halo @{{name}}, pesanan Anda #@{{order_id}} telah dikonfirmasi."},
            expect=201)["data"]
        filled = wa("POST", "/messages", {"device_id": "Device Utama", "to": "+6281234567891",
                                          "template_id": template["id"], "variables": {
                                              "name": "John Doe", "order_id": "ORD-12345"}},
                    expect=201)["data"]
        for sent in (text, filled):
            read = wa.until(f"/messages/{sent['message_id']}", lambda d: d["status"] == "read",
                            "the message to be read")
            assert read["ack"] == 3 and read["whatsapp_message_id"]
        received = requests.get(f"{native}/sandbox/recipients/6281234567891/messages",
                                headers=wa.headers, timeout=10).json()["items"]
        assert received[0]["text"] == "Halo John Doe, pesanan Anda #ORD-12345 telah " \
                                      "dikonfirmasi."

        # Someone writes to the device: a "message" webhook; the sends' statuses came too.
        admin.post(f"{native}/sandbox/sessions/{device}/inbound",
                   json={"from": "+4915112345678", "text": "Pesan masuk"},
                   timeout=10).raise_for_status()
        wait_until(lambda: _events(receiver, "message"), TIMEOUT, "the message webhook", 0.2)
        wait_until(lambda: len(_events(receiver, "status")) >= 6, TIMEOUT, "status webhooks",
                   0.2)
        assert receiver.rejected == []
        incoming = _events(receiver, "message")[0]
        assert incoming["device_id"] == device
        assert {k: incoming["data"][k] for k in ("from", "to", "body", "message_type")} == {
            "from": "4915112345678@c.us", "to": "6281234567890@c.us", "body": "Pesan masuk",
            "message_type": "text"}
        of_text = [e["data"] for e in _events(receiver, "status")
                   if e["data"]["message_id"] == text["message_id"]]
        assert [(s["status"], s["ack"]) for s in of_text] == [("sent", 1), ("delivered", 2),
                                                              ("read", 3)]
        listed = wa("GET", f"/messages?device_id={device}")["data"]
        assert listed[0]["direction"] == "inbound" and listed[0]["body"] == "Pesan masuk"

        # OTP: sent, the code read on the phone, verified; its status says so.
        otp = wa("POST", "/messages/otp", {"device_id": device, "to": "6281234567892",
                                           "expiry_minutes": 10})["data"]

        def code() -> str | None:
            items = requests.get(f"{native}/sandbox/recipients/6281234567892/messages",
                                 headers=wa.headers, timeout=10).json()["items"]
            found = re.search(r"adalah (\d{6})", items[0]["text"]) if items else None
            return found[1] if found else None

        verified = wa("POST", "/messages/verify-otp", {
            "phone_number": "6281234567892",
            "code": wait_until(code, TIMEOUT, "the OTP code", 0.2)})
        assert verified["message"] == "OTP verified successfully"
        assert wa("GET", f"/messages/otp/{otp['otp_id']}/status")["data"]["status"] == \
            "verified"
    finally:
        receiver.close()
