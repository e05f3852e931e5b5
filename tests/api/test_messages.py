"""Sending text and reading messages: API → outbound queue → send worker → host → receipts."""

from __future__ import annotations

import json

import pytest

from chalicelib import resources
from tests.conftest import Tenant, assert_error, receive, run_worker, wait_for


def _send(tenant: Tenant, sid: str, to: str = "+14155552671", text: str = "hello") -> dict:
    response = tenant.call("POST", "/v1/messages", {"session_id": sid, "to": to, "text": text})
    assert response.status_code == 202, response.body
    return response.json


def _message(tenant: Tenant, mid: str) -> dict:
    return tenant.call("GET", f"/v1/messages/{mid}").json


def test_text_goes_queued_sent_delivered_read(acme: Tenant, working: str):
    accepted = _send(acme, working, to="+1 (415) 555-2671")
    assert accepted["status"] == "queued"
    assert accepted["to"] == "14155552671@s.whatsapp.net"
    assert _message(acme, accepted["id"])["status"] == "queued"
    assert run_worker(resources.OUTBOUND) == 1
    read = wait_for(lambda: (m := _message(acme, accepted["id"]))["status"] == "read" and m)
    assert [h["status"] for h in read["history"]] == ["queued", "sending", "sent",
                                                      "delivered", "read"]
    assert set(read["timestamps"]) == {"queued", "sending", "sent", "delivered", "read"}
    assert read["engine_message_id"]
    # The host publishes each status right after writing it: the last may still be on its way.
    def published() -> list[str] | None:
        statuses = [json.loads(m["Body"])["data"]["status"]
                    for m in receive(resources.EVENT_QUEUE)  # they stay in the queue
                    if json.loads(m["Body"])["type"] == "message.status"]
        return statuses if len(statuses) >= 3 else None

    statuses = wait_for(published)
    assert statuses == ["sent", "delivered", "read"]


def test_queue_redelivery_never_sends_twice(acme: Tenant, working: str, host):
    accepted = _send(acme, working)
    record = receive(resources.OUTBOUND)[0]
    from chalicelib.adapters import aws
    from tests.conftest import queue_url
    # The same record arrives a second time (SQS at-least-once).
    aws.client("sqs").send_message(QueueUrl=queue_url(resources.OUTBOUND),
                                   MessageBody=record["Body"])
    assert run_worker(resources.OUTBOUND) == 2
    wait_for(lambda: _message(acme, accepted["id"])["status"] == "read")
    history = [h["status"] for h in _message(acme, accepted["id"])["history"]]
    assert history.count("sent") == 1 and history.count("sending") == 1


def test_inbound_message_is_stored_and_listed(acme: Tenant, working: str):
    response = acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
                         {"from": "+4915112345678", "text": "hi there", "push_name": "Max"})
    assert response.status_code == 200
    listed = acme.call("GET", f"/v1/messages?session_id={working}").json["items"]
    assert len(listed) == 1
    inbound = listed[0]
    assert inbound["direction"] == "inbound" and inbound["status"] == "received"
    assert inbound["chat"] == "4915112345678@s.whatsapp.net"
    assert inbound["sender_phone"] == "+4915112345678" and inbound["push_name"] == "Max"
    events = [json.loads(m["Body"]) for m in receive(resources.EVENT_QUEUE)]
    received = [e for e in events if e["type"] == "message.received"]
    assert received[0]["data"]["text"] == "hi there"


def test_list_newest_first_with_chat_filter_and_cursor(acme: Tenant, working: str):
    first = _send(acme, working, to="+14155552671", text="one")
    second = _send(acme, working, to="+14155552671", text="two")
    other = _send(acme, working, to="+4915112345678", text="three")
    everything = acme.call("GET", "/v1/messages").json["items"]
    assert [m["id"] for m in everything] == [other["id"], second["id"], first["id"]]
    chat = acme.call("GET", f"/v1/messages?session_id={working}&chat=%2B14155552671&limit=1").json
    assert [m["id"] for m in chat["items"]] == [second["id"]]
    rest = acme.call("GET", f"/v1/messages?session_id={working}&chat=14155552671@c.us"
                            f"&cursor={chat['next_cursor']}").json
    assert [m["id"] for m in rest["items"]] == [first["id"]]
    assert_error(acme.call("GET", "/v1/messages?chat=%2B14155552671"), 422)


@pytest.mark.parametrize("to", ["hello", "+1", "12@unknown.net", "abc@g.us", ""])
def test_bad_recipient_is_422_naming_to(acme: Tenant, working: str, to: str):
    error = assert_error(acme.call("POST", "/v1/messages",
                                   {"session_id": working, "to": to, "text": "x"}), 422)
    assert error["details"][0]["field"] == "to"
    assert acme.call("GET", "/v1/messages").json["items"] == []
    assert receive(resources.OUTBOUND) == []


def test_send_validation(acme: Tenant, working: str):
    error = assert_error(acme.call("POST", "/v1/messages",
                                   {"session_id": "nope", "to": "+14155552671", "text": "x"}), 422)
    assert error["details"][0]["field"] == "session_id"
    error = assert_error(acme.call("POST", "/v1/messages",
                                   {"session_id": working, "to": "+14155552671", "text": ""}), 422)
    assert error["details"][0]["field"] == "text"
    error = assert_error(acme.call("POST", "/v1/messages",
                                   {"session_id": working, "to": "+14155552671"}), 422)
    assert error["details"][0]["field"] == "text"


def test_unknown_message_is_404(acme: Tenant):
    assert_error(acme.call("GET", "/v1/messages/01HZZZZZZZZZZZZZZZZZZZZZZZ"), 404)
