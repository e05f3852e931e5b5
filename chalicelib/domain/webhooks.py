"""Webhook subscriptions and their deliveries: the records, the retry schedule, the rules."""

from __future__ import annotations

import base64
import random
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from chalicelib.domain import clock
from chalicelib.domain.events import EVENT_ID_PREFIX, Event, matches

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
MAX_SUBSCRIPTIONS = 100  # per tenant: a fan-out reads them all in one page
MAX_ATTEMPTS_KEPT = 20  # the delivery log keeps a delivery's latest attempts
RESPONSE_BODY_BYTES = 1024
JITTER = 0.1  # ±10% on every retry delay


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


class Subscription(BaseModel):
    """Where a tenant's events go: a URL, which events, signed with its secret."""

    id: str
    tenant_id: str
    url: str
    events: list[str] = ["*"]
    session_ids: list[str] | None = None  # None: every session
    format: str = "standard"
    description: str | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    secret: str
    previous_secret: str | None = None
    previous_secret_until: str | None = None
    failing_since: str | None = None
    session_webhook: bool = False  # a session's ``webhook_url`` (bound to that one session)
    created_at: str
    updated_at: str

    def wants(self, event: Event) -> bool:
        """Whether the event is for this subscription (enabled or not)."""
        if self.session_ids is not None and event.session_id not in self.session_ids:
            return False
        return matches(self.events, event.type.value)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one during its overlap after a rotation."""
        keys = [self.secret]
        if self.previous_secret and self.previous_secret_until and \
                clock.parse(self.previous_secret_until) > now:
            keys.append(self.previous_secret)
        return keys

    def failing_too_long(self, now: datetime, window_s: int) -> bool:
        return self.failing_since is not None and \
            (now - clock.parse(self.failing_since)).total_seconds() >= window_s


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    FAILED = "failed"


class Attempt(BaseModel):
    at: str
    http_status: int | None = None  # None: no answer (refused, timed out, connection error)
    latency_ms: int
    response_body: str | None = None  # the first RESPONSE_BODY_BYTES of the answer
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


class Delivery(BaseModel):
    """One event on its way to one subscription, with every attempt."""

    id: str
    tenant_id: str
    webhook_id: str
    event: Event
    status: DeliveryStatus = DeliveryStatus.PENDING
    origin: str = "live"  # live | replay | test | redeliver
    attempt_count: int = 0
    attempts: list[Attempt] = Field(default_factory=list)
    next_attempt_at: str | None = None
    created_at: str
    updated_at: str


def delivery_id(event_id: str, replay_id: str | None = None) -> str:
    """A delivery's id, the same however often it is computed: the live delivery of an event
    to a subscription is ``dlv_<event ULID>``, its delivery by replay ``r`` ``dlv_<ULID>_r``.
    So they list newest event first, and a re-run fan-out or replay page rewrites, never adds."""
    base = "dlv_" + event_id.removeprefix(EVENT_ID_PREFIX)
    return f"{base}_{replay_id}" if replay_id else base


def retry_delay(schedule: list[int], step: int, rand: random.Random | None = None) -> int | None:
    """Seconds before attempt ``step + 1`` (``step`` attempts made so far in this round);
    None when the schedule is spent. Jittered ±10%, at least one second."""
    if step < 1 or step > len(schedule):
        return None
    base = schedule[step - 1]
    spread = (rand or random).uniform(-JITTER, JITTER)
    return max(1, round(base * (1 + spread)))


def after(moment: datetime, seconds: float) -> str:
    """``moment`` plus ``seconds``, as stored (ISO 8601, UTC)."""
    return clock.iso(moment + timedelta(seconds=seconds))


def attempt_record(now: datetime, http_status: int | None, latency_ms: int, body: bytes,
                   error: str | None) -> Attempt:
    """One attempt as the log keeps it: the answer's first KB, the error's first 300 chars."""
    return Attempt(at=clock.iso(now), http_status=http_status, latency_ms=latency_ms,
                   response_body=body[:RESPONSE_BODY_BYTES].decode("utf-8", "replace") or None,
                   error=error[:300] if error else None)
