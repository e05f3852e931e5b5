"""Our messages and groups as whatsapp-web.js serializes its ``Message`` and ``GroupChat``
(the wrapper answers them with ``JSON.stringify``): ids in the ``…@c.us`` form, times in
Unix seconds, and a message's status as its ``ack`` number."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.jids import USER_SERVER
from chalicelib.domain.live.groups import Group
from chalicelib.domain.messages import Direction, Message, MessageStatus

# whatsapp-web.js ``MessageAck``: ACK_ERROR -1, ACK_PENDING 0, ACK_SERVER 1, ACK_DEVICE 2,
# ACK_READ 3, ACK_PLAYED 4. A message not yet handed to WhatsApp is pending; one that ended
# without reaching it (failed, expired, canceled) is an error. A received message: server.
ACK = {MessageStatus.SCHEDULED: 0, MessageStatus.QUEUED: 0, MessageStatus.SENDING: 0,
       MessageStatus.SENT: 1, MessageStatus.DELIVERED: 2, MessageStatus.READ: 3,
       MessageStatus.PLAYED: 4, MessageStatus.RECEIVED: 1, MessageStatus.FAILED: -1,
       MessageStatus.EXPIRED: -1, MessageStatus.CANCELED: -1}
# Our content types as whatsapp-web.js ``MessageTypes`` names them.
TYPES = {"text": "chat", "image": "image", "video": "video", "audio": "audio", "voice": "ptt",
         "document": "document", "sticker": "sticker", "location": "location",
         "contact": "vcard", "poll": "poll_creation", "list": "list", "reaction": "reaction"}


def wid(jid: str | None) -> str | None:
    """A JID as whatsapp-web.js writes it: a person's phone JID ends in ``@c.us``."""
    if not jid:
        return None
    user, _, server = jid.partition("@")
    return f"{user}@c.us" if server == USER_SERVER else jid


def wid_object(jid: str) -> dict[str, str]:
    """whatsapp-web.js's ``ChatId``/``ContactId``: ``{server, user, _serialized}``."""
    serialized = wid(jid) or jid
    user, _, server = serialized.partition("@")
    return {"server": server, "user": user, "_serialized": serialized}


def own_wid(phone: str | None) -> str | None:
    """The session's own id from its number (``+14155550100`` → ``14155550100@c.us``)."""
    return f"{phone.lstrip('+')}@c.us" if phone else None


def seconds(stamp: str | None) -> int:
    return int(clock.parse(stamp).timestamp()) if stamp else 0


def message_id(message: Message) -> dict[str, Any]:
    """whatsapp-web.js's ``MessageId``; ``id`` is our message id (known from the moment a
    send is accepted, and accepted back wherever a ``messageId`` is asked, as is WhatsApp's
    own id)."""
    from_me = message.direction == Direction.OUTBOUND
    remote = wid(message.chat) or message.chat
    found: dict[str, Any] = {"fromMe": from_me, "remote": remote, "id": message.id,
                             "_serialized": f"{str(from_me).lower()}_{remote}_{message.id}"}
    if not from_me and message.sender and message.sender != message.chat:
        found["participant"] = wid(message.sender)
        found["_serialized"] += f"_{found['participant']}"
    return found


def _body(message: Message, content: dict[str, Any]) -> str:
    for key in ("text", "caption", "question", "emoji"):
        if content.get(key):
            return str(content[key])
    return message.text or ""


def message_json(message: Message, own: str | None) -> dict[str, Any]:
    """One message as whatsapp-web.js's ``Message`` (``own``: the session's number)."""
    content = message.content or {}
    from_me = message.direction == Direction.OUTBOUND
    chat = wid(message.chat)
    me = own_wid(own) or wid(message.from_ if from_me else message.to)
    group = message.chat.endswith("@g.us")
    location = None
    if message.type == "location":
        location = {"latitude": content.get("latitude"), "longitude": content.get("longitude"),
                    "description": content.get("name") or content.get("address")}
    cards = [c.get("vcard") for c in content.get("contacts", []) if isinstance(c, dict)]
    kind = "revoked" if message.revoked_at else TYPES.get(message.type, "unknown")
    if kind == "vcard" and len(cards) > 1:
        kind = "multi_vcard"
    return {
        "id": message_id(message),
        "ack": ACK.get(message.status, 0),
        "hasMedia": "media" in content,
        "body": "" if message.revoked_at else _body(message, content),
        "type": kind,
        "timestamp": seconds(message.created_at),
        "from": me if from_me else chat,
        "to": chat if from_me else me,
        "author": wid(message.sender) if group and not from_me else None,
        "deviceType": "web" if from_me else "android",
        "isForwarded": "forwarded_from" in message.metadata,
        "forwardingScore": 1 if "forwarded_from" in message.metadata else 0,
        "isStatus": message.chat == "status@broadcast",
        "isStarred": message.starred,
        "broadcast": False,
        "fromMe": from_me,
        "hasQuotedMsg": bool(message.reply_to or message.quoted),
        "hasReaction": False,
        "location": location,
        "vCards": cards,
        "mentionedIds": [wid(m) for m in content.get("mentions", [])],
        "groupMentions": [],
        "isGif": False,
        "links": [],
    }


def mentioned(jid: str) -> dict[str, Any]:
    """A mentioned person as whatsapp-web.js's ``Contact`` (what a message knows of them)."""
    ident = wid_object(jid)
    return {"id": ident, "number": ident["user"], "isBusiness": False, "isEnterprise": False,
            "isGroup": False, "isMe": False, "isMyContact": False, "isUser": True,
            "isWAContact": True, "isBlocked": False, "name": None, "pushname": None,
            "shortName": None}


def participant_json(participant: Any) -> dict[str, Any]:
    return {"id": wid_object(participant.jid), "isAdmin": participant.admin,
            "isSuperAdmin": participant.superadmin}


def group_metadata(group: Group) -> dict[str, Any]:
    """whatsapp-web.js's ``groupMetadata`` of a group (``restrict``: only admins edit its
    info; ``announce``: only admins send)."""
    created = int(group.created_at.timestamp()) if group.created_at else 0
    return {
        "id": wid_object(group.id), "creation": created,
        "owner": wid_object(group.owner) if group.owner else None,
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
        "groupMetadata": group_metadata(group), "id": wid_object(group.id),
        "name": group.subject, "isGroup": True, "isReadOnly": False, "unreadCount": 0,
        "timestamp": int(group.created_at.timestamp()) if group.created_at else 0,
        "archived": False, "pinned": False, "isMuted": False, "muteExpiration": 0,
    }
