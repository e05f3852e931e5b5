"""Webhook payload formats: a registry of formatters, and the signed request.

A formatter turns an event into the JSON body a receiver gets. ``standard`` is wagate's own
(Standard Webhooks); a product dialect registers its product's shape with ``register`` from its
own small module, and subscriptions name it in ``format``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook as Signer

from chalicelib.domain.events import Event

Formatter = Callable[[Event], dict[str, Any]]
FORMATS: dict[str, Formatter] = {}


def register(name: str) -> Callable[[Formatter], Formatter]:
    def add(formatter: Formatter) -> Formatter:
        FORMATS[name] = formatter
        return formatter
    return add


@register("standard")
def standard(event: Event) -> dict[str, Any]:
    """``{type, timestamp, data}``; ``data`` carries the ``session_id`` when there is one."""
    data = {"session_id": event.session_id, **event.data} if event.session_id else event.data
    return {"type": event.type.value, "timestamp": event.timestamp, "data": data}


def signed_request(event: Event, format_: str, secrets: list[str],
                   moment: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and Standard Webhooks headers of one delivery of ``event``: ``webhook-id`` is
    the event id (the same on every retry, redelivery and replay) and ``webhook-signature``
    holds one ``v1,…`` signature per secret (two while a rotated secret overlaps)."""
    body = json.dumps(FORMATS[format_](event), separators=(",", ":"))
    signatures = " ".join(Signer(secret).sign(event.id, moment, body) for secret in secrets)
    return body.encode(), {
        "Content-Type": "application/json",
        "webhook-id": event.id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }
