"""The whatsapp-web.js REST wrapper's callbacks: ``{"dataType", "data", "sessionId"}``, as its
``triggerWebhook`` posts them. ``sessionId`` is the session's name (the one the client chose
on ``/session/start/{sessionId}``).

- ``message`` (``data: {"message": Message}``): an inbound message, as whatsapp-web.js
  serializes a ``Message`` (ids ``…@c.us``, ``type`` in its words, ``timestamp`` in seconds).
- ``message_ack`` (``data: {"message": Message, "ack": n}``): a sent message moved on, with
  whatsapp-web.js's ack numbers (-1 error, 0 pending, 1 server, 2 device, 3 read, 4 played).
- ``ready``, ``change_state`` (``{"state"}``) and ``disconnected`` (``{"reason"}``): the
  session connected, is opening or waiting for its QR, or stopped.

Unlike the wrapper, the callback never carries the tenant's key (no ``x-api-key`` header):
receivers check the Standard Webhooks signature instead.

The ``Message`` shape here is the one the dialect's answers use too (``message_json``).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.events import Event, EventType
from chalicelib.domain.jids import USER_SERVER
from chalicelib.domain.sessions import Session
from chalicelib.services.webhook_formats import register

# Our message statuses as whatsapp-web.js's MessageAck.
ACKS = {"scheduled": 0, "queued": 0, "sending": 0, "sent": 1, "delivered": 2, "read": 3,
        "played": 4, "received": 1, "failed": -1, "expired": -1, "canceled": -1}
# Our message types as whatsapp-web.js's MessageTypes (the others keep their names).
TYPES = {"text": "chat", "voice": "ptt", "contact": "vcard", "poll": "poll_creation"}
MEDIA = frozenset({"image", "video", "audio", "voice", "document", "sticker"})
# Session statuses as whatsapp-web.js's WAState.
STATES = {"WORKING": "CONNECTED", "SCAN_QR": "UNPAIRED", "STARTING": "OPENING",
          "STOPPED": "UNLAUNCHED", "FAILED": "CONFLICT"}


def wid(jid: str | None) -> dict[str, str] | None:
    """A JID (or an E.164 number) as whatsapp-web.js's ``Wid``: phones are ``…@c.us``."""
    if not jid:
        return None
    user, _, server = jid.partition("@")
    user = user.split(":")[0].lstrip("+")
    server = "c.us" if server in ("", USER_SERVER) else server
    return {"server": server, "user": user, "_serialized": f"{user}@{server}"}


def serialized(jid: str | None) -> str | None:
    """A JID as whatsapp-web.js writes it (``…@c.us`` for phones)."""
    shaped = wid(jid)
    return shaped["_serialized"] if shaped else None


def seconds(moment: str | None) -> int:
    """An ISO time as Unix seconds (now when absent)."""
    return int((clock.parse(moment) if moment else clock.now()).timestamp())


def message_json(*, message_id: str, chat: str, from_me: bool, own: str | None,
                 author: str | None = None, type_: str = "text", body: str | None = None,
                 at: str | None = None, ack: int | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A message as whatsapp-web.js serializes ``Message``: ``id.id`` is wagate's message id
    (what the dialect's ``messageId`` fields take); ``from``/``to`` are the chat and the
    session's own number, swapped for a message of ours; ``author`` is a group member."""
    chat_id = serialized(chat) or chat
    me = serialized(own)
    is_group = chat_id.endswith("@g.us")
    participant = serialized(author) if is_group and author else None
    key: dict[str, Any] = {"fromMe": from_me, "remote": chat_id, "id": message_id,
                           "_serialized": f"{'true' if from_me else 'false'}_{chat_id}_"
                                          f"{message_id}"}
    if participant and not from_me:
        key["participant"] = participant
        key["_serialized"] += f"_{participant}"
    kind = TYPES.get(type_, type_)
    when = seconds(at)
    sender, recipient = (me, chat_id) if from_me else (chat_id, me)
    shaped: dict[str, Any] = {
        "_data": {"id": dict(key), "type": kind, "t": when, "body": body or ""},
        "id": key,
        "ack": 0 if ack is None else ack,
        "hasMedia": type_ in MEDIA, "body": body or "", "type": kind, "timestamp": when,
        "from": sender, "to": recipient, "author": participant if not from_me else None,
        "deviceType": "web" if from_me else "android", "isForwarded": False,
        "forwardingScore": 0, "isStatus": chat_id == "status@broadcast", "isStarred": False,
        "broadcast": False, "fromMe": from_me, "hasQuotedMsg": False, "hasReaction": False,
        "vCards": [], "mentionedIds": [], "groupMentions": [], "isGif": False,
        "links": []}
    shaped.update(extra or {})
    return shaped


def _received(data: dict[str, Any], own: str | None) -> dict[str, Any]:
    author = data.get("sender") or data.get("from")
    extra: dict[str, Any] = {"notifyName": data.get("push_name")} if data.get("push_name") \
        else {}
    shaped = message_json(message_id=data["id"], chat=data["chat"], from_me=False,
                          own=data.get("to") or own, author=author,
                          type_=data.get("type") or "text", body=data.get("text"),
                          at=data.get("created_at"), ack=1, extra=extra)
    if extra:
        shaped["_data"]["notifyName"] = extra["notifyName"]
    return shaped


def _status(data: dict[str, Any], own: str | None) -> tuple[dict[str, Any], int]:
    ack = ACKS.get(data.get("status") or "", 0)
    return message_json(message_id=data["message_id"], chat=data["chat"], from_me=True,
                        own=data.get("from") or own, at=data.get("at"), ack=ack), ack


def _session(data: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    status = data.get("status") or ""
    if status == "WORKING":
        return "ready", None
    if status in ("STOPPED", "FAILED"):
        return "disconnected", {"reason": data.get("reason") or status}
    return "change_state", {"state": STATES.get(status, status)}


@register("wwebjs", events=(EventType.MESSAGE_RECEIVED.value, EventType.MESSAGE_STATUS.value,
                            EventType.SESSION_STATUS.value), needs_session=True)
def wwebjs(event: Event, session: Session | None) -> dict[str, Any]:
    """The callback body; ``data`` is left out where the wrapper sends none (``ready``).
    A session deleted since is named by its id."""
    data: dict[str, Any] | None
    own = session.phone if session else None
    if event.type == EventType.MESSAGE_RECEIVED:
        data_type, data = "message", {"message": _received(event.data, own)}
    elif event.type == EventType.MESSAGE_STATUS:
        message, ack = _status(event.data, own)
        data_type, data = "message_ack", {"message": message, "ack": ack}
    else:
        data_type, data = _session(event.data)
    body: dict[str, Any] = {"dataType": data_type}
    if data is not None:
        body["data"] = data
    body["sessionId"] = session.name if session else event.session_id
    return body
