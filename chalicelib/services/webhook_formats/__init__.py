"""Webhook payload formats: a registry of formatters, and the signed request.

A formatter turns an event into the JSON body a receiver gets; subscriptions name one in
``format``. Each module of this package registers its own with ``@register(name)``:
``standard.py`` is wagate's own (Standard Webhooks); a product dialect adds one small module
here with its product's shape, and nothing else changes.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook as Signer

from chalicelib.domain.events import Event

Formatter = Callable[[Event], dict[str, Any]]
_FORMATS: dict[str, Formatter] = {}


def register(name: str) -> Callable[[Formatter], Formatter]:
    def add(formatter: Formatter) -> Formatter:
        _FORMATS[name] = formatter
        return formatter
    return add


def formats() -> dict[str, Formatter]:
    """Every format, by name (the first call imports the package's modules, which register
    theirs)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")  # cached after the first time
    return _FORMATS


def signed_request(event: Event, format_: str, secrets: list[str],
                   moment: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and Standard Webhooks headers of one delivery of ``event``: ``webhook-id`` is
    the event id (the same on every retry, redelivery and replay) and ``webhook-signature``
    holds one ``v1,…`` signature per secret (two while a rotated secret overlaps)."""
    body = json.dumps(formats()[format_](event), separators=(",", ":"))
    signatures = " ".join(Signer(secret).sign(event.id, moment, body) for secret in secrets)
    return body.encode(), {
        "Content-Type": "application/json",
        "webhook-id": event.id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }
