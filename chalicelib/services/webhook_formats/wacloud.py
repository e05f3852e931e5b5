"""WACloud's webhook payload: ``{"event": "message"|"status", "device_id", "data"}`` with
WAHA-style chat ids (``…@c.us``)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.events import Event, EventType
from chalicelib.domain.jids import USER_SERVER
from chalicelib.services.webhook_formats import register

# Our message statuses in WACloud's words, with WAHA's ack numbers (none for incoming).
STATUSES: dict[str, tuple[str, int | None]] = {
    "scheduled": ("pending", 0), "queued": ("pending", 0), "sending": ("pending", 0),
    "sent": ("sent", 1), "delivered": ("delivered", 2), "read": ("read", 3),
    "played": ("played", 4), "received": ("received", None), "failed": ("failed", -1),
    "expired": ("failed", -1), "canceled": ("failed", -1)}


def c_us(jid: str | None) -> str | None:
    """A JID as WAHA (and so WACloud) writes it: ``…@c.us`` for phones."""
    if jid and jid.endswith("@" + USER_SERVER):
        return jid.split("@")[0] + "@c.us"
    return jid


def unix(moment: str | None) -> int | None:
    """An ISO time as Unix seconds."""
    return int(clock.parse(moment).timestamp()) if moment else None


@register("wacloud", events=(EventType.MESSAGE_RECEIVED.value, EventType.MESSAGE_STATUS.value))
def wacloud(event: Event) -> dict[str, Any]:
    data = event.data
    if event.type == EventType.MESSAGE_RECEIVED:
        shaped = {"message_id": data.get("id"),
                  "from": c_us(data.get("from") or data.get("sender") or data.get("chat")),
                  "to": c_us(data.get("to")), "body": data.get("text") or "",
                  "message_type": data.get("type"), "timestamp": unix(data.get("created_at")),
                  "push_name": data.get("push_name"), "chat_id": c_us(data.get("chat"))}
        return {"event": "message", "device_id": event.session_id, "data": shaped}
    status, ack = STATUSES.get(data.get("status") or "", ("pending", 0))
    return {"event": "status", "device_id": event.session_id, "data": {
        "message_id": data.get("message_id"), "to": c_us(data.get("to") or data.get("chat")),
        "status": status, "ack": ack, "error": data.get("reason") if status == "failed" else None,
        "timestamp": unix(data.get("at"))}}
