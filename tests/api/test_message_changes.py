"""A contact reacts to, edits or deletes for everyone a message on WhatsApp: the tenant's
webhook gets ``message.reaction``, ``message.edited`` and ``message.revoked`` with our message
id, and the message shows the edit and the delete. Played through the sandbox's phone API on
moto, end to end (host, event worker, webhook delivery)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.domain import ids
from tests.conftest import Tenant, assert_error, run_worker, wait_for
from tests.workers.test_webhooks import deliver

CONTACT = "+14155552671"
CONTACT_JID = "14155552671@s.whatsapp.net"
# Who a change is from and to, and the contact's LID (the sandbox gives this number one).
PARTIES = {"from": CONTACT_JID, "to": "14155550100@s.whatsapp.net",
           "lid": f"{10**15 + 7 * 14155552671}@lid"}
STRANGER = "+4915112345678"
SANDBOX = "/v1/sandbox/sessions/{sid}/{action}"


@pytest.fixture
def receiver(acme: Tenant) -> Iterator[WebhookReceiver]:
    """A webhook receiver subscribed to acme's reactions, edits and deletes."""
    server = WebhookReceiver()
    created = acme.call("POST", "/v1/webhooks", {
        "url": server.url, "events": ["message.reaction", "message.edited", "message.revoked"]})
    assert created.status_code == 201, created.body
    server.secret = created.json["secret"]
    yield server
    server.close()


def _play(tenant: Tenant, sid: str, action: str, body: dict[str, Any]) -> Any:
    return tenant.call("POST", SANDBOX.format(sid=sid, action=action), body)


def _sent(tenant: Tenant, sid: str, to: str = CONTACT) -> dict[str, Any]:
    """A message the session sent (on WhatsApp: it has an engine id)."""
    mid = tenant.call("POST", "/v1/messages", {"session_id": sid, "to": to,
                                               "text": "your order shipped"}).json["id"]
    run_worker(resources.OUTBOUND)
    return wait_for(lambda: (m := tenant.call("GET", f"/v1/messages/{mid}").json)
                    ["engine_message_id"] and m)


def _inbound(tenant: Tenant, sid: str, text: str = "helo, where is it?",
             sender: str = CONTACT) -> dict[str, Any]:
    """A message the contact wrote to the session."""
    written = _play(tenant, sid, "inbound", {"from": sender, "text": text})
    assert written.status_code == 200, written.body
    engine_id = written.json["engine_message_id"]
    return next(m for m in tenant.call("GET", "/v1/messages?limit=100").json["items"]
                if m["engine_message_id"] == engine_id)


def test_a_reaction_and_its_removal_reach_the_webhook(acme: Tenant, working: str,
                                                      receiver: WebhookReceiver):
    sent = _sent(acme, working)
    for emoji in ("👍", ""):
        reacted = _play(acme, working, "react", {"from": CONTACT, "message_id": sent["id"],
                                                  "emoji": emoji})
        assert reacted.status_code == 200, reacted.body
        assert reacted.json["status"] == "WORKING"
    deliver()
    assert receiver.rejected == []
    reactions = receiver.of_type("message.reaction")
    assert sorted(e["data"]["reaction"] for e in reactions) == ["", "👍"]
    for event in reactions:
        assert event["data"]["message_id"] == sent["id"]
        assert event["data"]["engine_message_id"] == sent["engine_message_id"]
        assert (event["data"]["chat"], event["data"]["sender"]) == (CONTACT_JID, CONTACT_JID)
        assert event["data"]["at"]
    # A reaction is not stored on the message.
    shown = acme.call("GET", f"/v1/messages/{sent['id']}").json
    assert (shown["text"], shown["edited_at"], shown["revoked_at"]) == (
        "your order shipped", None, None)


def test_a_contact_reacts_to_its_own_message_too(acme: Tenant, working: str,
                                                 receiver: WebhookReceiver):
    inbound = _inbound(acme, working)
    assert _play(acme, working, "react", {"from": CONTACT, "message_id": inbound["id"],
                                          "emoji": "👨🏽‍👩🏽‍👧🏽‍👦🏽"}).status_code == 200
    deliver()
    [event] = receiver.of_type("message.reaction")
    assert (event["data"]["message_id"], event["data"]["reaction"]) == (
        inbound["id"], "👨🏽‍👩🏽‍👧🏽‍👦🏽")  # 41 bytes


def test_an_edit_reaches_the_webhook_and_the_message(acme: Tenant, working: str,
                                                     receiver: WebhookReceiver):
    inbound = _inbound(acme, working)
    edited = _play(acme, working, "edit", {"from": CONTACT, "message_id": inbound["id"],
                                           "text": "hello, where is it?"})
    assert edited.status_code == 200, edited.body
    shown = acme.call("GET", f"/v1/messages/{inbound['id']}").json
    assert shown["text"] == "hello, where is it?"
    assert shown["content"]["text"] == "hello, where is it?"
    assert shown["edited_at"] and shown["revoked_at"] is None
    assert shown["status"] == "received"
    deliver()
    [event] = receiver.of_type("message.edited")
    assert event["data"] == {"session_id": working, "message_id": inbound["id"],
                             "chat": CONTACT_JID,
                             "engine_message_id": inbound["engine_message_id"],
                             "sender": CONTACT_JID, "text": "hello, where is it?",
                             "at": shown["edited_at"], **PARTIES}


