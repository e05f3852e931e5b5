"""/v1/opt-outs through the HTTP API on moto: the list, STOP/START keywords with their
confirmations (once), and marketing sends to opted-out numbers that end failed, opted_out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.bootstrap import container
from chalicelib.domain.events import Event
from tests.conftest import (
    RunningHost,
    Tenant,
    assert_error,
    queue_url,
    receive,
    run_worker,
    wait_for,
)

PHONE = "+4915112345678"
JID = "4915112345678@s.whatsapp.net"


def write(tenant: Tenant, sid: str, text: str, sender: str = PHONE) -> None:
    """The sandbox phone ``sender`` writes to the session; its message.received is queued.
    (Counted, not received: every receive counts towards the queue's move to its DLQ.)"""
    before = queued(resources.EVENT_QUEUE)
    answer = tenant.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
                         {"from": sender, "text": text})
    assert answer.status_code == 200, answer.body
    wait_for(lambda: queued(resources.EVENT_QUEUE) > before)


def queued(queue: resources.Queue) -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(queue), AttributeNames=["ApproximateNumberOfMessages",
                                                   "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


def sent_to(host: RunningHost, jid: str) -> list[str]:
    """The texts the sandbox engine sent to ``jid``."""
    return [out.content.text for _, _, out in host.engine.outbox if str(out.to) == jid]


def settle() -> None:
    """Events to consumers, then the sends they queued."""
    run_worker(resources.EVENT_QUEUE)
    run_worker(resources.OUTBOUND)


def test_the_list_lives_through_the_api(acme: Tenant):
    added = acme.call("POST", "/v1/opt-outs", {"phone": "+14155552671", "reason": "asked"})
    assert added.status_code == 201, added.body
    assert added.json | {"created_at": None} == {
        "phone": "+14155552671", "reason": "asked", "source": "api", "session_id": None,
        "created_at": None}
    again = acme.call("POST", "/v1/opt-outs", {"phone": "14155552671", "reason": "other"})
    assert again.json == added.json  # already listed: the first entry stands
    assert [o["phone"] for o in acme.call("GET", "/v1/opt-outs").json["items"]] == \
        ["+14155552671"]
    removed = acme.call("DELETE", "/v1/opt-outs/14155552671")
    assert removed.status_code == 200 and removed.json["phone"] == "+14155552671"
    assert_error(acme.call("DELETE", "/v1/opt-outs/+14155552671"), 404, "not_found")
    assert acme.call("GET", "/v1/opt-outs").json["items"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"phone": "nope"}, "phone"), ({"phone": "+1"}, "phone"), ({}, "phone"),
    ({"phone": "+14155552671", "reason": "x" * 300}, "reason"),
    ({"phone": "+14155552671", "colour": 1}, "colour"),
])
def test_bad_opt_outs_are_422_and_store_nothing(acme: Tenant, body: dict, field: str):
    error = assert_error(acme.call("POST", "/v1/opt-outs", body), 422)
    assert field in [d["field"] for d in error["details"]], error
    assert acme.call("GET", "/v1/opt-outs").json["items"] == []


def test_settings_have_defaults_and_refuse_bad_keywords(acme: Tenant):
    shown = acme.call("GET", "/v1/opt-outs/settings").json
    assert "STOP" in shown["stop_keywords"] and "START" in shown["start_keywords"]
    assert shown["enabled"] is True and shown["stop_reply"]
    put = acme.call("PUT", "/v1/opt-outs/settings", {"enabled": True, "stop_keywords": ["ALTO"],
                                                     "stop_reply": None})
    assert put.status_code == 200, put.body
    assert (put.json["stop_keywords"], put.json["stop_reply"]) == (["ALTO"], None)
    assert "START" in put.json["start_keywords"]  # left out: the default
    for body, field in (({"stop_keywords": ["!!"]}, "stop_keywords[0]"),
                        ({"stop_keywords": ["go"], "start_keywords": ["GO"]}, "start_keywords"),
                        ({"stop_keywords": ["x"] * 21}, "stop_keywords"),
                        ({"stop_reply": ""}, "stop_reply"), ({"enabled": None}, "enabled")):
        error = assert_error(acme.call("PUT", "/v1/opt-outs/settings",
                                       {"enabled": True, **body}), 422)
        assert field in [d["field"] for d in error["details"]], (body, error)
    assert acme.call("GET", "/v1/opt-outs/settings").json == put.json


