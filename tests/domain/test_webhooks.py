"""Webhook subscriptions and deliveries (``chalicelib.domain.webhooks``): the retry schedule
with its jitter, delivery ids, which events a subscription wants, its signing secrets and
failing streak, and what an attempt keeps."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import clock
from chalicelib.domain.events import Event, EventType
from chalicelib.domain.webhooks import (
    JITTER,
    RESPONSE_BODY_BYTES,
    Subscription,
    attempt_record,
    delivery_id,
    new_secret,
    retry_delay,
)

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
SCHEDULES = st.lists(st.integers(min_value=1, max_value=200_000), max_size=10)


class Spread(random.Random):
    """A ``random`` whose jitter is ``spread`` (a fraction of the wait, within ±JITTER)."""

    def __init__(self, spread: float) -> None:
        super().__init__(0)
        self.spread = spread

    def uniform(self, a: float, b: float) -> float:
        assert (a, b) == (-JITTER, JITTER)
        return self.spread


def subscription(**fields: object) -> Subscription:
    now = clock.iso(NOW)
    values: dict[str, object] = {"id": "wh_1", "tenant_id": "t1", "url": "https://h.example/x",
                                 "secret": new_secret(), "created_at": now, "updated_at": now}
    return Subscription.model_validate({**values, **fields})


def event(event_type: EventType = EventType.MESSAGE_STATUS,
          session_id: str | None = "s1") -> Event:
    return Event.new(event_type, "t1", session_id, {})


# --- the retry schedule -------------------------------------------------------------------------


@given(SCHEDULES, st.integers(min_value=-2, max_value=14),
       st.floats(min_value=-JITTER, max_value=JITTER))
def test_a_retry_waits_the_schedule_within_its_jitter_then_stops(schedule: list[int], step: int,
                                                                 spread: float) -> None:
    delay = retry_delay(schedule, step, Spread(spread))
    if not 1 <= step <= len(schedule):
        assert delay is None
        return
    base = schedule[step - 1]
    assert isinstance(delay, int) and delay >= 1
    # ±10%, to the whole second SQS delays take
    assert base * (1 - JITTER) - 0.5 <= delay <= base * (1 + JITTER) + 0.5


@given(SCHEDULES, st.randoms(use_true_random=False))
def test_every_step_of_a_schedule_has_a_wait_and_the_one_after_it_none(
        schedule: list[int], rand: random.Random) -> None:
    delays = [retry_delay(schedule, step, rand) for step in range(1, len(schedule) + 2)]
    assert all(d is not None for d in delays[:-1]) and delays[-1] is None


def test_the_jitter_spreads_retries_of_the_same_step() -> None:
    rand = random.Random(7)
    delays = {retry_delay([300], 1, rand) for _ in range(200)}
    assert len(delays) > 10 and min(delays) >= 270 and max(delays) <= 330
    assert retry_delay([300], 1, Spread(-JITTER)) == 270
    assert retry_delay([300], 1, Spread(JITTER)) == 330


def test_no_retry_waits_less_than_a_second() -> None:
    assert retry_delay([1, 1], 2, Spread(-JITTER)) == 1


# --- delivery ids -------------------------------------------------------------------------------


def test_a_delivery_id_is_the_same_however_often_it_is_computed() -> None:
    sent = event()
    ulid = sent.id.removeprefix("evt_")
    assert delivery_id(sent.id) == delivery_id(sent.id) == f"dlv_{ulid}"
    assert delivery_id(sent.id, "rplabc") == f"dlv_{ulid}_rplabc"
    assert delivery_id(sent.id, "rplabc") != delivery_id(sent.id, "rplxyz")


def test_delivery_ids_sort_like_their_events() -> None:
    first = Event.new(EventType.MESSAGE_STATUS, "t1", None, {})
    later = first.model_copy(update={"id": "evt_" + "Z" * 26})
    assert delivery_id(first.id) < delivery_id(later.id)


# --- what a subscription wants ------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "sent", "wanted"), [
    ({}, event(), True),
    ({"events": ["message.*"]}, event(), True),
    ({"events": ["message.received"]}, event(), False),
    ({"session_ids": ["s1"]}, event(), True),
    ({"session_ids": ["s2"]}, event(), False),
    ({"session_ids": ["s1"]}, event(EventType.WEBHOOK_DISABLED, session_id=None), False),
    ({"enabled": False}, event(), True),  # wanted; a disabled subscription is skipped elsewhere
])
def test_a_subscription_wants_its_events_of_its_sessions(fields: dict[str, object], sent: Event,
                                                         wanted: bool) -> None:
    assert subscription(**fields).wants(sent) is wanted


def test_a_new_secret_is_a_standard_webhooks_secret() -> None:
    secrets = {new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24


def test_the_previous_secret_signs_only_during_its_overlap() -> None:
    until = NOW + timedelta(hours=24)
    rotated = subscription(secret="whsec_new", previous_secret="whsec_old",
                           previous_secret_until=clock.iso(until))
    assert rotated.signing_secrets(NOW) == ["whsec_new", "whsec_old"]
    assert rotated.signing_secrets(until - timedelta(seconds=1)) == ["whsec_new", "whsec_old"]
    assert rotated.signing_secrets(until) == ["whsec_new"]
    assert subscription(secret="whsec_only").signing_secrets(NOW) == ["whsec_only"]


def test_a_failing_streak_is_too_long_once_it_lasts_the_window() -> None:
    failing = subscription(failing_since=clock.iso(NOW))
    assert not failing.failing_too_long(NOW + timedelta(seconds=599), 600)
    assert failing.failing_too_long(NOW + timedelta(seconds=600), 600)
    assert not subscription().failing_too_long(NOW + timedelta(days=30), 600)


# --- attempts -----------------------------------------------------------------------------------


def test_an_attempt_keeps_the_first_kilobyte_of_the_answer() -> None:
    attempt = attempt_record(NOW, 500, 12, "é".encode() * 2000, "HTTP 500")
    assert attempt.response_body is not None
    assert len(attempt.response_body.encode()) <= RESPONSE_BODY_BYTES + 3  # a cut character
    assert attempt.response_body.startswith("é" * 500)
    assert (attempt.http_status, attempt.latency_ms, attempt.error) == (500, 12, "HTTP 500")
    assert not attempt.succeeded


@pytest.mark.parametrize(("status", "succeeded"), [(200, True), (204, True), (299, True),
                                                   (300, False), (410, False), (None, False)])
def test_only_a_2xx_answer_is_a_success(status: int | None, succeeded: bool) -> None:
    assert attempt_record(NOW, status, 1, b"", None).succeeded is succeeded


def test_an_attempt_without_an_answer_keeps_a_bounded_error() -> None:
    attempt = attempt_record(NOW, None, 10_000, b"", "ConnectTimeout: " + "x" * 5000)
    assert attempt.response_body is None and attempt.http_status is None
    assert attempt.error is not None and len(attempt.error) == 300
