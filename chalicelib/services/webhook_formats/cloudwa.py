"""CloudWA's callbacks (a session's ``webhook_url`` created through the CloudWA dialect, or
any subscription with ``format: "cloudwa"``): ``{"event", "session_uuid", "data"}`` with
inbound messages and status changes in the dialect's own shapes and words (statuses upper
case, chats ``…@c.us``, Laravel's timestamps). Message ids are wagate's (the ``uuid`` the
dialect's answers carry, taken back wherever the document takes a message id)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.events import Event, EventType
from chalicelib.services.webhook_formats import register

# Our statuses in CloudWA's words (its enums are upper case: TEXT, EXACT, REPLY…).
MESSAGE_STATUSES = {"scheduled": "SCHEDULED", "queued": "PENDING", "sending": "PENDING",
                    "sent": "SENT", "delivered": "DELIVERED", "read": "READ", "played": "READ",
                    "received": "RECEIVED", "failed": "FAILED", "expired": "FAILED",
                    "canceled": "CANCELED"}
SESSION_STATUSES = {"STOPPED": "DISCONNECTED", "STARTING": "CONNECTING", "SCAN_QR": "QR",
                    "WORKING": "CONNECTED", "FAILED": "FAILED"}


def chat_id(jid: str | None) -> str | None:
    """A chat as CloudWA names one: ``201101782890@c.us`` for a person, ``…@g.us`` a group."""
    if not jid:
        return None
    return jid.replace("@s.whatsapp.net", "@c.us") if "@" in jid else f"{jid}@c.us"


def _received(data: dict[str, Any]) -> dict[str, Any]:
    media = (data.get("content") or {}).get("media") or {}
    return {"uuid": data["id"], "chat_id": chat_id(data.get("chat")), "from_me": False,
            "sender": chat_id(data.get("from") or data.get("sender")),
            "push_name": data.get("push_name"), "type": str(data.get("type", "text")).upper(),
            "message": data.get("text"), "has_media": bool(media),
            "mimetype": media.get("mime_type"), "status": "RECEIVED",
            "reply_to_message_id": data.get("reply_to"),
            "created_at": clock.laravel(data.get("created_at"))}


def _status(data: dict[str, Any]) -> dict[str, Any]:
    return {"uuid": data["message_id"], "chat_id": chat_id(data.get("chat")),
            "status": MESSAGE_STATUSES.get(str(data.get("status")), "PENDING"),
            "reason": data.get("reason"), "at": clock.laravel(data.get("at"))}


def _session(data: dict[str, Any]) -> dict[str, Any]:
    return {"status": SESSION_STATUSES.get(str(data.get("status")), "DISCONNECTED"),
            "phone": data.get("phone"), "reason": data.get("reason")}


_SHAPES = {EventType.MESSAGE_RECEIVED: _received, EventType.MESSAGE_STATUS: _status,
           EventType.SESSION_STATUS: _session}


@register("cloudwa", events=tuple(t.value for t in _SHAPES))
def cloudwa(event: Event) -> dict[str, Any]:
    return {"event": event.type.value, "session_uuid": event.session_id,
            "data": _SHAPES[event.type](event.data),
            "timestamp": clock.laravel(event.timestamp)}