def test_another_tenants_opt_outs_are_not_found(acme: Tenant, globex: Tenant):
    acme.call("POST", "/v1/opt-outs", {"phone": "+14155552671"})
    assert globex.call("GET", "/v1/opt-outs").json["items"] == []
    assert_error(globex.call("DELETE", "/v1/opt-outs/+14155552671"), 404, "not_found")
    assert len(acme.call("GET", "/v1/opt-outs").json["items"]) == 1


def test_members_read_the_list_and_owners_change_it(acme: Tenant):
    member = acme.member()
    assert member.call("GET", "/v1/opt-outs").status_code == 200
    assert_error(member.call("POST", "/v1/opt-outs", {"phone": "+14155552671"}), 403,
                 "missing_scope")
    assert_error(member.call("PUT", "/v1/opt-outs/settings", {}), 403, "missing_scope")


def test_stop_opts_out_with_one_confirmation_and_start_opts_back_in(
        acme: Tenant, working: str, host: RunningHost):
    write(acme, working, " Stop! ")
    settle()
    [entry] = acme.call("GET", "/v1/opt-outs").json["items"]
    assert (entry["phone"], entry["source"], entry["session_id"]) == (PHONE, "keyword", working)
    assert sent_to(host, JID) == [
        "You have been unsubscribed and will get no more marketing messages from us. Reply "
        "START to subscribe again."]

    write(acme, working, "start")
    settle()
    assert acme.call("GET", "/v1/opt-outs").json["items"] == []
    assert sent_to(host, JID)[-1] == "You are subscribed again. Reply STOP to unsubscribe."


def inbound_event() -> Event:
    """The message.received event waiting in the events queue (left there)."""
    def find() -> Event | None:
        for record in receive(resources.EVENT_QUEUE):
            body = json.loads(record["Body"])
            if body.get("type") == "message.received":
                return Event.model_validate(body)
        return None

    return wait_for(find)


def bots_consumer() -> Callable[[Event], None]:
    """The event worker's ``bots`` consumer of message.received."""
    from chalicelib.workers.events import consumers_of

    return next(x.handle for x in consumers_of("message.received", container())
                if x.name == "bots")


def test_a_stop_event_consumed_twice_confirms_once(acme: Tenant, working: str,
                                                  host: RunningHost):
    write(acme, working, "STOP")
    event = inbound_event()
    bots_consumer()(event)  # it ran, then its record came back before it was marked done
    settle()
    assert len(sent_to(host, JID)) == 1
    assert len(acme.call("GET", "/v1/opt-outs").json["items"]) == 1


def test_keywords_can_be_turned_off(acme: Tenant, working: str, host: RunningHost):
    acme.call("PUT", "/v1/opt-outs/settings", {"enabled": False})
    write(acme, working, "STOP")
    settle()
    assert acme.call("GET", "/v1/opt-outs").json["items"] == []
    assert sent_to(host, JID) == []


def _send(acme: Tenant, sid: str, **fields: Any) -> dict[str, Any]:
    answer = acme.call("POST", "/v1/messages", {"session_id": sid, "to": PHONE, "text": "Sale!",
                                                **fields})
    assert answer.status_code == 202, answer.body
    return answer.json


def test_a_marketing_send_to_an_opted_out_number_fails_and_is_never_sent(
        acme: Tenant, working: str, host: RunningHost):
    acme.call("POST", "/v1/opt-outs", {"phone": PHONE})
    marketing = _send(acme, working, category="marketing")
    transactional = _send(acme, working, text="Your order shipped")
    run_worker(resources.OUTBOUND)
    shown = acme.call("GET", f"/v1/messages/{marketing['id']}").json
    assert (shown["status"], shown["category"], shown["error"]["code"]) == (
        "failed", "marketing", "opted_out")
    assert shown["history"][-1]["reason"] == "opted_out"
    wait_for(lambda: acme.call("GET", f"/v1/messages/{transactional['id']}").json["status"]
             in ("sent", "delivered", "read"))
    time.sleep(0.1)
    assert sent_to(host, JID) == ["Your order shipped"]


def test_a_marketing_send_to_anyone_else_goes(acme: Tenant, working: str, host: RunningHost):
    acme.call("POST", "/v1/opt-outs", {"phone": "+14155552671"})
    sent = _send(acme, working, category="marketing")
    run_worker(resources.OUTBOUND)
    wait_for(lambda: acme.call("GET", f"/v1/messages/{sent['id']}").json["status"]
             in ("sent", "delivered", "read"))
    assert sent_to(host, JID) == ["Sale!"]


def test_category_is_checked(acme: Tenant, working: str):
    error = assert_error(acme.call("POST", "/v1/messages", {
        "session_id": working, "to": PHONE, "text": "x", "category": "spam"}), 422)
    assert [d["field"] for d in error["details"]] == ["category"]