def test_a_delete_for_everyone_reaches_the_webhook_and_the_message(acme: Tenant, working: str,
                                                                   receiver: WebhookReceiver):
    inbound = _inbound(acme, working)
    revoked = _play(acme, working, "revoke", {"from": CONTACT, "message_id": inbound["id"]})
    assert revoked.status_code == 200, revoked.body
    shown = acme.call("GET", f"/v1/messages/{inbound['id']}").json
    assert shown["revoked_at"] and shown["text"] == "helo, where is it?"
    deliver()
    [event] = receiver.of_type("message.revoked")
    assert event["data"] == {"session_id": working, "message_id": inbound["id"],
                             "chat": CONTACT_JID,
                             "engine_message_id": inbound["engine_message_id"],
                             "sender": CONTACT_JID, "at": shown["revoked_at"], **PARTIES}
    assert receiver.types() == ["message.revoked"]


def test_the_phone_changes_only_what_it_may(acme: Tenant, working: str,
                                            receiver: WebhookReceiver):
    sent, inbound = _sent(acme, working), _inbound(acme, working)
    # Nobody edits or deletes someone else's message, and a phone sees only its own chat.
    for action, body in (("edit", {"text": "mine now"}), ("revoke", {})):
        assert_error(_play(acme, working, action, {"from": CONTACT, "message_id": sent["id"],
                                                   **body}), 409, "not_own_message")
    assert_error(_play(acme, working, "react", {"from": STRANGER, "message_id": inbound["id"],
                                                "emoji": "👍"}), 409, "not_in_chat")
    # A message still queued is not on WhatsApp: nothing to react to.
    queued = acme.call("POST", "/v1/messages", {"session_id": working, "to": CONTACT,
                                                "text": "later"}).json["id"]
    assert_error(_play(acme, working, "react", {"from": CONTACT, "message_id": queued,
                                                "emoji": "👍"}), 409, "not_sent")
    deliver()
    assert receiver.received == []
    assert acme.call("GET", f"/v1/messages/{sent['id']}").json["text"] == "your order shipped"


@pytest.mark.parametrize(("action", "body", "field"), [
    ("react", {"emoji": "👍" * 17}, "emoji"),  # 17 characters, 68 bytes
    ("react", {"emoji": 5}, "emoji"),
    ("react", {"emoji": "👍\n👎"}, "emoji"),
    ("react", {}, "emoji"),
    ("edit", {"text": "x" * 65_537}, "text"),
    ("edit", {"text": "é" * 40_000}, "text"),  # 40,000 characters, 80,000 bytes
    ("edit", {"text": ""}, "text"),
    ("edit", {"text": "ok", "caption": "no"}, "caption"),
    ("revoke", {"emoji": "👍"}, "emoji"),
    ("revoke", {"from": None}, "from"),
    ("revoke", {"message_id": "x" * 65}, "message_id"),
])
def test_bad_changes_are_422_and_change_nothing(acme: Tenant, working: str,
                                                receiver: WebhookReceiver, action: str,
                                                body: dict[str, Any], field: str):
    inbound = _inbound(acme, working)
    error = assert_error(_play(acme, working, action, {
        "from": CONTACT, "message_id": inbound["id"], **body}), 422)
    assert field in [d["field"] for d in error["details"]], error
    assert acme.call("GET", f"/v1/messages/{inbound['id']}").json == inbound
    deliver()
    assert receiver.received == []


def test_unknown_and_foreign_messages_are_404(acme: Tenant, globex: Tenant, working: str,
                                              receiver: WebhookReceiver):
    inbound = _inbound(acme, working)
    unknown = assert_error(_play(acme, working, "react", {
        "from": CONTACT, "message_id": ids.new_id(), "emoji": "👍"}), 404, "not_found")
    # acme's message through another session, even acme's own: not found either.
    other = acme.call("POST", "/v1/sessions", {"name": "other", "start": False}).json["id"]
    assert assert_error(_play(acme, other, "react", {
        "from": CONTACT, "message_id": inbound["id"], "emoji": "👍"}), 404) == unknown
    # globex names acme's message through its own working session.
    own = globex.call("POST", "/v1/sessions", {"name": "globex"}).json["id"]
    wait_for(lambda: globex.call("GET", f"/v1/sessions/{own}").json["status"] == "SCAN_QR")
    assert _play(globex, own, "scan", {}).status_code == 200
    for action, extra in (("react", {"emoji": "👍"}), ("edit", {"text": "x"}), ("revoke", {})):
        answer = _play(globex, own, action, {"from": CONTACT, "message_id": inbound["id"],
                                             **extra})
        assert assert_error(answer, 404) == unknown
    assert acme.call("GET", f"/v1/messages/{inbound['id']}").json == inbound
    deliver()
    assert receiver.received == []
