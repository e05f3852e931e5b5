"""The event worker (events queue → consumers) and the webhook delivery worker.

``CONSUMERS`` is the one registry: each event type maps to the consumers that act on it,
each named, so a redelivered SQS record never runs one twice for the same event id
(``EventService.consume``). Later features (bots, OTP, campaign counters) add their
entries here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.bootstrap import Container, container
from chalicelib.domain.events import Event, EventType
from chalicelib.workers.batch import process_batch

if TYPE_CHECKING:
    from chalicelib.services.events import Consumer

ALL = "*"  # consumers of every event type


Handler = Callable[[Event], None]

# Event type (or ALL) → (consumer name, how the container provides it).
CONSUMERS: dict[str, list[tuple[str, Callable[[Container], Handler]]]] = {
    ALL: [("webhooks", lambda c: c.delivery_service.fan_out)],
    # otp: reverse codes written to a shared number; bots: the tenant's STOP/START keywords,
    # then its keyword bots (services.bots)
    EventType.MESSAGE_RECEIVED: [("push", lambda c: c.device_service.notify),
                                 ("otp", lambda c: c.otp_service.on_inbound),
                                 ("bots", lambda c: c.bot_service.on_message)],
    EventType.MESSAGE_STATUS: [("otp", lambda c: c.otp_service.on_message_status)],
    # the governor throttled a session: its running campaigns pause until the throttle ends
    EventType.SESSION_THROTTLED: [("campaigns", lambda c: c.campaign_service.on_session_throttled)],
}


def consumers_of(event_type: str, c: Container) -> list[Consumer]:
    from chalicelib.services.events import Consumer

    entries = CONSUMERS.get(ALL, []) + CONSUMERS.get(event_type, [])
    return [Consumer(name, provide(c)) for name, provide in entries]


def handle_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    c = container()

    def consume(body: dict[str, Any], _receive_count: int) -> None:
        published = Event.model_validate(body)
        c.event_service.consume(published, consumers_of(published.type.value, c))

    return process_batch(event, context, "events", consume)


def handle_deliveries(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deliveries = container().delivery_service
    return process_batch(event, context, "webhook-deliveries",
                         lambda body, _: deliveries.handle(body))
