"""wagate's own payload: ``{type, timestamp, data}`` (Standard Webhooks)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.events import Event
from chalicelib.services.webhook_formats import register


@register("standard")
def standard(event: Event) -> dict[str, Any]:
    """``data`` carries the ``session_id`` when the event has one; never the tenant."""
    data = {"session_id": event.session_id, **event.data} if event.session_id else event.data
    return {"type": event.type.value, "timestamp": event.timestamp, "data": data}
