"""The whatsapp-web.js REST wrapper's sends and messages through ``/compat/wwebjs``:
``client/sendMessage`` with each ``contentType`` (the wrapper's own examples), ``message/*``,
``chat/fetchMessages|clearMessages`` and ``client/searchMessages``, in whatsapp-web.js's
``Message`` shape with its ``ack`` numbers and the wrapper's ``{"success", "error"}``."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from chalicelib import resources
from tests.conftest import Tenant, call, run_worker, static_site, wait_for
from tests.samples import png

BASE = "/compat/wwebjs"
SID = "shop"  # the ``working`` session's name: the wrapper's {sessionId}
CHAT = "6281288888888@c.us"  # the document's chatId
ALL = ["messages:send", "messages:read", "chats:read", "chats:write"]
# The wrapper's own sendMessage examples (its swagger), one per contentType.
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5C"
         "YII=")
EXAMPLES: dict[str, Any] = {
    "string": "Hello World!",
    "MessageMedia": {"mimetype": "image/jpeg", "data": PIXEL, "filename": "image.jpg"},
    "Location": {"latitude": -6.2, "longitude": 106.8, "description": "Jakarta"},
    "Contact": {"contactId": "6281288888889@c.us"},
    "Poll": {"pollName": "Cats or Dogs?", "pollOptions": ["Cats", "Dogs"],
             "options": {"allowMultipleAnswers": True}},
    "List": {"body": "Hello World!", "buttonText": "Hello World!",
             "sections": [{"title": "sectionTitle", "rows": [
                 {"id": "customId", "title": "ListItem2", "description": "desc"},
                 {"title": "ListItem2"}]}],
             "title": "Hello World!", "footer": "Hello World!"},
}
TYPES = {"string": "chat", "MessageMedia": "image", "Location": "location", "Contact": "vcard",
         "Poll": "poll_creation", "List": "list"}


def ww(tenant: Tenant, path: str, key: str | None, body: Any = None,
       method: str = "POST") -> Any:
    """A call as the wrapper's clients make it: the key in ``x-api-key``."""
    return call(tenant.client, method, f"{BASE}{path}", None, body,
                headers={"x-api-key": key} if key else {})


