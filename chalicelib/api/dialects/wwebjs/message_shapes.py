"""Our stored messages and groups as whatsapp-web.js serializes its ``Message`` and
``GroupChat`` (the wrapper answers them with ``JSON.stringify``). The ``Message`` itself, its
ids, acks and types are the callbacks' (``services/webhook_formats/wwebjs.py``): answers and
callbacks show a message alike."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.live.groups import Group
from chalicelib.domain.messages import Direction, Message
from chalicelib.services.webhook_formats.wwebjs import ACKS, message_json, serialized, wid


def _body(message: Message, content: dict[str, Any]) -> str:
    for key in ("text", "caption", "question", "emoji"):
        if content.get(key):
            return str(content[key])
    return message.text or ""


def stored_message(message: Message, own: str | None) -> dict[str, Any]:
    """One stored message as whatsapp-web.js's ``Message`` (``own``: the session's number)."""
    content = message.content or {}
    from_me = message.direction == Direction.OUTBOUND
    location = None
    if message.type == "location":
        location = {"latitude": content.get("latitude"), "longitude": content.get("longitude"),
                    "description": content.get("name") or content.get("address")}
    cards = [c.get("vcard") for c in content.get("contacts", []) if isinstance(c, dict)]
    kind = "revoked" if message.revoked_at else message.type
    if kind == "contact" and len(cards) > 1:
        kind = "multi_vcard"
    forwarded = "forwarded_from" in message.metadata
    return message_json(
        message_id=message.id, chat=message.chat, from_me=from_me,
        own=own or (message.from_ if from_me else message.to),
        author=None if from_me else message.sender, type_=kind,
        body="" if message.revoked_at else _body(message, content), at=message.created_at,
        ack=ACKS.get(message.status, 0),
        extra={"hasMedia": "media" in content, "isForwarded": forwarded,
               "forwardingScore": 1 if forwarded else 0, "isStarred": message.starred,
               "hasQuotedMsg": bool(message.reply_to or message.quoted), "location": location,
               "vCards": cards,
               "mentionedIds": [serialized(m) for m in content.get("mentions", [])]})


def mentioned(jid: str) -> dict[str, Any]:
    """A mentioned person as whatsapp-web.js's ``Contact`` (what a message knows of them)."""
    ident = wid(jid)
    assert ident is not None
    return {"id": ident, "number": ident["user"], "isBusiness": False, "isEnterprise": False,
            "isGroup": False, "isMe": False, "isMyContact": False, "isUser": True,
            "isWAContact": True, "isBlocked": False, "name": None, "pushname": None,
            "shortName": None}


def participant_json(participant: Any) -> dict[str, Any]:
    return {"id": wid(participant.jid), "isAdmin": participant.admin,
            "isSuperAdmin": participant.superadmin}


def group_metadata(group: Group) -> dict[str, Any]:
    """whatsapp-web.js's ``groupMetadata`` of a group (``restrict``: only admins edit its
    info; ``announce``: only admins send)."""
    created = int(group.created_at.timestamp()) if group.created_at else 0
    return {
        "id": wid(group.id), "creation": created,
        "owner": wid(group.owner) if group.owner else None,
        "subject": group.subject, "subjectTime": created, "desc": group.description or "",
        "restrict": group.locked, "announce": group.announce, "noFrequentlyForwarded": False,
        "ephemeralDuration": 0, "membershipApprovalMode": False, "size": len(group.participants),
        "support": False, "suspended": False, "terminated": False, "isParentGroup": False,
        "defaultSubgroup": False,
        "participants": [participant_json(p) for p in group.participants],
        "pendingParticipants": [], "pastParticipants": [],
    }


def group_chat(group: Group) -> dict[str, Any]:
    """A group as whatsapp-web.js's ``GroupChat``."""
    return {
        "groupMetadata": group_metadata(group), "id": wid(group.id),
        "name": group.subject, "isGroup": True, "isReadOnly": False, "unreadCount": 0,
        "timestamp": int(group.created_at.timestamp()) if group.created_at else 0,
        "archived": False, "pinned": False, "isMuted": False, "muteExpiration": 0,
    }
