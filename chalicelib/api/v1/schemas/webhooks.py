"""Webhook subscriptions, their deliveries, and replays."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, HttpUrl, Id, Out, Timestamp, text, token
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.webhooks import Delivery, Subscription

EventPattern = token(64)
EVENTS_DOC = 'Event types, prefixes like "message.*", or ["*"] (every event).'
SESSIONS_DOC = "Only events of these sessions (absent or null: every session)."
Format = token(32)
Description = text(500, 0)
DeliveryStatus = Literal["pending", "succeeded", "retrying", "failed"]


class WebhookIn(Body):
    url: HttpUrl = Field(description="Where events are POSTed (https outside a local stack).")
    events: list[EventPattern] = Field(default_factory=lambda: ["*"], min_length=1,
                                       max_length=50, description=EVENTS_DOC)
    session_ids: list[Id] | None = Field(default=None, min_length=1, max_length=100,
                                         description=SESSIONS_DOC)
    format: Format = Field(default="standard", description=(
        "The payload shape: standard (wagate's own), or a product dialect's: wacloud, wachat "
        "(inbound messages only, as a form), whatscloud."))
    description: Description | None = None
    enabled: bool = True


class WebhookPatch(Body):
    url: HttpUrl | None = None
    events: list[EventPattern] | None = Field(default=None, min_length=1, max_length=50,
                                              description=EVENTS_DOC)
    session_ids: list[Id] | None = Field(default=None, min_length=1, max_length=100,
                                         description=SESSIONS_DOC)
    format: Format | None = None
    description: Description | None = None
    enabled: bool | None = None

    @classmethod
    def precheck(cls, data: dict[str, Any]) -> None:
        """Only ``session_ids`` and ``description`` may be null (null: every session, none)."""
        for name in ("url", "events", "format", "enabled"):
            if name in data and data[name] is None:
                raise ValidationFailed.field(name, "cannot be null")


class WebhookOut(Out):
    id: str
    url: str
    events: list[str]
    session_ids: list[str] | None
    format: str
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="gone (the receiver answered 410) or "
                                                    "failing (every delivery failed too long).")
    failing_since: str | None
    session_webhook: bool = Field(description="The webhook_url of the one session in "
                                              "session_ids.")
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookOut:
        return cls.model_validate(subscription.model_dump(
            include=set(cls.model_fields), mode="json"))


class WebhookWithSecret(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_…): shown only here.")
    previous_secret_until: str | None = Field(
        default=None, description="Until when the previous secret also signs (both signatures "
                                  "are in webhook-signature).")

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookWithSecret:
        return cls.model_validate(subscription.model_dump(
            include=set(cls.model_fields), mode="json"))


class AttemptOut(Out):
    at: str
    http_status: int | None = Field(description="null: no answer (refused, timeout, "
                                                "connection error).")
    latency_ms: int
    response_body: str | None = Field(description="The first 1 KB of the answer.")
    error: str | None


class DeliveryOut(Out):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    origin: Literal["live", "replay", "test", "redeliver"]
    attempt_count: int
    attempts: list[AttemptOut] = Field(description="The latest attempts (at most 20).")
    next_attempt_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        body = delivery.model_dump(mode="json", exclude={"tenant_id", "event"})
        return cls.model_validate({**body, "event_id": delivery.event.id,
                                   "event_type": delivery.event.type.value})


class TestOut(Out):
    delivery_id: str
    status: DeliveryStatus
    http_status: int | None
    latency_ms: int

    @classmethod
    def of(cls, delivery: Delivery) -> TestOut:
        last = delivery.attempts[-1]
        return cls(delivery_id=delivery.id, status=delivery.status.value,
                   http_status=last.http_status, latency_ms=last.latency_ms)


class ReplayIn(Body):
    since: Timestamp
    until: Timestamp | None = None
    event_types: list[EventPattern] | None = Field(default=None, min_length=1, max_length=50)


class ReplayOut(Out):
    replay_id: str
    webhook_id: str
    since: str
    until: str
    event_types: list[str] | None
    status: Literal["queued"]
    max_events: int = Field(description="The most events one replay re-delivers.")