def paired(tenant: Tenant) -> str:
    """A WORKING session of ``tenant`` with the same name as acme's (``SID``)."""
    sid = tenant.call("POST", "/v1/sessions", {"name": SID}).json["id"]
    wait_for(lambda: tenant.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    tenant.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+4930123456"})
    wait_for(lambda: tenant.call("GET", f"/v1/sessions/{sid}").json["status"] == "WORKING")
    return sid


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, (response.status_code, response.body)
    assert response.json["success"] is True
    return response.json  # type: ignore[no-any-return]


def failed(response: Any, status: int) -> str:
    """The wrapper's error body, exactly ``{"success": false, "error": "…"}``; its text."""
    assert response.status_code == status, (response.status_code, response.body)
    assert set(response.json) == {"success", "error"} and response.json["success"] is False
    return response.json["error"]  # type: ignore[no-any-return]


def send(tenant: Tenant, key: str, content: Any = "Hello World!", content_type: str = "string",
         chat: str = CHAT, **extra: Any) -> dict[str, Any]:
    return ok(ww(tenant, f"/client/sendMessage/{SID}", key, {
        "chatId": chat, "contentType": content_type, "content": content, **extra}))["message"]


def ref(message: dict[str, Any]) -> dict[str, str]:
    """The body the document's message/* samples send, for this message."""
    return {"chatId": message["id"]["remote"], "messageId": message["id"]["id"]}


def sent(tenant: Tenant, key: str, **kwargs: Any) -> dict[str, Any]:
    """A message sent and handed to WhatsApp (the send worker ran)."""
    message = send(tenant, key, **kwargs)
    run_worker(resources.OUTBOUND)
    return message


def fetch(tenant: Tenant, key: str, message: dict[str, Any]) -> dict[str, Any]:
    return ok(ww(tenant, f"/message/getClassInfo/{SID}", key, ref(message)))["message"]


def test_send_string_answers_a_pending_message_whose_ack_climbs(acme: Tenant,
                                                                working: str) -> None:
    key = acme.api_key(ALL)
    message = send(acme, key)  # the document's own request sample
    mine = message["id"]["id"]
    assert message["id"] == {"fromMe": True, "remote": CHAT, "id": mine,
                             "_serialized": f"true_{CHAT}_{mine}"}
    assert {k: message[k] for k in ("ack", "body", "type", "from", "to", "fromMe", "hasMedia",
                                    "hasQuotedMsg", "isForwarded")} == {
        "ack": 0, "body": "Hello World!", "type": "chat", "from": "14155550100@c.us",
        "to": CHAT, "fromMe": True, "hasMedia": False, "hasQuotedMsg": False,
        "isForwarded": False}
    assert isinstance(message["timestamp"], int) and message["timestamp"] > 1_600_000_000
    run_worker(resources.OUTBOUND)
    # The sandbox phone gets it, then reads it: the acks of whatsapp-web.js, DEVICE then READ.
    wait_for(lambda: fetch(acme, key, message)["ack"] == 3)
    assert acme.call("GET", f"/v1/messages/{mine}").json["status"] == "read"
    # A number alone names the chat too.
    assert send(acme, key, chat="6281288888888")["to"] == CHAT


@pytest.mark.parametrize("content_type", list(EXAMPLES))
def test_every_content_type_of_the_wrappers_examples_is_sent(acme: Tenant, working: str,
                                                             content_type: str) -> None:
    key = acme.api_key(ALL)
    message = send(acme, key, EXAMPLES[content_type], content_type)
    assert message["type"] == TYPES[content_type]
    stored = acme.call("GET", f"/v1/messages/{message['id']['id']}").json
    assert stored["status"] == "queued"
    if content_type == "Location":
        assert message["location"] == {"latitude": -6.2, "longitude": 106.8,
                                       "description": "Jakarta"}
    if content_type == "Contact":
        assert "waid=6281288888889" in message["vCards"][0]
    if content_type == "Poll":
        assert {k: stored["content"][k] for k in ("question", "options", "multiple")} == {
            "question": "Cats or Dogs?", "options": ["Cats", "Dogs"], "multiple": True}
        assert message["body"] == "Cats or Dogs?"
    if content_type == "List":  # a row without an id gets one
        rows = stored["content"]["sections"][0]["rows"]
        assert [r["id"] for r in rows] == ["customId", "0-1"]
    if content_type == "MessageMedia":
        assert message["hasMedia"] is True


def test_media_from_url_and_with_options(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    with static_site({"/qr.png": (png(), "image/png")}) as site:
        message = send(acme, key, f"{site}/qr.png", "MessageMediaFromURL",
                       options={"caption": "Scan me"})
    assert (message["type"], message["body"], message["hasMedia"]) == ("image", "Scan me", True)
    document = send(acme, key, EXAMPLES["MessageMedia"], "MessageMedia",
                    options={"sendMediaAsDocument": True})
    assert document["type"] == "document"
    captioned = send(acme, key, "A caption", options={"media": {"mimetype": "image/png",
                                                                "data": PIXEL}})
    assert (captioned["type"], captioned["body"]) == ("image", "A caption")


def test_buttons_and_unknown_content_types_are_refused_clearly(acme: Tenant,
                                                                working: str) -> None:
    key = acme.api_key(ALL)
    buttons = {"body": "Hello World!", "buttons": [{"body": "button 1"}],
               "title": "Hello World!", "footer": "Hello World!"}
    text = failed(ww(acme, f"/client/sendMessage/{SID}", key, {
        "chatId": CHAT, "contentType": "Buttons", "content": buttons}), 422)
    assert "no longer offered by WhatsApp" in text and "Poll" in text
    assert "contentType invalid" in failed(ww(acme, f"/client/sendMessage/{SID}", key, {
        "chatId": CHAT, "contentType": "Sticker", "content": "x"}), 404)
    assert acme.call("GET", "/v1/messages").json["items"] == []


def test_bad_sends_are_the_wrappers_4xx_and_store_nothing(acme: Tenant, globex: Tenant,
                                                          working: str) -> None:
    key = acme.api_key(ALL)
    path = f"/client/sendMessage/{SID}"
    assert "chatId" in failed(ww(acme, path, key, {"contentType": "string", "content": "x"}),
                              422)
    assert "content" in failed(ww(acme, path, key, {"chatId": CHAT, "contentType": "string"}),
                               422)
    assert "content.latitude" in failed(ww(acme, path, key, {
        "chatId": CHAT, "contentType": "Location", "content": {"latitude": 100,
                                                                "longitude": 1}}), 422)
    assert "content.pollOptions" in failed(ww(acme, path, key, {
        "chatId": CHAT, "contentType": "Poll", "content": {"pollName": "Q?"}}), 422)
    assert "content" in failed(ww(acme, path, key, {
        "chatId": CHAT, "contentType": "MessageMedia", "content": {"mimetype": "image/png",
                                                                    "data": "@@not base64"}}),
        422)
    no_button = {k: v for k, v in EXAMPLES["List"].items() if k != "buttonText"}
    assert failed(ww(acme, path, key, {"chatId": CHAT, "contentType": "List",
                                       "content": no_button}), 422).startswith(
        "content.buttonText:")
    assert failed(ww(acme, path, key, {"chatId": CHAT, "contentType": "Poll", "content": {
        "pollName": "Q?", "pollOptions": ["only one"]}}), 422).startswith("content.pollOptions")
    assert failed(ww(acme, path, key, {"chatId": CHAT, "contentType": "string",
                                       "content": "x" * 70_000}), 422).startswith("content:")
    failed(ww(acme, path, key, {"chatId": "not a chat", "contentType": "string",
                                "content": "x"}), 422)
    failed(ww(acme, path, key, {"chatId": CHAT, "contentType": "string", "content": "x",
                                "options": "{not json"}), 422)
    assert acme.call("GET", "/v1/messages").json["items"] == []
    # Another tenant has no session of that name; a key without the scope is refused.
    failed(ww(globex, path, globex.api_key(ALL), {"chatId": CHAT, "contentType": "string",
                                                  "content": "x"}), 404)
    assert "messages:send" in failed(ww(acme, path, acme.api_key(["messages:read"]), {
        "chatId": CHAT, "contentType": "string", "content": "x"}), 403)
    assert failed(ww(acme, path, None, {"chatId": CHAT, "contentType": "string",
                                        "content": "x"}), 403) == "Invalid API key"


def test_a_message_is_found_by_any_of_its_ids_and_only_in_its_chat(
        acme: Tenant, globex: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    message = sent(acme, key)
    whatsapp_id = acme.call("GET", f"/v1/messages/{message['id']['id']}").json[
        "engine_message_id"]
    for given in (message["id"]["id"], message["id"]["_serialized"], whatsapp_id):
        found = ok(ww(acme, f"/message/getClassInfo/{SID}", key,
                      {"chatId": CHAT, "messageId": given}))["message"]
        assert found["id"] == message["id"]
    # The document's sample names a message nobody has.
    assert failed(ww(acme, f"/message/getClassInfo/{SID}", key,
                     {"chatId": CHAT, "messageId": "ABCDEF999999999"}), 404) \
        == "Message not Found"
    failed(ww(acme, f"/message/getClassInfo/{SID}", key,
              {"chatId": "6281288888889@c.us", "messageId": message["id"]["id"]}), 404)
    failed(ww(acme, f"/message/getClassInfo/{SID}", key, {"chatId": CHAT}), 422)
    paired(globex)
    assert failed(ww(globex, f"/message/getClassInfo/{SID}", globex.api_key(ALL),
                     ref(message)), 404) == "Message not Found"
    failed(ww(acme, f"/message/getClassInfo/{SID}", acme.api_key(["messages:send"]),
              ref(message)), 403)


def test_react_reply_quote_star_forward_and_info(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    message = sent(acme, key)
    # The document's react sample carries no reaction: it takes the session's back.
    assert ok(ww(acme, f"/message/react/{SID}", key, ref(message))) == {"success": True}
    ok(ww(acme, f"/message/react/{SID}", key, {**ref(message), "reaction": "👍"}))
    reactions = [m for m in acme.call("GET", "/v1/messages").json["items"]
                 if m["type"] == "reaction"]
    assert sorted(m["content"]["emoji"] for m in reactions) == ["", "👍"]
    answer = ok(ww(acme, f"/message/reply/{SID}", key, {**ref(message), "content": "Re!"}))
    replied = answer["repliedMessage"]
    assert (replied["body"], replied["hasQuotedMsg"], replied["to"]) == ("Re!", True, CHAT)
    quoted = ok(ww(acme, f"/message/getQuotedMessage/{SID}", key, ref(replied)))
    assert quoted["quotedMessage"]["id"] == message["id"]
    assert ok(ww(acme, f"/message/getQuotedMessage/{SID}", key, ref(message))) == {
        "success": True, "quotedMessage": None}
    failed(ww(acme, f"/message/reply/{SID}", key, ref(message)), 422)  # nothing to say
    quoting = send(acme, key, "Quoting", options={"quotedMessageId":
                                                  message["id"]["_serialized"]})
    assert quoting["hasQuotedMsg"] is True
    assert failed(ww(acme, f"/client/sendMessage/{SID}", key, {
        "chatId": CHAT, "contentType": "string", "content": "x",
        "options": {"quotedMessageId": "ABCDEF999999999"}}), 404) == "Message not Found"
    ok(ww(acme, f"/message/star/{SID}", key, ref(message)))
    assert fetch(acme, key, message)["isStarred"] is True
    ok(ww(acme, f"/message/unstar/{SID}", key, ref(message)))
    assert fetch(acme, key, message)["isStarred"] is False
    other = "6281288888889@c.us"
    ok(ww(acme, f"/message/forward/{SID}", key, {**ref(message), "destinationChatId": other}))
    forwarded = acme.call("GET", "/v1/messages?limit=1").json["items"][0]
    assert (forwarded["chat"], forwarded["text"]) == ("6281288888889@s.whatsapp.net",
                                                      "Hello World!")
    failed(ww(acme, f"/message/forward/{SID}", key, ref(message)), 422)
    info = ok(ww(acme, f"/message/getInfo/{SID}", key, ref(message)))["info"]
    assert set(info) == {"delivery", "deliveryRemaining", "read", "readRemaining", "played",
                         "playedRemaining"}
    if info["delivery"]:
        assert info["delivery"][0]["id"]["_serialized"] == CHAT
    assert ok(ww(acme, f"/message/getMentions/{SID}", key, ref(message))) == {
        "success": True, "contacts": []}


def test_mentions_order_payment_media_and_delete(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    message = sent(acme, key, content="Hi @6281288888889",
                   options={"mentions": ["6281288888889@c.us"]})
    assert message["mentionedIds"] == ["6281288888889@c.us"]
    contacts = ok(ww(acme, f"/message/getMentions/{SID}", key, ref(message)))["contacts"]
    assert [c["id"]["_serialized"] for c in contacts] == ["6281288888889@c.us"]
    assert "not an order" in failed(ww(acme, f"/message/getOrder/{SID}", key, ref(message)),
                                    404)
    assert "not a payment" in failed(ww(acme, f"/message/getPayment/{SID}", key,
                                        ref(message)), 404)
    assert "no media" in failed(ww(acme, f"/message/downloadMedia/{SID}", key, ref(message)),
                                404)
    picture = sent(acme, key, content=EXAMPLES["MessageMedia"], content_type="MessageMedia")
    media = ok(ww(acme, f"/message/downloadMedia/{SID}", key, ref(picture)))["messageMedia"]
    assert base64.b64decode(media["data"]) == base64.b64decode(PIXEL)
    assert (media["mimetype"], media["filesize"]) == ("image/png", len(base64.b64decode(PIXEL)))
    # The document's delete sample deletes for this session only: not offered, said so.
    assert "everyone" in failed(ww(acme, f"/message/delete/{SID}", key, ref(message)), 422)
    ok(ww(acme, f"/message/delete/{SID}", key, {**ref(message), "everyone": True}))
    gone = fetch(acme, key, message)
    assert (gone["type"], gone["body"]) == ("revoked", "")


def test_inbound_messages_fetch_search_and_clear(acme: Tenant, globex: Tenant,
                                                 working: str) -> None:
    key = acme.api_key(ALL)
    sent(acme, key, content="Hello from the shop")
    paired(globex)
    assert ok(ww(globex, f"/chat/fetchMessages/{SID}", globex.api_key(ALL),
                 {"chatId": CHAT}))["messages"] == []
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": "+6281288888888", "text": "Hello, is it in stock?"})
    wait_for(lambda: acme.call("GET", "/v1/messages?limit=1").json["items"][0]["direction"]
             == "inbound")
    # The document's sample sends its searchOptions as the string "{}".
    messages = ok(ww(acme, f"/chat/fetchMessages/{SID}", key,
                     {"chatId": CHAT, "searchOptions": "{}"}))["messages"]
    assert [m["body"] for m in messages] == ["Hello from the shop", "Hello, is it in stock?"]
    inbound = messages[1]
    assert (inbound["fromMe"], inbound["from"], inbound["to"], inbound["ack"]) == (
        False, CHAT, "14155550100@c.us", 1)
    assert inbound["id"]["fromMe"] is False
    mine = ok(ww(acme, f"/chat/fetchMessages/{SID}", key,
                 {"chatId": CHAT, "searchOptions": {"limit": 5, "fromMe": True}}))["messages"]
    assert [m["body"] for m in mine] == ["Hello from the shop"]
    last = ok(ww(acme, f"/chat/fetchMessages/{SID}", key,
                 {"chatId": CHAT, "searchOptions": {"limit": 1}}))["messages"]
    assert [m["body"] for m in last] == ["Hello, is it in stock?"]
    failed(ww(acme, f"/chat/fetchMessages/{SID}", key,
              {"chatId": CHAT, "searchOptions": {"limit": 0}}), 422)
    # Search: the document's sample (an empty query) finds nothing; words are found.
    assert ok(ww(acme, f"/client/searchMessages/{SID}", key,
                 {"query": "", "options": {}}))["messages"] == []
    found = ok(ww(acme, f"/client/searchMessages/{SID}", key, {"query": "STOCK"}))["messages"]
    assert [m["body"] for m in found] == ["Hello, is it in stock?"]
    hello = ok(ww(acme, f"/client/searchMessages/{SID}", key,
                  {"query": "hello", "options": {"limit": 1, "page": 2}}))["messages"]
    assert [m["body"] for m in hello] == ["Hello from the shop"]
    assert ok(ww(globex, f"/client/searchMessages/{SID}", globex.api_key(ALL),
                 {"query": "hello"}))["messages"] == []
    assert ok(ww(acme, f"/chat/clearMessages/{SID}", key, {"chatId": CHAT})) == {
        "success": True, "clearMessages": True}
    assert ok(ww(acme, f"/chat/fetchMessages/{SID}", key, {"chatId": CHAT}))["messages"] == []
    failed(ww(acme, f"/chat/clearMessages/{SID}", acme.api_key(["chats:read"]),
              {"chatId": CHAT}), 403)
    # Globex's own "shop" sees none of acme's chat.
    assert ok(ww(globex, f"/chat/fetchMessages/{SID}", globex.api_key(ALL),
                 {"chatId": CHAT, "searchOptions": "{}"}))["messages"] == []


def test_a_send_that_fails_is_ack_error(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    message = sent(acme, key, chat="14155550000@c.us")  # a number not on WhatsApp
    wait_for(lambda: acme.call("GET", f"/v1/messages/{message['id']['id']}").json["status"]
             == "failed")
    assert fetch(acme, key, message)["ack"] == -1


def test_message_and_group_routes_need_the_session_connected(acme: Tenant, working: str):
    """The wrapper's session guard: a stopped session is its 404 ``session_not_connected``
    on message and group routes too."""
    key = acme.api_key([*ALL, "groups:read", "groups:write"])
    assert acme.call("POST", f"/v1/sessions/{working}/stop").status_code == 200
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{working}").json["status"] == "STOPPED")
    for path, body in ((f"/client/sendMessage/{SID}", {"chatId": CHAT, "contentType": "string",
                                                        "content": "x"}),
                       (f"/chat/fetchMessages/{SID}", {"chatId": CHAT}),
                       (f"/groupChat/getClassInfo/{SID}", {"chatId": "123-456@g.us"})):
        assert failed(ww(acme, path, key, body), 404) == "session_not_connected"
    assert acme.call("GET", "/v1/messages").json["items"] == []
