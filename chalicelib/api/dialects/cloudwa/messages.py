"""Messages V2: list a chat's messages, show one, send (text or image, ``schedule_at``,
``urgency``, ``typing_duration``, ``reply_to_message_id``), get a message's media, forward."""

from __future__ import annotations

import base64
from datetime import UTC
from typing import Any

from chalicelib.api.dialects.cloudwa import schemas
from chalicelib.api.dialects.cloudwa.profile import router
from chalicelib.api.dialects.cloudwa.shapes import (
    fields_named,
    message,
    message_ref,
    parsed,
    session_of,
)
from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.domain import clock
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.messages import Message, Priority
from chalicelib.domain.paging import collect
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft

PAGE = 50  # messages one answer holds
MAX_READS = 20  # store pages read to reach past ``last_message_id``
BACKWARD = {"before", "prev", "previous", "up", "older"}
FORWARD = {"after", "next", "down", "newer"}
PRIORITIES = {0: Priority.BULK, 1: Priority.NORMAL, 2: Priority.HIGH}
# Our services' field names → the document's.
SEND_FIELDS = {"to": "chat_id", "session_id": "session_uuid", "text": "message",
               "caption": "message", "image": "image", "reply_to": "reply_to_message_id",
               "typing_ms": "typing_duration"}


def _shown(call: Call, items: list[Message]) -> list[dict[str, Any]]:
    numbers = Numbers(call)
    numbers.load("message", [m.id for m in items])
    return [message(numbers, m) for m in items]


@router.route("GET", "/api/v2/messages", scope="messages:read", body=schemas.MessagesIn,
              query=("session_uuid", "chat_id", "last_message_id", "direction",
                     "include_notifications"))
def list_messages(call: Call) -> list[dict[str, Any]]:
    """Get Messages of Chat: the newest 50, or the 50 before (``direction`` before, the
    default) or after ``last_message_id``; newest first."""
    body: schemas.MessagesIn = parsed(call)
    if body.direction is not None and body.direction not in BACKWARD | FORWARD:
        raise ValidationFailed.field("direction", "must be before or after")
    found = session_of(call, body.session_uuid)
    chats = call.services.chat_service

    def read(cursor: str | None) -> Any:
        return chats.messages(call.principal, found.id, body.chat_id, 100, cursor)

    if body.last_message_id is None:
        return _shown(call, collect(read, PAGE))
    last = message_ref(call, body.last_message_id, "last_message_id")
    items = collect(read, 100 * MAX_READS, MAX_READS)
    if body.direction in FORWARD:
        return _shown(call, [m for m in items if m.id > last][-PAGE:])
    return _shown(call, [m for m in items if m.id < last][:PAGE])


@router.route("GET", "/api/v2/messages/show/{message_id}", scope="messages:read",
              body=schemas.ShowIn, query=("session_uuid",))
def show_message(call: Call, message_id: str) -> dict[str, Any]:
    """Show Single Message: by its integer id (or its ``uuid``); with ``session_uuid``, a
    message of another session is not found."""
    body: schemas.ShowIn = parsed(call)
    found = call.services.messaging.get(call.principal, message_ref(call, message_id))
    if body.session_uuid is not None and \
            session_of(call, body.session_uuid).id != found.session_id:
        raise NotFound("message not found")
    return message(Numbers(call), found)


@router.route("POST", "/api/v2/messages/send-message", scope="messages:send",
              body=schemas.SendIn)
def send_message(call: Call) -> dict[str, Any]:
    """Send Message to Chat: TEXT (``message``) or IMAGE (``image`` by URL, ``message`` its
    caption). ``schedule_at`` (UTC) at or before now sends now; ``urgency`` 0, 1, 2 is the
    low, normal or high lane; ``typing_duration`` seconds of "typing…" first."""
    body: schemas.SendIn = call.body()
    found = session_of(call, body.session_uuid)
    fields: dict[str, Any] = {}
    media = None
    if body.type == "TEXT":
        if not body.message:
            raise ValidationFailed.field("message", "is required")
        fields["text"] = body.message
    else:
        if not body.image:
            raise ValidationFailed.field("image", "is required")
        media = MediaSource(url=body.image)
        if body.message:
            fields["caption"] = body.message
    at = body.schedule_at if body.schedule_at.tzinfo else body.schedule_at.replace(tzinfo=UTC)
    reply = message_ref(call, body.reply_to_message_id, "reply_to_message_id") \
        if body.reply_to_message_id else None
    draft = Draft(session_id=found.id, to=body.chat_id, type=body.type.lower(), body=fields,
                  media=media, reply_to=reply, schedule_at=at if at > clock.now() else None,
                  priority=PRIORITIES[body.urgency], typing_ms=body.typing_duration * 1000)
    with fields_named(SEND_FIELDS):
        sent = call.services.messaging.send(call.principal, draft)
    return message(Numbers(call), sent)


def _in_chat(call: Call, body: schemas.MessageRef) -> Message:
    """The message named in the body, of the body's session (and chat, when it is one)."""
    found = session_of(call, body.session_uuid)
    item = call.services.messaging.get(call.principal,
                                       message_ref(call, body.message_id, "message_id"))
    if item.session_id != found.id:
        raise NotFound("message not found")
    return item


@router.route("GET", "/api/v2/messages/get-media", scope="messages:read",
              body=schemas.MessageRef, query=("session_uuid", "chat_id", "message_id"))
def get_media(call: Call) -> dict[str, Any]:
    """Get Media of Message: its file as base64 (``data``), or a short-lived ``url`` when it
    is too large to pass through."""
    body: schemas.MessageRef = parsed(call)
    item = _in_chat(call, body)
    media, payload = call.services.messaging.media(call.principal, item.id)
    shown: dict[str, Any] = {"message_id": item.id, "mimetype": media.mime_type,
                             "filename": media.filename, "filesize": media.size}
    if isinstance(payload, str):
        return {**shown, "data": None, "url": payload}
    return {**shown, "data": base64.b64encode(payload).decode(), "url": None}


@router.route("POST", "/api/v2/messages/forward-message", scope="messages:send",
              body=schemas.MessageRef)
def forward_message(call: Call) -> dict[str, Any]:
    """Forward Message: the message's content again, to ``chat_id``, from the body's
    session."""
    body: schemas.MessageRef = call.body()
    found = session_of(call, body.session_uuid)
    original = message_ref(call, body.message_id, "message_id")
    with fields_named({"to": "chat_id", "message_id": "message_id"}):
        sent = call.services.messaging.forward(call.principal, original, body.chat_id,
                                               found.id)
    return message(Numbers(call), sent)
