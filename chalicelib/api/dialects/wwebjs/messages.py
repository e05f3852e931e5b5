"""Sending (``client/sendMessage`` with every ``contentType``), searching, a chat's history
(``chat/fetchMessages``, ``chat/clearMessages``) and what the wrapper does to one message
(``message/*``). A message is found by the id this dialect answers (``id.id`` or
``id._serialized``) or by WhatsApp's own id; within ``chatId``, else the wrapper's
"Message not Found" (404)."""

# ruff: noqa: N803 (handlers take the path's own parameter name, sessionId)
from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wwebjs import message_bodies as bodies
from chalicelib.api.dialects.wwebjs.message_shapes import mentioned, stored_message
from chalicelib.api.dialects.wwebjs.profile import connected, router
from chalicelib.domain.errors import AppError, Conflict, NotFound, ValidationFailed
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.media import ANY_MEDIA
from chalicelib.domain.messages import Direction, Message
from chalicelib.domain.paging import MAX_LIMIT, collect
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft
from chalicelib.services.webhook_formats.wwebjs import seconds, wid

if TYPE_CHECKING:
    from chalicelib.domain.sessions import Session

# The wrapper's contentTypes, in the order its "contentType invalid" error lists them.
CONTENT_TYPES = ("string", "MessageMedia", "MessageMediaFromURL", "Location", "Buttons",
                 "List", "Contact", "Poll")
FETCH_DEFAULT = 50  # messages fetchMessages answers without a limit
FETCH_READS = 10  # pages of 100 read at most to fill a fromMe-filtered fetch
SEARCH_DEFAULT = 20
# Our content's field names → the wrapper's, per type (``content.<name>`` in its errors).
WRAPPER_FIELDS = {"list": {"text": "body", "button_text": "buttonText"},
                  "poll": {"question": "pollName", "options": "pollOptions",
                           "multiple": "options.allowMultipleAnswers"},
                  "location": {"name": "description"}, "reaction": {"emoji": "reaction"},
                  **{kind: {"base64": "data", "mime_type": "mimetype"}
                     for kind in (ANY_MEDIA, "image", "video", "audio", "voice", "document",
                                  "sticker")}}


class NotOffered(AppError):
    """A message kind WhatsApp no longer delivers (interactive buttons)."""

    status, code = 422, "not_offered"


def chat_of(raw: str, field: str = "chatId") -> str:
    """A chat's JID from the wrapper's ``…@c.us``/``…@g.us`` id, a JID or a number."""
    return str(parse_jid(raw, field))


def _ref(message_id: str) -> str:
    """The id inside a ``_serialized`` message id (``true_<chat>_<id>[_<author>]``)."""
    parts = message_id.split("_")
    if len(parts) >= 3 and parts[0] in ("true", "false"):
        return parts[2]
    return message_id


def find_message(call: Call, session: Session, chat_id: str, message_id: str) -> Message:
    """The session's message in ``chatId`` (our id, ``_serialized`` or WhatsApp's)."""
    chat = chat_of(chat_id)
    try:
        message = call.services.messaging.find(call.principal, session.id, _ref(message_id))
    except NotFound:
        raise NotFound("Message not Found") from None
    if message.chat != chat:
        raise NotFound("Message not Found")
    return message


def shaped(message: Message, session: Session) -> dict[str, Any]:
    return stored_message(message, session.phone)


def _field(kind: str, name: str) -> str:
    """Our name of a refused field as the wrapper's request names it."""
    if kind == "text" and name in ("text", "mentions", "link_preview"):
        return {"text": "content", "mentions": "options.mentions",
                "link_preview": "options.linkPreview"}[name]
    head, dot, rest = name.partition(".")
    if head != kind or not dot:
        return name
    first, sep, tail = rest.partition(".")
    base, bracket, index = first.partition("[")
    renamed = WRAPPER_FIELDS.get(kind, {}).get(base, base)
    return f"content.{renamed}{bracket}{index}{sep}{tail}"


def _send(call: Call, draft: Draft) -> Message:
    """Accept a draft; a field the content refused is named as in the wrapper's request."""
    try:
        return call.services.messaging.send(call.principal, draft)
    except ValidationFailed as exc:
        details = [{**d, "field": _field(draft.type, str(d.get("field", "")))}
                   if isinstance(d, dict) and "field" in d else d for d in exc.details]
        if not details or not all(isinstance(d, dict) and "field" in d for d in details):
            raise
        raise ValidationFailed("; ".join(f"{d['field']}: {d['message']}" for d in details),
                               details=details) from exc


def _parsed(model: type[Any], value: Any, field: str) -> Any:
    from pydantic import ValidationError

    from chalicelib.api.edge import validation_failed

    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise validation_failed(exc, prefix=f"{field}.") from exc


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.field(field, "must be a non-empty string")
    return value


