"""Webhook payload formats: a registry of formatters, and the signed request.

A formatter turns an event into the body a receiver gets (JSON, or a ``Payload`` of another
type, e.g. a form); subscriptions name one in ``format``. Each module of this package registers
its own with ``@register(name)``: ``standard.py`` is wagate's own (Standard Webhooks); a product
dialect adds one small module here with its product's shape, and nothing else changes. A
format that only has a shape for some events says which (``events=``): its subscriptions
carry those and no others.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook as Signer

from chalicelib.domain.events import Event
from chalicelib.domain.sessions import Session


@dataclass(frozen=True)
class Payload:
    """A body that is not JSON (a product that takes forms, say)."""

    body: bytes
    content_type: str


Formatter = Callable[..., "dict[str, Any] | Payload"]  # fn(event), or fn(event, session)
_FORMATS: dict[str, Formatter] = {}
_CARRIES: dict[str, tuple[str, ...]] = {}
_WITH_SESSION: set[str] = set()


def register(name: str, events: tuple[str, ...] | None = None, needs_session: bool = False
             ) -> Callable[[Formatter], Formatter]:
    """Register a formatter; ``events``: the only event types (or patterns) it has a shape
    for; ``needs_session``: it is called ``fn(event, session)`` with the event's session
    (None when there is none, or no more), for a product whose payloads name sessions by
    their name or show their number."""
    def add(formatter: Formatter) -> Formatter:
        _FORMATS[name] = formatter
        if events is not None:
            _CARRIES[name] = events
        if needs_session:
            _WITH_SESSION.add(name)
        return formatter
    return add


def formats() -> dict[str, Formatter]:
    """Every format, by name (the first call imports the package's modules, which register
    theirs)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")  # cached after the first time
    return _FORMATS


def carried(format_: str) -> tuple[str, ...] | None:
    """The event types a format is limited to (None: any event)."""
    formats()
    return _CARRIES.get(format_)


def needs_session(format_: str) -> bool:
    """Whether a format's formatter takes the event's session (``register(needs_session=
    True)``)."""
    formats()
    return format_ in _WITH_SESSION


def signed_request(event: Event, format_: str, secrets: list[str], moment: datetime,
                   session: Session | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and Standard Webhooks headers of one delivery of ``event``: ``webhook-id`` is
    the event id (the same on every retry, redelivery and replay) and ``webhook-signature``
    holds one ``v1,…`` signature per secret (two while a rotated secret overlaps)."""
    formatter = formats()[format_]
    shaped = formatter(event, session) if format_ in _WITH_SESSION else formatter(event)
    if isinstance(shaped, Payload):
        body, content_type = shaped.body.decode(), shaped.content_type
    else:
        body, content_type = json.dumps(shaped, separators=(",", ":")), "application/json"
    signatures = " ".join(Signer(secret).sign(event.id, moment, body) for secret in secrets)
    return body.encode(), {
        "Content-Type": content_type,
        "webhook-id": event.id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }
