"""End to end over real HTTP against the local stack: a whatsapp-web.js REST wrapper client
changes the base URL and the key. It starts a session by the name it chose, pairs it by the
QR code the wrapper's routes show (the sandbox phone scans it), reads its state, chats and
numbers through ``/client/*``, and gets the wrapper's callbacks: acks of a send reaching read
(3) and an inbound message, named by the session's name, without its key.

The send goes through ``POST /v1/messages``: ``/client/sendMessage`` is the other half of
the dialect (part B)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib.devstack.launch import StackProcess, wait_until
from chalicelib.devstack.listen import WebhookReceiver
from tests.e2e.stacks import running_stack

pytestmark = pytest.mark.e2e
PASSWORD = "wagate-e2e-wwebjs"
WAIT_S = 20
CONTACT = "+14155552671"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "wwebjs", PASSWORD,
                             WAGATE_PREFIX="wagate-e2e-wwebjs")


def _bodies(receiver: WebhookReceiver, data_type: str) -> list[dict[str, Any]]:
    return [r["payload"] for r in receiver.received if r["payload"]["dataType"] == data_type]


def test_a_wwebjs_client_pairs_by_qr_and_gets_its_callbacks(stack: StackProcess) -> None:
    native = stack.login(PASSWORD)
    v1 = stack.base
    key = native.post(f"{v1}/api-keys", timeout=5, json={
        "name": "wwebjs", "scopes": ["sessions:read", "sessions:write", "chats:read",
                                     "chats:write", "contacts:read", "messages:send"]}
    ).json()["key"]
    base = stack.base.removesuffix("/v1") + "/compat/wwebjs"
    h = {"x-api-key": key}
    receiver = WebhookReceiver()
    try:
        # The wrapper's BASE_WEBHOOK_URL: a webhook of format wwebjs.
        hook = native.post(f"{v1}/webhooks", timeout=5,
                           json={"url": receiver.url, "format": "wwebjs"})
        assert hook.status_code == 201, hook.text
        receiver.secret = hook.json()["secret"]

        assert requests.get(f"{base}/ping", timeout=5).json() == {"success": True,
                                                                  "message": "pong"}
        started = requests.get(f"{base}/session/start/shop", headers=h, timeout=10)
        assert started.json() == {"success": True, "message": "Session initiated successfully"}
        qr = wait_until(lambda: requests.get(f"{base}/session/qr/shop", headers=h,
                                             timeout=5).json().get("qr"),
                        WAIT_S, "the QR code", 0.2)
        assert qr.startswith("2@")
        image = requests.get(f"{base}/session/qr/shop/image", headers=h, timeout=5)
        assert image.headers["Content-Type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")
        sid = next(s["id"] for s in native.get(f"{v1}/sessions", timeout=5).json()["items"]
                   if s["name"] == "shop")
        scanned = native.post(f"{v1}/sandbox/sessions/{sid}/scan", timeout=5, json={})
        assert scanned.status_code == 200, scanned.text
        wait_until(lambda: requests.get(f"{base}/session/status/shop", headers=h,
                                        timeout=5).json() == {
            "success": True, "state": "CONNECTED", "message": "session_connected"},
            WAIT_S, "the session to connect", 0.2)
        number_id = requests.post(f"{base}/client/getNumberId/shop", headers=h, timeout=10,
                                  json={"number": CONTACT.lstrip("+")}).json()
        assert number_id["result"]["_serialized"] == "14155552671@c.us"

        sent = native.post(f"{v1}/messages", timeout=5, json={
            "session_id": sid, "to": CONTACT, "text": "Your order shipped"})
        assert sent.status_code in (200, 201, 202), sent.text
        mid = sent.json()["id"]
        acks = wait_until(lambda: (a := [b["data"]["ack"] for b in _bodies(receiver,
                                                                           "message_ack")
                                         if b["data"]["message"]["id"]["id"] == mid])
                          and 3 in a and a, WAIT_S, "the read ack", 0.2)
        assert sorted(acks) == [1, 2, 3]

        native.post(f"{v1}/sandbox/sessions/{sid}/inbound", timeout=5,
                    json={"from": "+4915112345678", "text": "Halo, ada stok?",
                          "push_name": "Max"})
        inbound = wait_until(lambda: _bodies(receiver, "message"), WAIT_S, "the callback",
                             0.2)[0]
        assert inbound["sessionId"] == "shop"
        message = inbound["data"]["message"]
        assert message["body"] == "Halo, ada stok?" and message["from"] == "4915112345678@c.us"
        assert message["type"] == "chat" and message["fromMe"] is False
        assert {b["sessionId"] for r in receiver.received for b in [r["payload"]]} == {"shop"}
        assert any(r["payload"]["dataType"] == "ready" for r in receiver.received)
        for body, headers in receiver.requests:
            assert "x-api-key" not in {k.lower() for k in headers}
            assert key.encode() not in body

        chats = requests.get(f"{base}/client/getChats/shop", headers=h, timeout=10).json()
        by_id = {c["id"]["_serialized"]: c for c in chats["chats"]}
        assert by_id["4915112345678@c.us"]["lastMessage"]["body"] == "Halo, ada stok?"
        assert by_id["14155552671@c.us"]["lastMessage"]["fromMe"] is True
        denied = requests.get(f"{base}/client/getChats/shop", timeout=5,
                              headers={"x-api-key": "wrong"})
        assert denied.status_code == 403
        assert denied.json() == {"success": False, "error": "Invalid API key"}
    finally:
        receiver.close()
