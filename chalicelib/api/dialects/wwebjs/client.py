"""``/client/*`` (but labels, in ``labels.py``, and what part B serves: sending, searching,
groups and invites): the session's own account, its chats and contacts, presence and
profile. Every route but ``getState`` needs the session connected (the wrapper's
``sessionValidation``: 404 ``session_not_found`` / ``session_not_connected``)."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wwebjs import shapes
from chalicelib.api.dialects.wwebjs.bodies import (
    ChatIdBody,
    ContactIdBody,
    DisplayNameBody,
    MuteBody,
    NumberBody,
    PictureBody,
    StatusBody,
)
from chalicelib.api.dialects.wwebjs.profile import connected, route, session_of
from chalicelib.domain import clock
from chalicelib.domain.chats import Chat
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.jids import normalize_phone
from chalicelib.domain.live.contacts import BLOCKED_MAX, NumberCheck
from chalicelib.domain.paging import collect
from chalicelib.domain.sessions import Session
from chalicelib.services.chats import chat_jid
from chalicelib.services.contacts import person
from chalicelib.services.media import MediaSource
from chalicelib.services.webhook_formats.wwebjs import wid

CHATS_MAX = 1000  # chats getChats (and getChatsByLabelId) answers with
CONTACTS_MAX = 2000  # contacts getContacts answers with
# wagate's engines are not WhatsApp Web: getWWebVersion answers a fixed version string in
# WhatsApp Web's form, for clients that log or compare it.
WWEB_VERSION = "2.3000.1017054665"
CHAT_NOT_FOUND = "Chat not Found"


def chat_id(raw: str) -> str:
    """A ``chatId`` (``…@c.us``, ``…@g.us``, a number) as a JID; a 422 otherwise."""
    return chat_jid(raw, "chatId")


def stored_chat(call: Call, session: Session, jid: str) -> Chat:
    """The chat as wagate keeps it; the wrapper's 404 ``Chat not Found`` when it has none."""
    try:
        return call.services.chat_service.get(call.principal, session.id, jid)
    except NotFound:
        raise NotFound(CHAT_NOT_FOUND) from None


def contact_of(call: Call, session: Session, raw: str,
               field: str = "contactId") -> dict[str, Any]:
    """A person (or, for a group's chat, the group) as whatsapp-web.js's ``Contact``: the one
    wagate knows, else a bare one (whatsapp-web.js answers one for any id)."""
    jid = chat_jid(raw, field)
    if jid.endswith("@g.us"):
        return shapes.bare_contact(jid, session)
    jid = str(person(raw, field))
    try:
        contact = call.services.contacts_service.get(call.principal, session.id, jid)
    except NotFound:
        return shapes.bare_contact(jid, session)
    return shapes.contact_json(contact, session)


def all_chats(call: Call, session: Session, label: str | None = None) -> list[dict[str, Any]]:
    """The session's chats (the first ``CHATS_MAX``, latest activity first)."""
    if label is None:
        chats = collect(lambda cursor: call.services.chat_service.list(
            call.principal, session.id, 100, cursor), CHATS_MAX)
    else:
        chats = collect(lambda cursor: call.services.label_service.chats(
            call.principal, session.id, label, 100, cursor), CHATS_MAX)
    return [shapes.chat_json(chat, session) for chat in chats[:CHATS_MAX]]


@route("GET", "/client/getClassInfo/{sessionId}", scope="sessions:read")
def get_class_info(call: Call, session_id: str) -> dict[str, Any]:
    """The account the session is logged in as (``client.info``: pushname, wid, platform)."""
    return {"sessionInfo": shapes.client_info(connected(call, session_id))}


@route("GET", "/client/getState/{sessionId}", scope="sessions:read")
def get_state(call: Call, session_id: str) -> dict[str, Any]:
    """The session's state as WAState (CONNECTED, UNPAIRED, OPENING, UNLAUNCHED, CONFLICT);
    the session need not be connected."""
    return {"state": shapes.state(session_of(call, session_id))}


@route("GET", "/client/getWWebVersion/{sessionId}", scope="sessions:read")
def get_wweb_version(call: Call, session_id: str) -> dict[str, Any]:
    """The WhatsApp Web version (a fixed value: wagate's engines are not WhatsApp Web)."""
    connected(call, session_id)
    return {"result": WWEB_VERSION}


@route("GET", "/client/getChats/{sessionId}", scope="chats:read")
def get_chats(call: Call, session_id: str) -> dict[str, Any]:
    """Every chat of the session (the latest 1000), latest activity first."""
    return {"chats": all_chats(call, connected(call, session_id))}


