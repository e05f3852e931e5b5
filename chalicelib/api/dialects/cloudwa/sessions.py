"""Sessions V2 (list, create with ``webhook_url``, status) and Chats V2 (chats, chat, labels,
contacts, check availability, group info from an invite link): the session's live data."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.api.dialects.cloudwa import schemas
from chalicelib.api.dialects.cloudwa.profile import router
from chalicelib.api.dialects.cloudwa.shapes import (
    chat,
    chat_id,
    contact,
    fields_named,
    label,
    needs,
    parsed,
    session,
    session_of,
)
from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.paging import collect
from chalicelib.domain.sessions import SessionStatus
from chalicelib.services.chats import chat_jid

MAX_LISTED = 1_000  # chats, contacts and labels one answer holds at most
CHATS_PAGE = 100  # chats after (or before) ``last_chat_id``
QR_WAIT_S = 8.0  # a status call that starts a session waits this long for its QR code
GROUPS = {"group", "groups"}
PEOPLE = {"user", "users", "individual", "private", "chat", "contact", "contacts"}
BACKWARD = {"before", "prev", "previous", "up", "older"}
FORWARD = {"after", "next", "down", "newer"}


def _hooks(call: Call) -> dict[str, str]:
    """Each session's ``webhook_url``, by session id."""
    bound = call.services.session_service.webhooks(call.principal)
    return {sid: subs[0].url for sid, subs in bound.items() if subs}


@router.route("GET", "/api/v2/sessions", scope="sessions:read")
def list_sessions(call: Call) -> list[dict[str, Any]]:
    """Returns All User Sessions: the team's sessions, oldest first."""
    items = call.services.session_service.all(call.principal)
    hooks = _hooks(call) if items else {}
    numbers = Numbers(call)
    numbers.load("session", [s.id for s in items])
    return [session(numbers, s, hooks.get(s.id)) for s in items]


@router.route("POST", "/api/v2/sessions", scope="sessions:write", body=schemas.SessionIn,
              status=201)
def create_session(call: Call) -> dict[str, Any]:
    """Creates New Session: it starts at once (pair it with the QR code of
    ``GET sessions/status``); ``webhook_url`` gets CloudWA's callbacks of this session."""
    body: schemas.SessionIn = call.body()
    service = call.services.session_service
    made, hook = service.create(call.principal, body.name, body.webhook_url, None, True)
    if hook is not None:
        call.services.subscription_service.update(call.principal, hook.id,
                                                  {"format": "cloudwa"})
    shaped = session(Numbers(call), made, hook.url if hook else None)
    return {**shaped, "webhook_secret": hook.secret if hook else None}


@router.route("GET", "/api/v2/sessions/status", scope="sessions:read", body=schemas.StatusIn,
              query=("session_uuid", "no_action"))
def session_status(call: Call) -> dict[str, Any]:
    """Get Session Details: its status, and while it waits to be linked its QR code (a
    disconnected session is started first, and the call waits a few seconds for the code);
    ``no_action``: just the status, nothing started."""
    body: schemas.StatusIn = parsed(call)
    service = call.services.session_service
    found = session_of(call, body.session_uuid)
    linked = found.status == SessionStatus.WORKING or (
        found.status == SessionStatus.STARTING and found.phone)
    qr = None
    if not linked and (not body.no_action or found.status == SessionStatus.SCAN_QR):
        if not body.no_action and not found.wants_running:
            needs(call, "sessions:write")
        with contextlib.suppress(Conflict):
            qr = service.qr(call.principal, found.id) if body.no_action else \
                service.pairing_qr(call.principal, found.id, QR_WAIT_S)
        found = service.get(call.principal, found.id)
    shaped = session(Numbers(call), found, _hooks(call).get(found.id))
    if qr is None:
        return {**shaped, "qr": None, "qr_image": None, "qr_expires_at": None}
    import segno

    image = segno.make(qr.code, error="l").png_data_uri(scale=8, border=4)
    return {**shaped, "qr": qr.code, "qr_image": image, "qr_expires_at": qr.expires_at}


@router.route("GET", "/api/v2/sessions/chat", scope="chats:read", body=schemas.ChatRef,
              query=("session_uuid", "chat_id"))
def get_chat(call: Call) -> dict[str, Any]:
    """Get Chat of Session: one chat by its number or id (``…@c.us``, ``…@g.us``)."""
    body: schemas.ChatRef = parsed(call)
    found = session_of(call, body.session_uuid)
    return chat(call.services.chat_service.get(call.principal, found.id, body.chat_id))


