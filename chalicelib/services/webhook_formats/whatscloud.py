"""WhatsCloud's callbacks: WhatsMark SaaS forwards WhatsApp Cloud API's own webhook body
(``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
"value": {...}}]}]}``): inbound messages under ``messages``, status changes under ``statuses``
in its vocabulary (sent, delivered, read, failed). The session stands in for the business
phone number (``phone_number_id``)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.events import Event, EventType
from chalicelib.services.webhook_formats import register

# Our message statuses in the Cloud API's words (a message not yet sent is "accepted", as
# the Cloud API's send answer says; whatever ended it unsent is "failed").
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read",
            "failed": "failed", "expired": "failed", "canceled": "failed"}
_ERRORS = {"expired": (131026, "Message expired"), "canceled": (131000, "Message canceled")}
_MEDIA = ("image", "video", "audio", "voice", "document", "sticker")


def _digits(jid: str | None) -> str:
    return (jid or "").split("@", 1)[0].split(":", 1)[0].lstrip("+")


def _seconds(at: str | None) -> str:
    return str(int(clock.parse(at).timestamp())) if at else str(int(clock.now().timestamp()))


def _message(data: dict[str, Any]) -> dict[str, Any]:
    """An inbound message as the Cloud API's ``messages[]`` item."""
    sender = _digits(data.get("from") or data.get("sender_phone") or data.get("sender")
                     or data.get("chat"))
    kind = data.get("type") or "text"
    item: dict[str, Any] = {"from": sender, "id": data["id"],
                            "timestamp": _seconds(data.get("created_at")),
                            "type": "audio" if kind == "voice" else kind}
    if kind == "text":
        item["text"] = {"body": data.get("text") or ""}
    elif kind in _MEDIA:
        media = (data.get("content") or {}).get("media") or {}
        item[item["type"]] = {"id": data["id"], "mime_type": media.get("mime_type"),
                              "sha256": media.get("sha256"),
                              **({"caption": data["text"]} if data.get("text") else {})}
    elif data.get("text"):
        item[kind] = {"body": data["text"]}
    return item


def _status(data: dict[str, Any]) -> dict[str, Any]:
    """A status change as the Cloud API's ``statuses[]`` item."""
    ours = data.get("status") or ""
    item: dict[str, Any] = {"id": data["message_id"], "status": STATUSES.get(ours, "accepted"),
                            "timestamp": _seconds(data.get("at")),
                            "recipient_id": _digits(data.get("to") or data.get("chat"))}
    if item["status"] == "failed":
        code, title = _ERRORS.get(ours, (131000, data.get("reason") or "Message failed"))
        item["errors"] = [{"code": code, "title": title}]
    return item


@register("whatscloud", events=(EventType.MESSAGE_RECEIVED.value,
                                EventType.MESSAGE_STATUS.value))
def whatscloud(event: Event) -> dict[str, Any]:
    data = event.data
    own = data.get("to") if event.type == EventType.MESSAGE_RECEIVED else data.get("from")
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": _digits(own), "phone_number_id": event.session_id},
    }
    if event.type == EventType.MESSAGE_RECEIVED:
        item = _message(data)
        value["contacts"] = [{"profile": {"name": data.get("push_name") or ""},
                              "wa_id": item["from"]}]
        value["messages"] = [item]
    else:
        value["statuses"] = [_status(data)]
    return {"object": "whatsapp_business_account",
            "entry": [{"id": event.session_id, "changes": [{"field": "messages",
                                                            "value": value}]}]}
