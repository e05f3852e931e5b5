"""Our chats, contacts, labels and sessions as whatsapp-web.js serializes its ``Chat``,
``Contact``, ``Label`` and ``ClientInfo`` (ids as ``Wid``: ``{server, user, _serialized}``,
phones ``…@c.us``, times in Unix seconds)."""

from __future__ import annotations

from typing import Any

import phonenumbers

from chalicelib.domain import clock
from chalicelib.domain.chats import Chat, StoredLabel
from chalicelib.domain.live.chats import FOREVER
from chalicelib.domain.messages import Direction
from chalicelib.domain.people import Contact
from chalicelib.domain.sessions import Session
from chalicelib.services.webhook_formats.wwebjs import (
    STATES,
    message_json,
    seconds,
    serialized,
    wid,
)

# WhatsApp Business's label palette (colors 0-19), as whatsapp-web.js's ``hexColor``.
LABEL_COLORS = ("#ff9485", "#64c4ff", "#ffd429", "#dfaef0", "#99b6c1", "#55ccb3", "#ff9dff",
                "#d3a91d", "#6d7cce", "#d7e752", "#00d0e2", "#ffc5c7", "#93ceac", "#f74848",
                "#00a0f2", "#83e422", "#ffaf04", "#b5ebff", "#9ba6ff", "#9368cf")


def state(session: Session) -> str:
    """The session's status as whatsapp-web.js's ``WAState``."""
    return STATES.get(session.status.value, session.status.value)


def client_info(session: Session) -> dict[str, Any]:
    """``client.info``: who the session is logged in as; ``platform`` ``smba`` (WhatsApp
    Business) for the sandbox, which has business features (labels), else ``android``."""
    me = wid(session.phone)
    return {"pushname": session.push_name or session.name, "wid": me, "me": me,
            "platform": "smba" if session.engine == "sandbox" else "android"}


def _muted(chat: Chat) -> tuple[bool, int]:
    """``isMuted`` and ``muteExpiration`` (-1: forever, 0: not muted)."""
    if not chat.muted_until:
        return False, 0
    if chat.muted_until == FOREVER:
        return True, -1
    until = clock.parse(chat.muted_until)
    return (True, int(until.timestamp())) if until > clock.now() else (False, 0)


def chat_json(chat: Chat, session: Session) -> dict[str, Any]:
    """A chat as whatsapp-web.js's ``Chat``, its last message included when known."""
    jid = wid(chat.jid)
    assert jid is not None
    muted, expiration = _muted(chat)
    shaped: dict[str, Any] = {
        "id": jid, "name": chat.name or jid["user"], "isGroup": jid["server"] == "g.us",
        "isReadOnly": False, "unreadCount": chat.unread_count,
        "timestamp": seconds(chat.last_activity_at) if chat.last_activity_at else 0,
        "archived": chat.archived, "pinned": chat.pinned, "isMuted": muted,
        "muteExpiration": expiration}
    last = chat.last_message
    if last is not None:
        from_me = last.direction == Direction.OUTBOUND
        shaped["lastMessage"] = message_json(
            message_id=last.id or last.engine_message_id or "", chat=chat.jid, from_me=from_me,
            own=session.phone, author=last.sender, type_=last.type, body=last.text,
            at=last.at)
    return shaped


def bare_chat(jid: str, session: Session) -> dict[str, Any]:
    """A chat wagate has no record of yet (whatsapp-web.js answers one for any id)."""
    return chat_json(Chat(session_id=session.id, jid=jid), session)


def contact_json(contact: Contact, session: Session) -> dict[str, Any]:
    """A contact as whatsapp-web.js's ``Contact``: ``name`` is the name the account saved
    (wagate's local name), ``pushname`` the person's own."""
    jid = wid(contact.jid)
    assert jid is not None
    local = " ".join(p for p in (contact.first_name, contact.last_name) if p) or None
    return {
        "id": jid, "number": jid["user"] if jid["server"] == "c.us" else None,
        "isBusiness": bool(contact.business_name), "isEnterprise": False, "labels": [],
        "name": local, "pushname": contact.push_name, "sectionHeader": None,
        "shortName": contact.first_name, "statusMute": False, "type": "in",
        "verifiedLevel": None, "verifiedName": contact.business_name,
        "isMe": serialized(session.phone) == jid["_serialized"],
        "isUser": jid["server"] in ("c.us", "lid"), "isGroup": jid["server"] == "g.us",
        "isWAContact": contact.on_whatsapp is not False, "isMyContact": local is not None,
        "isBlocked": bool(contact.blocked)}


def bare_contact(jid: str, session: Session, blocked: bool = False) -> dict[str, Any]:
    """A person (or group) wagate knows nothing of yet, as whatsapp-web.js answers one."""
    return contact_json(Contact(tenant_id=session.tenant_id, session_id=session.id, jid=jid,
                                blocked=blocked), session)


def label_json(label: StoredLabel) -> dict[str, Any]:
    return {"id": label.id, "name": label.name,
            "hexColor": LABEL_COLORS[label.color % len(LABEL_COLORS)]}


def formatted_number(jid: str) -> str:
    """``contact.getFormattedNumber()``: the number in international format
    (``+62 812-8888-8888``)."""
    user = jid.split("@")[0]
    try:
        number = phonenumbers.parse(f"+{user}")
    except phonenumbers.NumberParseException:
        return f"+{user}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def country_code(jid: str) -> str:
    """``contact.getCountryCode()``: the country calling code's digits (``62``)."""
    user = jid.split("@")[0]
    try:
        return str(phonenumbers.parse(f"+{user}").country_code)
    except phonenumbers.NumberParseException:
        return ""