def _media_kind(options: bodies.SendOptions) -> str:
    if options.sendMediaAsSticker:
        return "sticker"
    if options.sendMediaAsDocument:
        return "document"
    if options.sendAudioAsVoice:
        return "voice"
    return ANY_MEDIA


def _media_fields(kind: str, options: bodies.SendOptions,
                  filename: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if options.caption and kind not in ("sticker", "voice"):
        fields["caption"] = options.caption
    if kind == "document" and filename:
        fields["filename"] = filename
    return fields


def _from_base64(media: bodies.MediaContent) -> MediaSource:
    return MediaSource(base64=media.data, mime_type=media.mimetype, filename=media.filename)


def _rows(section: Any, index: int) -> Any:
    """A list section with an id for every row (whatsapp-web.js makes one when none is
    given; here: ``<section>-<row>``)."""
    if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
        return section
    rows = [{**row, "id": str(row.get("id") or f"{index}-{n}")} if isinstance(row, dict)
            else row for n, row in enumerate(section["rows"])]
    return {**section, "rows": rows}


def draft_for(call: Call, session: Session, chat: str, content_type: str, content: Any,
              options: bodies.SendOptions) -> Draft:
    """The native draft for the wrapper's ``contentType`` and ``content``."""
    draft = Draft(session_id=session.id, to=chat)
    if options.quotedMessageId:
        draft.reply_to = find_message(call, session, chat, options.quotedMessageId).id
    if content_type == "string":
        text = _text(content, "content")
        if options.media is not None:
            draft.type = _media_kind(options)
            draft.media = _from_base64(options.media)
            draft.body = {"caption": text} if draft.type not in ("sticker", "voice") else {}
            return draft
        draft.body = {"text": text, "link_preview": options.linkPreview,
                      "mentions": list(options.mentions)}
    elif content_type == "MessageMedia":
        media = _parsed(bodies.MediaContent, content, "content")
        draft.type = _media_kind(options)
        draft.media = _from_base64(media)
        draft.body = _media_fields(draft.type, options, media.filename)
    elif content_type == "MessageMediaFromURL":
        draft.type = _media_kind(options)
        draft.media = MediaSource(url=_text(content, "content"))
        draft.body = _media_fields(draft.type, options, None)
    elif content_type == "Location":
        place = _parsed(bodies.LocationContent, content, "content")
        draft.type = "location"
        draft.body = {"latitude": place.latitude, "longitude": place.longitude,
                      "name": place.name or place.description, "address": place.address}
    elif content_type == "Contact":
        card = _parsed(bodies.ContactContent, content, "content")
        person = parse_jid(card.contactId, "content.contactId")
        if not person.is_user:
            raise ValidationFailed.field("content.contactId", "must be a person's id or number")
        draft.type = "contact"
        draft.body = {"contacts": [{"name": person.phone, "phone": person.phone}]}
    elif content_type == "Poll":
        poll = _parsed(bodies.PollContent, content, "content")
        draft.type = "poll"
        draft.body = {"question": poll.pollName, "options": poll.pollOptions,
                      "multiple": poll.options.allowMultipleAnswers}
    elif content_type == "List":
        if not isinstance(content, dict):
            raise ValidationFailed.field("content", "must be an object (body, buttonText, "
                                                    "sections, title, footer)")
        sections = content.get("sections")
        draft.type = "list"
        draft.body = {"text": content.get("body"), "button_text": content.get("buttonText"),
                      "title": content.get("title"), "footer": content.get("footer"),
                      "sections": [_rows(s, i) for i, s in enumerate(sections)]
                      if isinstance(sections, list) else sections}
    elif content_type == "Buttons":
        raise NotOffered("Buttons are no longer offered by WhatsApp (their messages are not "
                         "delivered): send a Poll or a List instead")
    else:
        raise NotFound(f"contentType invalid, must be {', '.join(CONTENT_TYPES[:-1])} or "
                       f"{CONTENT_TYPES[-1]}")
    return draft


@router.route("POST", "/client/sendMessage/{sessionId}", scope="messages:send",
              body=bodies.SendIn)
def send_message(call: Call, sessionId: str) -> dict[str, Any]:
    """Send a message: a string, MessageMedia (base64), MessageMediaFromURL, Location,
    Contact, Poll or List (Buttons: 422, WhatsApp no longer delivers them). It is accepted
    and queued: ``message.ack`` is 0 (pending) until WhatsApp has it."""
    body: bodies.SendIn = call.body()
    session = connected(call, sessionId)
    draft = draft_for(call, session, chat_of(body.chatId), body.contentType, body.content,
                      body.options or bodies.SendOptions())
    return {"message": shaped(_send(call, draft), session)}


@router.route("POST", "/client/searchMessages/{sessionId}", scope="messages:read",
              body=bodies.SearchIn)
def search_messages(call: Call, sessionId: str) -> dict[str, Any]:
    """Messages whose text contains ``query`` (case-insensitive), newest first, among the
    session's newest 1,000 (``options``: ``chatId``, ``page``, ``limit``); an empty query
    finds none."""
    body: bodies.SearchIn = call.body()
    session = connected(call, sessionId)
    options = body.options or bodies.SearchOptions()
    if not body.query.strip():  # the document's sample: nothing to look for, nothing found
        return {"messages": []}
    limit = options.limit or SEARCH_DEFAULT
    skip = ((options.page or 1) - 1) * limit
    chat = chat_of(options.chatId, "options.chatId") if options.chatId else None
    found = call.services.messaging.search(call.principal, session.id, body.query, chat,
                                           skip + limit)
    return {"messages": [shaped(m, session) for m in found[skip:]]}


@router.route("POST", "/chat/fetchMessages/{sessionId}", scope="chats:read",
              body=bodies.FetchIn)
def fetch_messages(call: Call, sessionId: str) -> dict[str, Any]:
    """The chat's last messages, oldest first (``searchOptions``: ``limit`` up to 100,
    default 50; ``fromMe`` true or false: only the session's, or only the others')."""
    body: bodies.FetchIn = call.body()
    session = connected(call, sessionId)
    options = body.searchOptions or bodies.SearchOptions()
    limit = options.limit or FETCH_DEFAULT
    chats = call.services.chat_service

    def page(cursor: str | None) -> Any:
        found = chats.messages(call.principal, session.id, body.chatId, MAX_LIMIT, cursor)
        if options.fromMe is not None:
            found.items = [m for m in found.items
                           if (m.direction == Direction.OUTBOUND) == options.fromMe]
        return found

    latest = collect(page, limit, max_reads=FETCH_READS)
    return {"messages": [shaped(m, session) for m in reversed(latest)]}


@router.route("POST", "/chat/clearMessages/{sessionId}", scope="chats:write", body=bodies.ChatIn)
def clear_messages(call: Call, sessionId: str) -> dict[str, Any]:
    """Clear the chat's messages (on the linked phone too; the history here starts again)."""
    body: bodies.ChatIn = call.body()
    session = connected(call, sessionId)
    call.services.chat_service.clear(call.principal, session.id, body.chatId)
    return {"clearMessages": True}


# --- one message ---

def _one(call: Call, sessionId: str) -> tuple[Any, Session, Message]:
    body = call.body()
    session = connected(call, sessionId)
    return body, session, find_message(call, session, body.chatId, body.messageId)


@router.route("POST", "/message/getClassInfo/{sessionId}", scope="messages:read",
              body=bodies.MessageRef)
def message_info(call: Call, sessionId: str) -> dict[str, Any]:
    """The message (whatsapp-web.js's ``Message``)."""
    _, session, message = _one(call, sessionId)
    return {"message": shaped(message, session)}


@router.route("POST", "/message/delete/{sessionId}", scope="messages:send",
              body=bodies.DeleteIn)
def delete_message(call: Call, sessionId: str) -> dict[str, Any]:
    """Delete a message the session sent for everyone (``everyone: true``); deleting only
    on this device is not offered (422)."""
    body, _, message = _one(call, sessionId)
    if not body.everyone:
        raise ValidationFailed.field("everyone", "deleting a message only for this session "
                                                 "is not offered: send everyone: true to "
                                                 "delete it for everyone")
    call.services.messaging.act(call.principal, message.id, "revoke", {})
    return {}


@router.route("POST", "/message/downloadMedia/{sessionId}", scope="messages:read",
              body=bodies.MessageRef)
def download_media(call: Call, sessionId: str) -> dict[str, Any]:
    """The message's media as whatsapp-web.js's ``MessageMedia`` (base64 ``data``); files
    over 5 MB: 409, fetch them from ``/v1/messages/{id}/media``."""
    _, _, message = _one(call, sessionId)
    try:
        media, payload = call.services.messaging.media(call.principal, message.id)
    except NotFound:
        raise NotFound("This message has no media") from None
    if isinstance(payload, str):
        raise Conflict(f"The media is larger than 5 MB: download it from "
                       f"/v1/messages/{message.id}/media", code="too_large")
    return {"messageMedia": {"mimetype": media.mime_type,
                             "data": base64.b64encode(payload).decode(),
                             "filename": media.filename, "filesize": media.size}}


@router.route("POST", "/message/forward/{sessionId}", scope="messages:send",
              body=bodies.ForwardIn)
def forward_message(call: Call, sessionId: str) -> dict[str, Any]:
    """Forward the message to ``destinationChatId`` (queued like any send)."""
    body, session, message = _one(call, sessionId)
    call.services.messaging.forward(call.principal, message.id,
                                    chat_of(body.destinationChatId, "destinationChatId"),
                                    session.id)
    return {}


@router.route("POST", "/message/getInfo/{sessionId}", scope="messages:read",
              body=bodies.MessageRef)
def message_receipts(call: Call, sessionId: str) -> dict[str, Any]:
    """Who got, read and played a message the session sent (whatsapp-web.js's
    ``MessageInfo``; null for a message the session received)."""
    _, _, message = _one(call, sessionId)
    if message.direction != Direction.OUTBOUND:
        return {"info": None}
    who = wid(message.chat)
    info: dict[str, Any] = {}
    for name, statuses in (("delivery", ("delivered", "read", "played")),
                           ("read", ("read", "played")), ("played", ("played",))):
        at = next((message.timestamps[s] for s in statuses if s in message.timestamps), None)
        info[name] = [{"id": who, "t": seconds(at)}] if at else []
        info[f"{name}Remaining"] = 0 if at else 1
    return {"info": info}


@router.route("POST", "/message/getMentions/{sessionId}", scope="messages:read",
              body=bodies.MessageRef)
def message_mentions(call: Call, sessionId: str) -> dict[str, Any]:
    """The people the message mentions (whatsapp-web.js ``Contact``s)."""
    _, _, message = _one(call, sessionId)
    return {"contacts": [mentioned(jid) for jid in (message.content or {}).get("mentions", [])]}


@router.route("POST", "/message/getOrder/{sessionId}", scope="messages:read",
              body=bodies.MessageRef)
def message_order(call: Call, sessionId: str) -> dict[str, Any]:
    """The order a message carries: WhatsApp Business catalogue orders do not reach this
    gateway, so a found message answers 404 "This message is not an order"."""
    _one(call, sessionId)
    raise NotFound("This message is not an order")


@router.route("POST", "/message/getPayment/{sessionId}", scope="messages:read",
              body=bodies.MessageRef)
def message_payment(call: Call, sessionId: str) -> dict[str, Any]:
    """The payment a message carries: WhatsApp payments do not reach this gateway, so a
    found message answers 404 "This message is not a payment"."""
    _one(call, sessionId)
    raise NotFound("This message is not a payment")


@router.route("POST", "/message/getQuotedMessage/{sessionId}", scope="messages:read",
              body=bodies.MessageRef)
def quoted_message(call: Call, sessionId: str) -> dict[str, Any]:
    """The message this one replies to (null when it quotes none, or one not stored)."""
    _, session, message = _one(call, sessionId)
    ref = message.reply_to or (message.quoted or {}).get("message_id")
    quoted = None
    if ref:
        try:
            quoted = call.services.messaging.find(call.principal, session.id, ref)
        except NotFound:
            quoted = None
    return {"quotedMessage": shaped(quoted, session) if quoted else None}


@router.route("POST", "/message/react/{sessionId}", scope="messages:send",
              body=bodies.ReactIn)
def react(call: Call, sessionId: str) -> dict[str, Any]:
    """React to the message with ``reaction`` (an emoji; empty or absent takes the
    session's reaction back)."""
    body, session, message = _one(call, sessionId)
    _send(call, Draft(session_id=session.id, to=message.chat, type="reaction",
                      body={"message_id": message.id, "emoji": body.reaction}))
    return {}


@router.route("POST", "/message/reply/{sessionId}", scope="messages:send",
              body=bodies.ReplyIn)
def reply(call: Call, sessionId: str) -> dict[str, Any]:
    """Reply to the message, quoting it (in its chat, or in ``destinationChatId``)."""
    body, session, message = _one(call, sessionId)
    options = body.options or bodies.SendOptions()
    target = chat_of(body.destinationChatId, "destinationChatId") \
        if body.destinationChatId else message.chat
    draft = draft_for(call, session, target, "string", body.content,
                      options.model_copy(update={"quotedMessageId": None}))
    draft.reply_to = message.id
    return {"repliedMessage": shaped(_send(call, draft), session)}


def _star(call: Call, sessionId: str, starred: bool) -> dict[str, Any]:
    _, _, message = _one(call, sessionId)
    call.services.messaging.act(call.principal, message.id, "star", {"starred": starred})
    return {}


@router.route("POST", "/message/star/{sessionId}", scope="messages:send",
              body=bodies.MessageRef)
def star(call: Call, sessionId: str) -> dict[str, Any]:
    """Star the message (on the linked phone too)."""
    return _star(call, sessionId, True)


@router.route("POST", "/message/unstar/{sessionId}", scope="messages:send",
              body=bodies.MessageRef)
def unstar(call: Call, sessionId: str) -> dict[str, Any]:
    """Unstar the message."""
    return _star(call, sessionId, False)
