"""/v1/bots through the HTTP API on moto, and bots answering inbound messages through the event
worker: match modes, order and stop, cooldowns, groups, sessions, actions, never twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.domain import clock
from chalicelib.domain.events import Event, EventType
from tests.api.test_optouts import (
    JID,
    PHONE,
    bots_consumer,
    inbound_event,
    sent_to,
    settle,
    write,
)
from tests.conftest import RunningHost, Tenant, assert_error, run_worker, wait_for
from tests.workers.test_workers import invoke, record

OTHER = "+4915198765432"
OTHER_JID = "4915198765432@s.whatsapp.net"


def reply_bot(keywords: list[str], text: str = "Hi {{name}}, you wrote {{text}}",
              **fields: Any) -> dict[str, Any]:
    return {"name": "hello", "match": "exact", "keywords": keywords,
            "action": {"type": "reply", "message": {"text": text}}, **fields}


def make_bot(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    created = tenant.call("POST", "/v1/bots", body)
    assert created.status_code == 201, created.body
    return created.json


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


# --- the resource ---

def test_a_bot_lives_and_dies_through_the_api(acme: Tenant):
    created = make_bot(acme, reply_bot(["hi"], cooldown_seconds=60, order=3, stop=True))
    assert created["webhook_secret"] is None
    assert (created["match"], created["keywords"], created["matches"],
            created["last_matched_at"]) == ("exact", ["hi"], 0, None)
    assert created["action"] == {"type": "reply", "message": {"text":
                                 "Hi {{name}}, you wrote {{text}}"}, "url": None}
    bid = created["id"]
    shown = acme.call("GET", f"/v1/bots/{bid}").json
    assert "webhook_secret" not in shown and shown["stop"] is True
    assert [b["id"] for b in acme.call("GET", "/v1/bots").json["items"]] == [bid]

    patched = acme.call("PATCH", f"/v1/bots/{bid}", {"match": "regex", "keywords": ["^h(i|ey)$"],
                                                     "enabled": False})
    assert patched.status_code == 200, patched.body
    assert (patched.json["match"], patched.json["enabled"], patched.json["cooldown_seconds"]) \
        == ("regex", False, 60)
    assert acme.call("DELETE", f"/v1/bots/{bid}").json == {"deleted": True, "id": bid}
    assert_error(acme.call("GET", f"/v1/bots/{bid}"), 404, "not_found")
    assert_error(acme.call("DELETE", f"/v1/bots/{bid}"), 404, "not_found")


def test_a_webhook_bots_secret_is_shown_once(acme: Tenant, receiver: WebhookReceiver):
    created = make_bot(acme, {"name": "crm", "match": "contains", "keywords": ["order"],
                              "action": {"type": "webhook", "url": receiver.url}})
    assert created["webhook_secret"].startswith("whsec_")
    shown = acme.call("GET", f"/v1/bots/{created['id']}").json
    assert "webhook_secret" not in shown and shown["action"]["url"] == receiver.url


@pytest.mark.parametrize(("change", "field"), [
    ({"match": "regex", "keywords": ["(unclosed"]}, "keywords[0]"),
    ({"match": "regex", "keywords": ["ok", "a{1000}{1000}"]}, "keywords[1]"),
    ({"match": "regex", "keywords": ["a" * 201]}, "keywords[0]"),
    ({"keywords": ["a" * 101]}, "keywords[0]"),
    ({"keywords": []}, "keywords"),
    ({"keywords": [" "]}, "keywords[0]"),
    ({"match": "fuzzy"}, "match"),
    ({"session_ids": ["01NOSUCHSESSION"]}, "session_ids[0]"),
    ({"cooldown_seconds": -1}, "cooldown_seconds"),
    ({"action": {"type": "webhook", "url": "http://169.254.169.254/latest"}}, "action.url"),
    ({"action": {"type": "webhook", "url": "ftp://127.0.0.1/x"}}, "action.url"),
    ({"action": {"type": "webhook"}}, "action.url"),
    ({"action": {"type": "reply"}}, "action.message"),
    ({"action": {"type": "subscribe", "message": {"text": "x"}}}, "action.message"),
    ({"action": {"type": "reply", "message": {"type": "image"}}}, "action.message.image"),
    ({"action": {"type": "reply", "message": {"text": "x", "to": "+14155552671"}}},
     "action.message.to"),
    ({"action": {"type": "reply", "message": {"text": "x", "colour": 1}}},
     "action.message.colour"),
    ({"action": {"type": "reply", "message": {"text": ""}}}, "action.message.text"),
    ({"action": {"type": "reply", "message": {"template_id": "nope"}}},
     "action.message.template_id"),
    ({"action": {"type": "reply", "message": {"type": "image", "image": {
        "base64": "aGk=", "mime_type": "image/png"}}}}, "action.message.image.base64"),
    ({"action": {"type": "launch"}}, "action.type"),
])
def test_bad_bots_are_422_and_change_nothing(acme: Tenant, change: dict, field: str):
    error = assert_error(acme.call("POST", "/v1/bots", {**reply_bot(["hi"]), **change}), 422)
    assert field in [d["field"] for d in error["details"]], error
    assert acme.call("GET", "/v1/bots").json["items"] == []
    bid = make_bot(acme, reply_bot(["hi"]))["id"]
    before = acme.call("GET", f"/v1/bots/{bid}").json
    error = assert_error(acme.call("PATCH", f"/v1/bots/{bid}", change), 422)
    assert field in [d["field"] for d in error["details"]], error
    assert acme.call("GET", f"/v1/bots/{bid}").json == before


def test_another_tenants_bots_are_not_found(acme: Tenant, globex: Tenant):
    bid = make_bot(acme, reply_bot(["hi"]))["id"]
    assert_error(globex.call("GET", f"/v1/bots/{bid}"), 404, "not_found")
    assert_error(globex.call("PATCH", f"/v1/bots/{bid}", {"enabled": False}), 404, "not_found")
    assert_error(globex.call("DELETE", f"/v1/bots/{bid}"), 404, "not_found")
    assert globex.call("GET", "/v1/bots").json["items"] == []
    assert acme.call("GET", f"/v1/bots/{bid}").json["enabled"] is True


def test_members_read_bots_and_owners_change_them(acme: Tenant):
    bid = make_bot(acme, reply_bot(["hi"]))["id"]
    member = acme.member()
    assert member.call("GET", f"/v1/bots/{bid}").status_code == 200
    assert_error(member.call("POST", "/v1/bots", reply_bot(["yo"])), 403, "missing_scope")
    assert_error(member.call("DELETE", f"/v1/bots/{bid}"), 403, "missing_scope")


# --- answering ---

def test_every_match_mode_answers_what_it_should(acme: Tenant, working: str,
                                                 host: RunningHost):
    for mode, keyword in (("exact", "menu"), ("starts_with", "price"),
                          ("contains", "refund"), ("regex", r"^order #\d+$")):
        make_bot(acme, reply_bot([keyword], text=f"{mode}: {{{{text}}}}", match=mode))
    for text in ("MENU", "menu please", "Price of tea?", "what price", "I want a REFUND now",
                 "order #42", "order #4x"):
        write(acme, working, text)
    settle()
    assert sorted(sent_to(host, JID)) == sorted([
        "exact: MENU", "starts_with: Price of tea?", "contains: I want a REFUND now",
        "regex: order #42"])


def test_case_sensitive_bots_answer_only_the_exact_case(acme: Tenant, working: str,
                                                        host: RunningHost):
    make_bot(acme, reply_bot(["Help"], text="yes", case_sensitive=True))
    write(acme, working, "help")
    write(acme, working, "Help")
    settle()
    assert sent_to(host, JID) == ["yes"]


def test_a_reply_fills_from_name_and_text_and_counts_the_match(acme: Tenant, working: str,
                                                               host: RunningHost):
    bid = make_bot(acme, reply_bot(["hi"], text="{{from}} / {{name}} / {{text}} / {{other}}"))["id"]
    write(acme, working, "Hi")
    settle()
    assert sent_to(host, JID) == [f"{PHONE} /  / Hi / {{{{other}}}}"]
    shown = acme.call("GET", f"/v1/bots/{bid}").json
    assert shown["matches"] == 1 and shown["last_matched_at"]
    [matched] = acme.call("GET", "/v1/events?types=bot.matched").json["items"]
    assert matched["data"] | {"reply_message_id": None} == {
        "bot_id": bid, "name": "hello", "message_id": matched["data"]["message_id"],
        "chat": JID, "from": JID, "text": "Hi", "action": "reply", "reply_message_id": None,
        "error": None}
    reply = acme.call("GET", f"/v1/messages/{matched['data']['reply_message_id']}").json
    assert reply["metadata"] == {"bot_id": bid} and reply["chat"] == JID


def test_a_bot_replies_once_when_its_event_is_consumed_twice(acme: Tenant, working: str,
                                                             host: RunningHost):
    from chalicelib.workers.events import handle_events

    bid = make_bot(acme, reply_bot(["hi"], text="hello!"))["id"]
    write(acme, working, "hi")
    event = inbound_event()
    body = event.model_dump(mode="json")
    assert invoke(handle_events, record(body)) == {"batchItemFailures": []}
    assert invoke(handle_events, record(body, receive_count=2)) == {"batchItemFailures": []}
    settle()  # the queue's own copy of the record: a third delivery
    assert sent_to(host, JID) == ["hello!"]
    assert acme.call("GET", f"/v1/bots/{bid}").json["matches"] == 1


def test_a_bot_replies_once_when_two_consumers_race_on_one_event(acme: Tenant, working: str,
                                                                 host: RunningHost):
    bid = make_bot(acme, reply_bot(["hi"], text="hello!"))["id"]
    write(acme, working, "hi")
    event = inbound_event()
    consume = bots_consumer()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            consume(event)
        except BaseException as exc:  # reported below
            errors.append(exc)

    racers = [threading.Thread(target=run) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert errors == []
    consume(event)  # and once more, after both
    settle()
    assert sent_to(host, JID) == ["hello!"]
    assert acme.call("GET", f"/v1/bots/{bid}").json["matches"] == 1
    events = acme.call("GET", "/v1/events?types=bot.matched").json["items"]
    assert len(events) == 1


def test_a_cooldown_holds_per_chat(acme: Tenant, working: str, host: RunningHost):
    bid = make_bot(acme, reply_bot(["hi"], text="hello!", cooldown_seconds=3600))["id"]
    write(acme, working, "hi")
    write(acme, working, "hi")
    write(acme, working, "hi", sender=OTHER)
    settle()
    assert sent_to(host, JID) == ["hello!"]
    assert sent_to(host, OTHER_JID) == ["hello!"]
    assert acme.call("GET", f"/v1/bots/{bid}").json["matches"] == 2


def test_bots_run_in_order_and_stop_ends_the_run(acme: Tenant, working: str,
                                                 host: RunningHost):
    late = make_bot(acme, reply_bot(["hi"], text="second", order=2))
    first = make_bot(acme, reply_bot(["hi"], text="first", order=1))
    write(acme, working, "hi")
    settle()
    assert sent_to(host, JID) == ["first", "second"]
    acme.call("PATCH", f"/v1/bots/{first['id']}", {"stop": True})
    write(acme, working, "hi")
    settle()
    assert sent_to(host, JID) == ["first", "second", "first"]
    assert acme.call("GET", f"/v1/bots/{late['id']}").json["matches"] == 1


def test_a_bot_listens_only_on_its_sessions(acme: Tenant, working: str, host: RunningHost):
    other = acme.call("POST", "/v1/sessions", {"name": "other"}).json["id"]
    make_bot(acme, reply_bot(["hi"], text="other session", session_ids=[other]))
    make_bot(acme, reply_bot(["hi"], text="this session", session_ids=[working]))
    write(acme, working, "hi")
    settle()
    assert sent_to(host, JID) == ["this session"]


def _group_event(acme: Tenant, sid: str, text: str, **data: Any) -> Event:
    """A message.received as a host publishes it for a group message (or ``data``'s)."""
    from chalicelib.domain import ids

    now = clock.now_iso()
    return Event.new(EventType.MESSAGE_RECEIVED, acme.id, sid, {
        "id": ids.new_id(), "session_id": sid, "direction": "inbound",
        "chat": "120363000000000001@g.us", "type": "text", "text": text, "sender": JID,
        "from": JID, "to": "14155550100@s.whatsapp.net", "status": "received",
        "created_at": now, "updated_at": now, **data})


def test_groups_are_answered_only_when_allowed(acme: Tenant, working: str):
    quiet = make_bot(acme, reply_bot(["hi"], text="quiet"))
    loud = make_bot(acme, reply_bot(["hi"], text="loud", allow_groups=True))
    bots_consumer()(_group_event(acme, working, "hi"))
    [reply] = acme.call("GET", f"/v1/messages?session_id={working}").json["items"]
    assert (reply["text"], reply["chat"]) == ("loud", "120363000000000001@g.us")
    assert acme.call("GET", f"/v1/bots/{quiet['id']}").json["matches"] == 0
    assert acme.call("GET", f"/v1/bots/{loud['id']}").json["matches"] == 1


def test_the_sessions_own_messages_are_never_answered(acme: Tenant, working: str):
    make_bot(acme, reply_bot(["hi"], allow_groups=True))
    own = "14155550100@s.whatsapp.net"
    bots_consumer()(_group_event(acme, working, "hi", chat=own, sender=own, **{"from": own}))
    bots_consumer()(_group_event(acme, working, "hi", direction="outbound"))
    assert acme.call("GET", f"/v1/messages?session_id={working}").json["items"] == []


def test_subscribe_and_unsubscribe_bots_keep_the_opt_out_list(acme: Tenant, working: str):
    make_bot(acme, {"name": "out", "match": "contains", "keywords": ["no more offers"],
                    "action": {"type": "unsubscribe"}})
    make_bot(acme, {"name": "in", "match": "contains", "keywords": ["offers again"],
                    "action": {"type": "subscribe"}})
    write(acme, working, "No more offers, thanks")
    run_worker(resources.EVENT_QUEUE)
    [entry] = acme.call("GET", "/v1/opt-outs").json["items"]
    assert (entry["phone"], entry["source"], entry["reason"]) == (PHONE, "bot", "bot out")
    write(acme, working, "send me offers again")
    run_worker(resources.EVENT_QUEUE)
    assert acme.call("GET", "/v1/opt-outs").json["items"] == []


def test_stop_goes_to_the_opt_out_list_not_to_the_bots(acme: Tenant, working: str,
                                                       host: RunningHost):
    bid = make_bot(acme, reply_bot(["stop"], text="bot"))["id"]
    write(acme, working, "STOP")
    settle()
    assert sent_to(host, JID)[0].startswith("You have been unsubscribed")
    assert len(sent_to(host, JID)) == 1
    assert acme.call("GET", f"/v1/bots/{bid}").json["matches"] == 0


def test_a_webhook_bot_posts_bot_matched_signed(acme: Tenant, working: str,
                                                receiver: WebhookReceiver):
    created = make_bot(acme, {"name": "crm", "match": "contains", "keywords": ["order"],
                              "action": {"type": "webhook", "url": receiver.url}})
    receiver.secret = created["webhook_secret"]  # the receiver verifies every signature
    write(acme, working, "Where is my order?")
    run_worker(resources.EVENT_QUEUE)
    run_worker(resources.WEBHOOK_DELIVERIES)
    wait_for(lambda: receiver.received)
    assert receiver.rejected == []
    [posted] = receiver.received
    assert posted["payload"]["type"] == "bot.matched"
    assert posted["payload"]["data"] | {"message_id": None} == {
        "session_id": working, "bot_id": created["id"], "name": "crm", "message_id": None,
        "chat": JID, "from": JID, "text": "Where is my order?", "action": "webhook",
        "reply_message_id": None, "error": None}
