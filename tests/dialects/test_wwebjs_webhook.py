"""The whatsapp-web.js REST wrapper's callbacks (format ``wwebjs``): inbound messages, acks and
session changes reach a webhook as ``{"dataType", "data", "sessionId"}`` with ``sessionId``
the session's name, whatsapp-web.js's ``Message`` shape and ack numbers, and never the
tenant's key. On moto: host, event worker, webhook deliveries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.domain.events import Event, EventType
from chalicelib.domain.sessions import Session, SessionStatus
from chalicelib.services.webhook_formats import formats
from tests.conftest import Tenant, run_worker, wait_for
from tests.dialects.test_wwebjs_session import ALL, paired, session_id, ww
from tests.workers.test_webhooks import deliver

MAX = "4915112345678@c.us"
OWN = "14155550100@c.us"


@pytest.fixture
def key(acme: Tenant) -> str:
    return acme.api_key(ALL)


@pytest.fixture
def callback(acme: Tenant) -> Iterator[WebhookReceiver]:
    """The tenant's callback URL, subscribed with format ``wwebjs``."""
    server = WebhookReceiver()
    created = acme.call("POST", "/v1/webhooks", {"url": server.url, "format": "wwebjs"})
    assert created.status_code == 201, created.body
    server.secret = created.json["secret"]
    yield server
    server.close()


def bodies(server: WebhookReceiver, data_type: str | None = None) -> list[dict[str, Any]]:
    found = [r["payload"] for r in server.received]
    return [b for b in found if data_type is None or b["dataType"] == data_type]


def test_session_changes_and_an_inbound_message_reach_the_callback(
        acme: Tenant, key: str, host: Any, callback: WebhookReceiver) -> None:
    sid = paired(acme, key)
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
              {"from": "+4915112345678", "text": "hi", "push_name": "Max"})
    deliver()
    assert callback.rejected == []
    assert {b["sessionId"] for b in bodies(callback)} == {"shop"}
    assert {"dataType": "change_state", "data": {"state": "UNPAIRED"},
            "sessionId": "shop"} in bodies(callback)
    assert {"dataType": "ready", "sessionId": "shop"} in bodies(callback)
    [inbound] = bodies(callback, "message")
    assert set(inbound) == {"dataType", "data", "sessionId"}
    message = inbound["data"]["message"]
    stored = acme.call("GET", "/v1/messages?limit=10").json["items"][0]
    assert message["id"] == {"fromMe": False, "remote": MAX, "id": stored["id"],
                             "_serialized": f"false_{MAX}_{stored['id']}"}
    assert {k: message[k] for k in ("from", "to", "body", "type", "fromMe", "hasMedia",
                                    "ack", "notifyName", "author")} == {
        "from": MAX, "to": OWN, "body": "hi", "type": "chat", "fromMe": False,
        "hasMedia": False, "ack": 1, "notifyName": "Max", "author": None}
    assert isinstance(message["timestamp"], int)
    for body, headers in callback.requests:
        assert "x-api-key" not in {h.lower() for h in headers}
        assert key not in body.decode() and key not in json.dumps(headers)


def test_acks_follow_a_sent_message(acme: Tenant, key: str, host: Any,
                                    callback: WebhookReceiver) -> None:
    sid = paired(acme, key)
    sent = acme.call("POST", "/v1/messages", {"session_id": sid, "to": "+14155552671",
                                              "text": "your order shipped"})
    assert sent.status_code in (200, 201, 202), sent.body
    run_worker(resources.OUTBOUND)
    wait_for(lambda: acme.call("GET", f"/v1/messages/{sent.json['id']}").json["status"]
             == "read")
    deliver()
    acks = bodies(callback, "message_ack")
    assert [a["data"]["ack"] for a in acks] == [1, 2, 3]
    for ack in acks:
        message = ack["data"]["message"]
        assert message["id"]["id"] == sent.json["id"] and message["fromMe"] is True
        assert (message["from"], message["to"]) == (OWN, "14155552671@c.us")
        assert message["ack"] == ack["data"]["ack"] and ack["sessionId"] == "shop"


def test_a_stop_is_a_disconnect(acme: Tenant, key: str, host: Any,
                                callback: WebhookReceiver) -> None:
    sid = paired(acme, key)
    acme.call("POST", f"/v1/sessions/{sid}/stop")
    deliver()
    [stopped] = bodies(callback, "disconnected")
    assert stopped == {"dataType": "disconnected", "data": {"reason": "STOPPED"},
                       "sessionId": "shop"}
    assert session_id(acme, "shop") == sid


def test_the_format_by_hand() -> None:
    shape = formats()["wwebjs"]
    now = "2026-01-01T00:00:00Z"
    shop = Session(id="s1", tenant_id="t", name="shop", engine="sandbox",
                   status=SessionStatus.WORKING, phone="+14155550100", created_at=now,
                   updated_at=now)
    status = Event.new(EventType.MESSAGE_STATUS, "t", "s1", {
        "message_id": "01ABC", "chat": "6281288888888@s.whatsapp.net", "status": "failed",
        "from": None, "at": now})
    failed = shape(status, None)
    assert failed["sessionId"] == "s1"  # a deleted session: its id
    assert failed["data"]["message"]["from"] is None
    assert shape(status, shop)["data"]["message"]["from"] == OWN  # the session's number
    assert failed["data"]["ack"] == -1 and failed["data"]["message"]["timestamp"] == 1767225600
    for ours, ack in (("queued", 0), ("sent", 1), ("delivered", 2), ("read", 3),
                      ("played", 4), ("expired", -1), ("canceled", -1)):
        event = Event.new(EventType.MESSAGE_STATUS, "t", "s1", {**status.data, "status": ours})
        assert shape(event, shop)["data"]["ack"] == ack
    voice = Event.new(EventType.MESSAGE_RECEIVED, "t", "s1", {
        "id": "01XYZ", "chat": "4915112345678@s.whatsapp.net", "type": "voice",
        "to": "14155550100@s.whatsapp.net", "created_at": "2026-01-01T00:00:00Z"})
    message = shape(voice, shop)["data"]["message"]
    assert message["type"] == "ptt" and message["hasMedia"] is True and message["body"] == ""
    group = Event.new(EventType.MESSAGE_RECEIVED, "t", "s1", {
        "id": "01GRP", "chat": "120363000000000001@g.us", "type": "text", "text": "hello all",
        "sender": "4915112345678@s.whatsapp.net", "to": "14155550100@s.whatsapp.net"})
    in_group = shape(group, shop)["data"]["message"]
    assert (in_group["from"], in_group["author"]) == ("120363000000000001@g.us", MAX)
    assert in_group["id"]["_serialized"] == f"false_120363000000000001@g.us_01GRP_{MAX}"
    failing = Event.new(EventType.SESSION_STATUS, "t", "s1", {"status": "FAILED",
                                                             "reason": "logged_out"})
    assert shape(failing, shop) == {"dataType": "disconnected",
                                      "data": {"reason": "logged_out"}, "sessionId": "shop"}


def test_a_wwebjs_webhook_carries_only_what_it_has_a_shape_for(
        acme: Tenant, key: str, host: Any, callback: WebhookReceiver) -> None:
    sid = paired(acme, key)
    acme.call("POST", f"/v1/sessions/{sid}/labels", {"name": "VIP", "color": 1})
    deliver()
    assert {b["dataType"] for b in bodies(callback)} <= {"change_state", "ready", "message",
                                                        "message_ack", "disconnected"}
    assert ww(acme, "GET", "/session/status/shop", key).json["success"] is True