@route("POST", "/client/getChatById/{sessionId}", scope="chats:read", body=ChatIdBody)
def get_chat_by_id(call: Call, session_id: str) -> dict[str, Any]:
    """One chat (404 ``Chat not Found`` when the session has none with that id)."""
    session = connected(call, session_id)
    body = call.body()
    return {"chat": shapes.chat_json(stored_chat(call, session, chat_id(body.chat_id)), session)}


@route("GET", "/client/getContacts/{sessionId}", scope="contacts:read")
def get_contacts(call: Call, session_id: str) -> dict[str, Any]:
    """The session's contacts (the first 2000, by name)."""
    session = connected(call, session_id)
    contacts = collect(lambda cursor: call.services.contacts_service.list(
        call.principal, session.id, 100, cursor, "name", None), CONTACTS_MAX)
    return {"contacts": [shapes.contact_json(c, session) for c in contacts[:CONTACTS_MAX]]}


@route("POST", "/client/getContactById/{sessionId}", scope="contacts:read", body=ContactIdBody)
def get_contact_by_id(call: Call, session_id: str) -> dict[str, Any]:
    """One person: as wagate knows them, or a bare contact for an id it does not know."""
    session = connected(call, session_id)
    return {"contact": contact_of(call, session, call.body().contact_id)}


@route("POST", "/client/getBlockedContacts/{sessionId}", scope="contacts:read")
def get_blocked_contacts(call: Call, session_id: str) -> dict[str, Any]:
    """The account's blocklist, asked live, as contacts."""
    session = connected(call, session_id)
    jids = collect(lambda cursor: call.services.contacts_service.blocked(
        call.principal, session.id, 100, cursor), BLOCKED_MAX)
    return {"blockedContacts": [shapes.bare_contact(jid, session, blocked=True)
                                for jid in jids[:BLOCKED_MAX]]}


def _chat_change(call: Call, session_id: str) -> tuple[Session, str]:
    session = connected(call, session_id)
    return session, chat_id(call.body().chat_id)


def _chat_switch(verb: str, on: bool, doc: str) -> None:
    """``/client/<verb>Chat``: archive or pin the chat (``on``) or undo it; ``result`` is
    the chat's new state, as whatsapp-web.js returns it."""
    change = "archive" if "archive" in verb else "pin"

    def switch(call: Call, session_id: str) -> dict[str, Any]:
        session, jid = _chat_change(call, session_id)
        getattr(call.services.chat_service, change)(call.principal, session.id, jid, on)
        return {"result": on}

    switch.__name__, switch.__doc__ = f"{verb}_chat", doc
    route("POST", f"/client/{verb}Chat/{{sessionId}}", scope="chats:write",
          body=ChatIdBody)(switch)


for _verb, _on, _doc in (
        ("archive", True, "Archive the chat; ``result`` true."),
        ("unarchive", False, "Take the chat out of the archive; ``result`` false (it is no "
                             "longer archived)."),
        ("pin", True, "Pin the chat; ``result`` true (its new pinned state)."),
        ("unpin", False, "Unpin the chat; ``result`` false (its new pinned state).")):
    _chat_switch(_verb, _on, _doc)


def unmute_date(raw: str | int | None) -> datetime | None:
    """``unmuteDate`` as JavaScript's ``new Date(…)`` reads it: an ISO date or a number of
    seconds (milliseconds from 10^11 on); empty or absent: forever."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if re.fullmatch(r"\d{1,16}", text):
        number = int(text)
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return datetime.fromtimestamp(number / 1000 if number >= 10**11 else number, UTC)
    with contextlib.suppress(ValueError):
        moment = clock.parse(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ValidationFailed.field("unmuteDate", "must be a date (ISO 8601) or Unix seconds")


@route("POST", "/client/muteChat/{sessionId}", scope="chats:write", body=MuteBody)
def mute_chat(call: Call, session_id: str) -> dict[str, Any]:
    """Mute the chat until ``unmuteDate`` (at most a year ahead), or forever without one;
    ``mute``: ``{isMuted, muteExpiration}`` (-1: forever)."""
    session = connected(call, session_id)
    body = call.body()
    jid, until = chat_id(body.chat_id), unmute_date(body.unmute_date)
    try:
        chat = call.services.chat_service.mute(call.principal, session.id, jid, until)
    except ValidationFailed as exc:
        raise ValidationFailed.field("unmuteDate", exc.details[0]["message"]
                                     if exc.details else exc.message) from exc
    shaped = shapes.chat_json(chat, session)
    return {"mute": {"isMuted": shaped["isMuted"], "muteExpiration": shaped["muteExpiration"]}}


@route("POST", "/client/unmuteChat/{sessionId}", scope="chats:write", body=ChatIdBody)
def unmute_chat(call: Call, session_id: str) -> dict[str, Any]:
    """Unmute the chat; ``result``: ``{isMuted: false, muteExpiration: 0}``."""
    session, jid = _chat_change(call, session_id)
    call.services.chat_service.unmute(call.principal, session.id, jid)
    return {"result": {"isMuted": False, "muteExpiration": 0}}


@route("POST", "/client/markChatUnread/{sessionId}", scope="chats:write", body=ChatIdBody)
def mark_chat_unread(call: Call, session_id: str) -> dict[str, Any]:
    """Mark the chat unread (nothing else in the answer, as the wrapper's ``mark`` is
    empty)."""
    session, jid = _chat_change(call, session_id)
    call.services.chat_service.unread(call.principal, session.id, jid)
    return {}


@route("POST", "/client/sendSeen/{sessionId}", scope="chats:write", body=ChatIdBody)
def send_seen(call: Call, session_id: str) -> dict[str, Any]:
    """Mark the chat read (read receipts for its latest unread messages); ``result`` true."""
    session, jid = _chat_change(call, session_id)
    call.services.chat_service.read(call.principal, session.id, jid)
    return {"result": True}


@route("POST", "/client/sendPresenceAvailable/{sessionId}", scope="profile:write")
def send_presence_available(call: Call, session_id: str) -> dict[str, Any]:
    """Show the account online."""
    session = connected(call, session_id)
    call.services.profile_service.set_presence(call.principal, session.id, "available")
    return {}


@route("POST", "/client/sendPresenceUnavailable/{sessionId}", scope="profile:write")
def send_presence_unavailable(call: Call, session_id: str) -> dict[str, Any]:
    """Show the account offline."""
    session = connected(call, session_id)
    call.services.profile_service.set_presence(call.principal, session.id, "unavailable")
    return {}


@route("POST", "/client/setDisplayName/{sessionId}", scope="profile:write",
       body=DisplayNameBody)
def set_display_name(call: Call, session_id: str) -> dict[str, Any]:
    """Change the account's name; ``result`` true."""
    session = connected(call, session_id)
    call.services.profile_service.update(call.principal, session.id, call.body().display_name,
                                         None)
    return {"result": True}


@route("POST", "/client/setStatus/{sessionId}", scope="profile:write", body=StatusBody)
def set_status(call: Call, session_id: str) -> dict[str, Any]:
    """Change the account's about text ("status")."""
    session = connected(call, session_id)
    call.services.profile_service.update(call.principal, session.id, None, call.body().status)
    return {}


@route("POST", "/client/setProfilePicture/{sessionId}", scope="profile:write", body=PictureBody)
def set_profile_picture(call: Call, session_id: str) -> dict[str, Any]:
    """Set the account's picture from base64 ``pictureData`` (a JPEG or PNG of at most 1 MB;
    spaces and line breaks in it are ignored); ``result`` true."""
    session = connected(call, session_id)
    body = call.body()
    data = re.sub(r"\s+", "", body.picture_data)
    try:
        call.services.profile_service.set_picture(call.principal, session.id, MediaSource(
            base64=data, mime_type=body.picture_mimetype))
    except ValidationFailed as exc:
        raise ValidationFailed.field("pictureData", exc.message) from exc
    return {"result": True}


@route("POST", "/client/getProfilePicUrl/{sessionId}", scope="contacts:read",
       body=ContactIdBody)
def get_profile_pic_url(call: Call, session_id: str) -> dict[str, Any]:
    """The person's profile picture URL (``result``; absent when they have none or hide
    it)."""
    session = connected(call, session_id)
    jid = str(person(call.body().contact_id, "contactId"))
    picture, _ = call.services.contacts_service.picture(call.principal, session.id, jid, False)
    return {"result": picture.url} if picture.url else {}


def _checked(call: Call, session: Session, raw: str) -> NumberCheck:
    """The number check of ``number`` (digits, ``+`` digits or ``…@c.us``)."""
    user = raw.strip().split("@")[0]
    phone = normalize_phone(user if user.startswith("+") else f"+{user}", "number")
    result = call.services.contacts_service.check(call.principal, session.id, [phone])
    return result.results[0]


@route("POST", "/client/getNumberId/{sessionId}", scope="contacts:read", body=NumberBody)
def get_number_id(call: Call, session_id: str) -> dict[str, Any]:
    """The number's WhatsApp id (``{server, user, _serialized}``), or null when it is not on
    WhatsApp."""
    session = connected(call, session_id)
    check = _checked(call, session, call.body().number)
    return {"result": wid(check.jid or check.phone) if check.on_whatsapp else None}


@route("POST", "/client/isRegisteredUser/{sessionId}", scope="contacts:read", body=NumberBody)
def is_registered_user(call: Call, session_id: str) -> dict[str, Any]:
    """Whether the number is on WhatsApp (``result`` true or false)."""
    session = connected(call, session_id)
    return {"result": _checked(call, session, call.body().number).on_whatsapp}