@router.route("GET", "/api/v2/sessions/chats", scope="chats:read", body=schemas.ChatsIn,
              query=("session_uuid", "type", "last_chat_id", "direction"))
def list_chats(call: Call) -> list[dict[str, Any]]:
    """Get Chats of Session: ``type`` group or user narrows them; ``last_chat_id`` with
    ``direction`` (after, the default, or before) gives the next 100 after (or before) it."""
    body: schemas.ChatsIn = parsed(call)
    if body.direction is not None and body.direction not in BACKWARD | FORWARD:
        raise ValidationFailed.field("direction", "must be after or before")
    found = session_of(call, body.session_uuid)
    service = call.services.chat_service
    items = [chat(c) for c in collect(lambda cursor: service.list(
        call.principal, found.id, 100, cursor), MAX_LISTED)]
    kind = (body.type or "").lower()
    if kind in GROUPS | PEOPLE:
        items = [c for c in items if c["is_group"] == (kind in GROUPS)]
    if body.last_chat_id is None:
        return items[:CHATS_PAGE]
    wanted = chat_id(chat_jid(body.last_chat_id, "last_chat_id"))
    at = next((i for i, c in enumerate(items) if c["id"] == wanted), None)
    if at is None:
        raise ValidationFailed.field("last_chat_id", "is not a chat of this session")
    if body.direction in BACKWARD:
        return items[max(0, at - CHATS_PAGE):at]
    return items[at + 1:at + 1 + CHATS_PAGE]


@router.route("GET", "/api/v2/sessions/labels", scope="chats:read", body=schemas.SessionRef,
              query=("session_uuid",))
def list_labels(call: Call) -> list[dict[str, Any]]:
    """Get Labels of Session (WhatsApp Business labels)."""
    body: schemas.SessionRef = parsed(call)
    found = session_of(call, body.session_uuid)
    service = call.services.label_service
    return [label(item) for item in collect(lambda cursor: service.list(
        call.principal, found.id, 100, cursor), MAX_LISTED)]


@router.route("GET", "/api/v2/sessions/contacts", scope="contacts:read",
              body=schemas.SessionRef, query=("session_uuid",))
def list_contacts(call: Call) -> list[dict[str, Any]]:
    """Get Contacts of Session: the people the session knows (the first 1,000 by name)."""
    body: schemas.SessionRef = parsed(call)
    found = session_of(call, body.session_uuid)
    service = call.services.contacts_service
    return [contact(item) for item in collect(lambda cursor: service.list(
        call.principal, found.id, 100, cursor, None, None), MAX_LISTED)]


@router.route("GET", "/api/v2/sessions/check_availability", scope="contacts:read",
              body=schemas.ChatRef, query=("session_uuid", "chat_id"))
def check_availability(call: Call) -> dict[str, Any]:
    """Check if Phone Available to Chat: is the number on WhatsApp (asked live)."""
    body: schemas.ChatRef = parsed(call)
    found = session_of(call, body.session_uuid)
    number = body.chat_id.split("@", 1)[0]
    with fields_named({"phones[0]": "chat_id", "phones": "chat_id"}):
        result = call.services.contacts_service.check(call.principal, found.id, [number])
    checked = result.results[0]
    return {"chat_id": chat_id(checked.jid) if checked.jid else f"{number.lstrip('+')}@c.us",
            "number": checked.phone.lstrip("+"), "available": checked.on_whatsapp,
            "lid": checked.lid}


@router.route("GET", "/api/v2/sessions/group_info_from_link", scope="groups:read",
              body=schemas.GroupLinkIn, query=("session_uuid", "url"))
def group_info_from_link(call: Call) -> dict[str, Any]:
    """Group info from an invite link (``https://chat.whatsapp.com/<code>``), asked live
    without joining."""
    body: schemas.GroupLinkIn = parsed(call)
    found = session_of(call, body.session_uuid)
    with fields_named({"invite": "url"}):
        group = call.services.group_service.invite_info(call.principal, found.id, body.url)
    return {"id": group.id, "subject": group.subject, "description": group.description,
            "owner": chat_id(group.owner), "created_at": group.created_at.isoformat()
            if group.created_at else None, "announce": group.announce, "locked": group.locked,
            "size": len(group.participants),
            "participants": [{"id": chat_id(p.jid), "number": (p.phone or "").lstrip("+")
                              or None, "is_admin": p.admin, "is_super_admin": p.superadmin}
                             for p in group.participants]}
