"""DeliveryService on fakes, working the webhook queue as the delivery worker does: fan-out,
signed requests, retries on the schedule (hopping past SQS's 15 minutes), the delivery log,
duplicate and stale jobs, disabling (410, a failing streak), secret rotation, test,
redeliver and replay; and a property test of one delivery's life."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
import standardwebhooks.webhooks
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError
from ulid import ULID

from chalicelib.domain import clock as gateway_clock
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.events import Event, EventType
from chalicelib.domain.webhooks import (
    MAX_ATTEMPTS_KEPT,
    RESPONSE_BODY_BYTES,
    Delivery,
    DeliveryStatus,
    Subscription,
    delivery_id,
)
from chalicelib.services import deliveries as deliveries_module
from chalicelib.services.deliveries import MAX_HOP_SECONDS, REPLAY_STEP_SECONDS
from chalicelib.services.events import Consumer
from tests.fakes import FakeClock, Post, Services, fake_settings, run_deliveries

URL = "https://hooks.example.com/wa"
SCHEDULE = [5, 300, 1800]  # fake_settings' webhook_retry_schedule
Make = Callable[..., Services]  # Services with some settings changed


@pytest.fixture
def make(clock: FakeClock) -> Make:
    """Services with some settings changed, on the ``clock`` fixture."""
    return lambda **settings: Services(fake_settings(**settings))


def hook(services: Services, url: str = URL, **fields: Any) -> Subscription:
    return services.subscription_service.create(services.acme, url, **fields)


def happened(event_type: EventType = EventType.MESSAGE_STATUS, session_id: str | None = "s1",
             tenant_id: str = "acme") -> Event:
    """An event of now by the gateway's clock (its id too, as a live one's would be)."""
    now = gateway_clock.now()
    return Event(id=f"evt_{ULID.from_datetime(now)}", type=event_type, tenant_id=tenant_id,
                 session_id=session_id, timestamp=gateway_clock.iso(now),
                 data={"message_id": "M1", "chat": "c", "status": "read"})


def publish(services: Services, event: Event) -> None:
    """What the event worker does with a published event: its webhooks consumer."""
    services.event_service.consume(
        event, [Consumer("webhooks", services.delivery_service.fan_out)])


def work_due(services: Services) -> int:
    """Handle the records of the webhook queue visible now; how many."""
    bodies = services.webhook_queue.receive()
    for body in bodies:
        services.delivery_service.handle(body)
    return len(bodies)


def next_records(services: Services, clock: FakeClock) -> None:
    """Move the clock to the next record of the webhook queue and handle what is then due."""
    clock.moment = max(clock.moment, min(s.visible_at for s in services.webhook_queue.sent))
    work_due(services)


def delivery_of(services: Services, subscription: Subscription, event: Event,
                replay_id: str | None = None) -> Delivery:
    return services.delivery_service.delivery("acme", subscription.id,
                                              delivery_id(event.id, replay_id))


def verify(secret: str, post: Post) -> dict[str, Any]:
    """The payload, if ``secret`` signed the POST (checked at the moment it was sent)."""
    sent_at = datetime.fromtimestamp(int(post.headers["webhook-timestamp"]), UTC)

    class SentAt(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> SentAt:  # type: ignore[override]
            return cls.fromtimestamp(sent_at.timestamp(), tz)

    with mock.patch.object(standardwebhooks.webhooks, "datetime", SentAt):
        return Webhook(secret).verify(post.body, post.headers)


def seconds_between(earlier: str, later: str) -> float:
    return (gateway_clock.parse(later) - gateway_clock.parse(earlier)).total_seconds()


# --- fan-out ------------------------------------------------------------------------------------


def test_an_event_reaches_every_enabled_subscription_that_wants_it_signed(services: Services,
                                                                         clock: FakeClock):
    shop, _ = services.session_service.create(services.acme, "shop", None, None, start=False)
    desk, _ = services.session_service.create(services.acme, "desk", None, None, start=False)
    wanting = {
        "all": hook(services, "https://all.example.com/h"),
        "exact": hook(services, "https://exact.example.com/h", events=["message.status"]),
        "prefix": hook(services, "https://prefix.example.com/h", events=["message.*"]),
        "shop": hook(services, "https://shop.example.com/h", session_ids=[shop.id]),
    }
    for url, fields in [("https://desk.example.com/h", {"session_ids": [desk.id]}),
                        ("https://other.example.com/h", {"events": ["session.status"]}),
                        ("https://off.example.com/h", {"enabled": False})]:
        hook(services, url, **fields)
    services.subscription_service.create(services.globex, "https://globex.example.com/h")
    sent = happened(session_id=shop.id)

    publish(services, sent)
    assert len(services.webhook_queue.sent) == len(wanting)  # one first attempt each
    run_deliveries(services, clock)

    by_url = {post.url: post for post in services.sender.posts}
    assert sorted(by_url) == sorted(s.url for s in wanting.values())
    assert len(services.sender.posts) == len(wanting)
    for subscription in wanting.values():
        post = by_url[subscription.url]
        assert post.headers["webhook-id"] == sent.id
        assert verify(subscription.secret, post) == {
            "type": "message.status", "timestamp": sent.timestamp,
            "data": {"session_id": shop.id, **sent.data}}
        delivery = delivery_of(services, subscription, sent)
        assert (delivery.status, delivery.attempt_count, delivery.origin) == (
            DeliveryStatus.SUCCEEDED, 1, "live")
        assert delivery.attempts[0].http_status == 200 and delivery.next_attempt_at is None


@pytest.mark.parametrize("count", [1, 10, 11, 25])
def test_a_fan_out_sends_its_first_attempts_ten_to_a_call(services: Services, clock: FakeClock,
                                                          count: int):
    for i in range(count):
        hook(services, f"https://h{i}.example.com/x")
    publish(services, happened())
    assert services.webhook_queue.batches == math.ceil(count / 10)

    assert services.deliveries.writes == 0  # the log is written when an attempt ends
    run_deliveries(services, clock)
    assert len(services.sender.posts) == count
    assert services.deliveries.writes == count  # one per delivery that succeeds at once


def test_events_sent_to_one_subscription_only_are_never_fanned_out(services: Services,
                                                                   clock: FakeClock):
    hook(services)
    publish(services, happened(EventType.WEBHOOK_TEST, session_id=None))
    assert services.webhook_queue.sent == [] and services.sender.posts == []


def test_a_fan_out_cut_short_before_its_jobs_were_sent_still_delivers(services: Services,
                                                                      clock: FakeClock):
    subscription = hook(services)
    sent = happened()
    services.webhook_queue.outage = ConnectionError("SQS is unreachable")
    with pytest.raises(ConnectionError):
        publish(services, sent)
    assert services.deliveries.items == {}  # nothing to show yet: nothing was attempted

    services.webhook_queue.outage = None
    publish(services, sent)  # the event's record comes back
    run_deliveries(services, clock)

    assert [p.headers["webhook-id"] for p in services.sender.posts] == [sent.id]
    assert delivery_of(services, subscription, sent).status == DeliveryStatus.SUCCEEDED


# --- retries ------------------------------------------------------------------------------------


def test_a_failing_receiver_is_retried_on_the_schedule_until_it_recovers(services: Services,
                                                                         clock: FakeClock):
    subscription = hook(services)
    services.sender.script(URL, 500, ConnectionError("connection refused"), 503, 204)
    sent = happened()
    publish(services, sent)
    work_due(services)

    retrying = delivery_of(services, subscription, sent)
    assert retrying.status == DeliveryStatus.RETRYING and retrying.attempt_count == 1
    assert retrying.attempts[0].error == "HTTP 500"
    assert retrying.next_attempt_at is not None
    assert 4 <= seconds_between(retrying.attempts[0].at, retrying.next_attempt_at) <= 6

    records = run_deliveries(services, clock)
    assert all(r.delay_seconds <= MAX_HOP_SECONDS for r in records)
    assert len(records) >= 4  # the 1,800 s wait takes two hops at least

    done = delivery_of(services, subscription, sent)
    assert (done.status, done.attempt_count, done.next_attempt_at) == (
        DeliveryStatus.SUCCEEDED, 4, None)
    assert [a.http_status for a in done.attempts] == [500, None, 503, 204]
    assert done.attempts[1].error == "ConnectionError: connection refused"
    for before, after, wait in zip(done.attempts[:-1], done.attempts[1:], SCHEDULE,
                                   strict=True):
        assert wait * 0.9 - 1 <= seconds_between(before.at, after.at) <= wait * 1.1 + 1
    assert {p.headers["webhook-id"] for p in services.sender.posts} == {sent.id}


def test_a_receiver_that_never_recovers_ends_failed_after_the_schedule(make: Make,
                                                                       clock: FakeClock):
    services = make(webhook_retry_schedule="1,2,3,4,5")
    subscription = hook(services)
    services.sender.script(URL, *[500] * 10)
    sent = happened()
    publish(services, sent)
    run_deliveries(services, clock)

    failed = delivery_of(services, subscription, sent)
    assert (failed.status, failed.attempt_count, failed.next_attempt_at) == (
        DeliveryStatus.FAILED, 6, None)
    assert len(services.sender.posts) == 6 and services.webhook_queue.sent == []


def test_a_url_the_policy_now_refuses_is_never_contacted(services: Services, clock: FakeClock):
    subscription = hook(services)
    services.urls.refused.add("hooks.example.com")  # its name now resolves somewhere private
    sent = happened()
    publish(services, sent)
    run_deliveries(services, clock)

    failed = delivery_of(services, subscription, sent)
    assert services.sender.posts == []
    assert failed.status == DeliveryStatus.FAILED and failed.attempt_count == len(SCHEDULE) + 1
    assert all(a.error and a.error.startswith("refused") and a.http_status is None
               for a in failed.attempts)


def test_an_attempt_keeps_the_status_the_latency_and_the_first_kilobyte(
        services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch):
    subscription = hook(services)
    ticks = iter(range(0, 10_000, 250))
    monkeypatch.setattr(deliveries_module, "time",
                        SimpleNamespace(monotonic=lambda: next(ticks) / 1000))
    monkeypatch.setattr(services.sender, "post", lambda url, body, headers: (502, b"x" * 5000))
    sent = happened()
    publish(services, sent)
    work_due(services)

    [attempt] = delivery_of(services, subscription, sent).attempts
    assert (attempt.http_status, attempt.latency_ms, attempt.error) == (502, 250, "HTTP 502")
    assert attempt.response_body == "x" * RESPONSE_BODY_BYTES
    assert attempt.at == gateway_clock.iso(clock.now())


def test_the_log_keeps_the_latest_attempts_and_counts_them_all(make: Make, clock: FakeClock):
    services = make(webhook_retry_schedule=",".join(["1"] * 30))
    subscription = hook(services)
    services.sender.script(URL, *[500] * 24, 200)
    sent = happened()
    publish(services, sent)
    run_deliveries(services, clock)

    done = delivery_of(services, subscription, sent)
    assert (done.status, done.attempt_count) == (DeliveryStatus.SUCCEEDED, 25)
    assert len(done.attempts) == MAX_ATTEMPTS_KEPT
    assert done.attempts[-1].http_status == 200 and done.attempts[0].http_status == 500


def test_a_delivery_whose_webhook_was_turned_off_keeps_at_most_the_latest_attempts(
        make: Make, clock: FakeClock):
    services = make(webhook_retry_schedule=",".join(["1"] * 30))
    subscription = hook(services)
    services.sender.script(URL, *[500] * 30)
    sent = happened()
    publish(services, sent)
    next_records(services, clock)  # the first attempt writes the delivery's record
    while delivery_of(services, subscription, sent).attempt_count < MAX_ATTEMPTS_KEPT:
        next_records(services, clock)
    services.subscription_service.update(services.acme, subscription.id, {"enabled": False})
    run_deliveries(services, clock)

    failed = delivery_of(services, subscription, sent)
    assert failed.status == DeliveryStatus.FAILED and len(failed.attempts) == MAX_ATTEMPTS_KEPT
    assert failed.attempts[-1].error == "not sent: webhook disabled"
    assert len(services.sender.posts) == MAX_ATTEMPTS_KEPT


def test_a_delivery_whose_webhook_was_deleted_is_never_sent_again(services: Services,
                                                                   clock: FakeClock):
    subscription = hook(services)
    services.sender.script(URL, 500)
    sent = happened()
    publish(services, sent)
    work_due(services)
    services.subscription_service.delete(services.acme, subscription.id)
    writes = services.deliveries.writes
    run_deliveries(services, clock)

    assert len(services.sender.posts) == 1 and services.webhook_queue.sent == []
    assert services.deliveries.writes == writes  # its log went with it


# --- duplicate and stale jobs -------------------------------------------------------------------


def test_a_job_handled_twice_posts_once(services: Services, clock: FakeClock):
    subscription = hook(services)
    sent = happened()
    publish(services, sent)
    [job] = services.webhook_queue.receive()
    services.delivery_service.handle(job)
    services.delivery_service.handle(job)  # SQS hands it out again

    assert len(services.sender.posts) == 1 and services.webhook_queue.sent == []
    assert delivery_of(services, subscription, sent).attempt_count == 1


def test_a_stale_or_duplicated_retry_does_nothing(services: Services, clock: FakeClock):
    subscription = hook(services)
    services.sender.script(URL, 500, 200)
    sent = happened()
    publish(services, sent)
    [first] = services.webhook_queue.receive()
    services.delivery_service.handle(first)
    [retry] = [s.body for s in services.webhook_queue.sent]
    services.webhook_queue.send(retry, 0)  # a copy of the retry, early
    services.delivery_service.handle(first)  # the first attempt's job, again: stale
    run_deliveries(services, clock)

    assert [p.headers["webhook-id"] for p in services.sender.posts] == [sent.id, sent.id]
    done = delivery_of(services, subscription, sent)
    assert (done.status, done.attempt_count) == (DeliveryStatus.SUCCEEDED, 2)


# --- disabling ----------------------------------------------------------------------------------


def test_410_disables_the_subscription_at_once_and_tells_the_others(services: Services,
                                                                    clock: FakeClock):
    gone = hook(services)
    watcher = hook(services, "https://ops.example.com/h", events=["webhook.*"])
    services.sender.script(URL, 410)
    sent = happened()
    publish(services, sent)
    run_deliveries(services, clock)

    assert delivery_of(services, gone, sent).status == DeliveryStatus.FAILED
    assert len(services.sender.posts) == 1  # no retry
    off = services.subscription_service.get(services.acme, gone.id)
    assert (off.enabled, off.disabled_reason) == (False, "gone")
    [notice] = services.events.of_type(EventType.WEBHOOK_DISABLED)
    assert notice.tenant_id == "acme"
    assert notice.data == {"webhook_id": gone.id, "url": URL, "reason": "gone"}

    publish(services, notice)
    publish(services, happened())
    run_deliveries(services, clock)
    [told] = services.sender.posts[1:]
    assert told.url == watcher.url
    assert verify(watcher.secret, told)["data"]["webhook_id"] == gone.id


def test_a_subscription_failing_every_delivery_for_the_window_is_disabled(make: Make,
                                                                          clock: FakeClock):
    services = make(webhook_disable_after_seconds=600)
    subscription = hook(services)
    services.sender.script(URL, *[500] * 10)
    sent = happened()
    publish(services, sent)
    work_due(services)
    assert services.subscription_service.get(services.acme, subscription.id).failing_since == \
        gateway_clock.iso(clock.now())

    run_deliveries(services, clock)  # the last retry comes about 2,100 s after the first try
    off = services.subscription_service.get(services.acme, subscription.id)
    assert (off.enabled, off.disabled_reason) == (False, "failing")
    assert [e.data["reason"] for e in services.events.of_type(EventType.WEBHOOK_DISABLED)] == [
        "failing"]


def test_a_success_ends_the_failing_streak(make: Make, clock: FakeClock):
    services = make(webhook_disable_after_seconds=600)
    subscription = hook(services)
    services.sender.script(URL, 500, 200, 500, 500)
    publish(services, happened())
    run_deliveries(services, clock)
    assert services.subscription_service.get(services.acme, subscription.id).failing_since \
        is None

    clock.advance(1000)  # longer than the window after the first failure
    publish(services, happened())
    work_due(services)
    again = services.subscription_service.get(services.acme, subscription.id)
    assert again.enabled and again.failing_since == gateway_clock.iso(clock.now())
    next_records(services, clock)
    assert services.subscription_service.get(services.acme, subscription.id).enabled


def test_enabling_again_clears_why_it_was_disabled(services: Services, clock: FakeClock):
    subscription = hook(services)
    services.sender.script(URL, 410)
    publish(services, happened())
    run_deliveries(services, clock)
    services.subscriptions.set_failing_since("acme", subscription.id, gateway_clock.now_iso())

    back = services.subscription_service.update(services.acme, subscription.id,
                                                {"enabled": True})
    assert (back.enabled, back.disabled_reason, back.failing_since) == (True, None, None)
    publish(services, happened())
    run_deliveries(services, clock)
    assert len(services.sender.posts) == 2


# --- secret rotation ----------------------------------------------------------------------------


def test_a_rotated_secret_signs_beside_the_new_one_for_the_overlap(make: Make, clock: FakeClock):
    services = make(webhook_secret_overlap_seconds=3600)
    subscription = hook(services)
    rotated = services.subscription_service.rotate_secret(services.acme, subscription.id)
    assert rotated.secret != subscription.secret
    assert rotated.previous_secret_until == gateway_clock.iso(clock.now() + timedelta(hours=1))

    publish(services, happened())
    run_deliveries(services, clock)
    [during] = services.sender.posts
    assert [s.split(",")[0] for s in during.headers["webhook-signature"].split()] == ["v1", "v1"]
    assert verify(subscription.secret, during) == verify(rotated.secret, during)

    clock.advance(3600)
    publish(services, happened())
    run_deliveries(services, clock)
    after = services.sender.posts[1]
    assert len(after.headers["webhook-signature"].split()) == 1
    verify(rotated.secret, after)
    with pytest.raises(WebhookVerificationError):
        verify(subscription.secret, after)


# --- test ---------------------------------------------------------------------------------------


def test_a_test_sends_one_event_now_and_answers_its_outcome(services: Services,
                                                            clock: FakeClock):
    subscription = hook(services)
    delivery = services.delivery_service.test("acme", subscription.id)

    [post] = services.sender.posts
    payload = verify(subscription.secret, post)
    assert payload["type"] == "webhook.test" and payload["data"]["webhook_id"] == subscription.id
    assert post.headers["webhook-id"] == delivery.event.id
    assert (delivery.status, delivery.origin, delivery.attempt_count) == (
        DeliveryStatus.SUCCEEDED, "test", 1)
    assert delivery.attempts[0].http_status == 200
    assert services.delivery_service.delivery("acme", subscription.id,
                                              delivery.id) == delivery
    assert services.webhook_queue.sent == [] and services.event_store.items == {}


def test_a_failed_test_is_not_retried(services: Services, clock: FakeClock):
    subscription = hook(services)
    services.sender.script(URL, 500)
    delivery = services.delivery_service.test("acme", subscription.id)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts[0].http_status == 500
    assert services.webhook_queue.sent == [] and len(services.sender.posts) == 1


def test_a_disabled_webhook_can_be_tested(services: Services, clock: FakeClock):
    subscription = hook(services, enabled=False)
    assert services.delivery_service.test("acme", subscription.id).status == \
        DeliveryStatus.SUCCEEDED
    with pytest.raises(NotFound):
        services.delivery_service.test("globex", subscription.id)


# --- redeliver ----------------------------------------------------------------------------------


def test_redeliver_sends_the_same_event_again_with_a_new_round(services: Services,
                                                               clock: FakeClock):
    subscription = hook(services)
    services.sender.script(URL, *[500] * 4)
    sent = happened()
    publish(services, sent)
    run_deliveries(services, clock)
    assert delivery_of(services, subscription, sent).status == DeliveryStatus.FAILED

    services.sender.script(URL, 500, 200)
    again = services.delivery_service.redeliver("acme", subscription.id,
                                                delivery_id(sent.id))
    assert again.status == DeliveryStatus.PENDING
    run_deliveries(services, clock)

    done = delivery_of(services, subscription, sent)
    assert (done.status, done.attempt_count) == (DeliveryStatus.SUCCEEDED, 6)
    assert [p.headers["webhook-id"] for p in services.sender.posts] == [sent.id] * 6


def test_redeliver_needs_an_enabled_webhook_of_the_tenant(services: Services, clock: FakeClock):
    subscription = hook(services)
    sent = happened()
    publish(services, sent)
    run_deliveries(services, clock)
    with pytest.raises(NotFound):
        services.delivery_service.redeliver("globex", subscription.id,
                                            delivery_id(sent.id))
    with pytest.raises(NotFound):
        services.delivery_service.redeliver("acme", subscription.id, "dlv_nope")

    services.subscription_service.update(services.acme, subscription.id, {"enabled": False})
    with pytest.raises(Conflict) as refused:
        services.delivery_service.redeliver("acme", subscription.id,
                                            delivery_id(sent.id))
    assert refused.value.code == "webhook_disabled"
    assert services.webhook_queue.sent == [] and len(services.sender.posts) == 1


# --- replay -------------------------------------------------------------------------------------


def stored(services: Services, clock: FakeClock, *kinds: tuple[EventType, str | None],
           ) -> list[Event]:
    """Events published a second apart (stored for catch-up and replay), in order."""
    events = []
    for event_type, session_id in kinds:
        events.append(happened(event_type, session_id))
        publish(services, events[-1])
        clock.advance(1)
    return events


def test_replay_sends_the_events_of_the_window_the_webhook_wants(services: Services,
                                                                 clock: FakeClock):
    [before] = stored(services, clock, (EventType.MESSAGE_STATUS, "s1"))
    since = clock.now()
    window = stored(services, clock, (EventType.MESSAGE_STATUS, "s1"),
                    (EventType.MESSAGE_RECEIVED, "s1"), (EventType.SESSION_STATUS, "s1"),
                    (EventType.MESSAGE_STATUS, "s2"), (EventType.MESSAGE_STATUS, "s1"))
    probe = happened(EventType.WEBHOOK_TEST, None)  # kept somehow: still never replayed
    services.event_store.save(probe, set())
    clock.advance(1)
    until = clock.now()
    stored(services, clock, (EventType.MESSAGE_STATUS, "s1"))
    subscription = hook(services, events=["message.*", "webhook.*"])  # came after the events

    answer = services.delivery_service.replay("acme", subscription.id, since, until,
                                              ["message.status", "webhook.test"])
    assert answer["status"] == "queued" and answer["webhook_id"] == subscription.id
    run_deliveries(services, clock)

    wanted = [window[0], window[3], window[4]]
    assert [p.headers["webhook-id"] for p in services.sender.posts] == [e.id for e in wanted]
    for event in wanted:
        replayed = delivery_of(services, subscription, event, answer["replay_id"])
        assert (replayed.origin, replayed.status) == ("replay", DeliveryStatus.SUCCEEDED)
    assert before.id not in {p.headers["webhook-id"] for p in services.sender.posts}


def test_each_replay_request_sends_each_event_once(services: Services, clock: FakeClock):
    since = clock.now()
    events = stored(services, clock, *[(EventType.MESSAGE_STATUS, "s1")] * 60)
    subscription = hook(services)
    services.delivery_service.replay("acme", subscription.id, since, None, None)
    [first_step] = [s.body for s in services.webhook_queue.sent]
    work_due(services)  # the first page, and the next step after a pause
    [next_step] = [s for s in services.webhook_queue.sent if s.body["kind"] == "replay"]
    assert next_step.delay_seconds == REPLAY_STEP_SECONDS
    run_deliveries(services, clock)

    services.delivery_service.handle(first_step)  # SQS hands it out again
    run_deliveries(services, clock)
    assert Counter(p.headers["webhook-id"] for p in services.sender.posts) == {
        e.id: 1 for e in events}

    services.delivery_service.replay("acme", subscription.id, since, None, None)
    run_deliveries(services, clock)
    assert Counter(p.headers["webhook-id"] for p in services.sender.posts) == {
        e.id: 2 for e in events}


def test_a_replay_is_bounded(make: Make, clock: FakeClock):
    services = make(webhook_replay_max_events=3)
    since = clock.now()
    events = stored(services, clock, *[(EventType.MESSAGE_STATUS, "s1")] * 5)
    subscription = hook(services)
    answer = services.delivery_service.replay("acme", subscription.id, since, None, None)
    run_deliveries(services, clock)
    assert answer["max_events"] == 3
    assert [p.headers["webhook-id"] for p in services.sender.posts] == [e.id for e in events[:3]]


@pytest.mark.parametrize(("since_ago", "until_ago", "types", "field"), [
    (timedelta(days=7, seconds=1), None, None, "since"),
    (timedelta(hours=1), timedelta(hours=1), None, "until"),
    (timedelta(hours=1), timedelta(hours=2), None, "until"),
    (-timedelta(hours=1), None, None, "until"),
    (timedelta(hours=1), None, ["message.status", "message"], "event_types[1]"),
])
def test_a_replay_of_a_bad_window_is_refused_on_its_field(
        services: Services, clock: FakeClock, since_ago: timedelta,
        until_ago: timedelta | None, types: list[str] | None, field: str):
    subscription = hook(services)
    until = clock.now() - until_ago if until_ago is not None else None
    with pytest.raises(ValidationFailed) as refused:
        services.delivery_service.replay("acme", subscription.id,
                                         clock.now() - since_ago, until, types)
    assert refused.value.details[0]["field"] == field
    assert services.webhook_queue.sent == []


def test_only_an_enabled_webhook_of_the_tenant_replays(services: Services, clock: FakeClock):
    subscription = hook(services, enabled=False)
    since = clock.now() - timedelta(hours=1)
    with pytest.raises(Conflict):
        services.delivery_service.replay("acme", subscription.id, since, None, None)
    with pytest.raises(NotFound):
        services.delivery_service.replay("globex", subscription.id, since, None, None)
    assert services.webhook_queue.sent == []


# --- one delivery's life, whatever happens ------------------------------------------------------


ANSWERS = st.sampled_from([200, 204, 400, 404, 500, 503, 410, "error"])


@given(schedule=st.lists(st.integers(min_value=1, max_value=2000), max_size=4),
       answers=st.lists(ANSWERS, max_size=7), data=st.data())
def test_a_delivery_ends_succeeded_once_or_failed_whatever_the_receiver_and_the_queue_do(
        schedule: list[int], answers: list[int | str], data: st.DataObject):
    with FakeClock().installed() as clock:
        services = Services(fake_settings(
            webhook_retry_schedule=",".join(str(s) for s in schedule)))
        subscription = hook(services)
        services.sender.script(URL, *[ConnectionError("reset") if a == "error" else a
                                      for a in answers])
        sent = happened()
        services.delivery_service.fan_out(sent)
        queue, copies = services.webhook_queue, 0
        while queue.sent:
            clock.moment = max(clock.moment, min(s.visible_at for s in queue.sent))
            for body in queue.receive():
                extra = data.draw(st.sampled_from(["none", "now", "later"])) if copies < 6 \
                    else "none"
                if extra == "later":  # SQS hands the record out again after a while
                    queue.send(body, data.draw(st.integers(min_value=0, max_value=900)))
                services.delivery_service.handle(body)
                if extra == "now":
                    services.delivery_service.handle(body)
                copies += extra != "none"

        posts = services.sender.posts
        got = [answers[i] if i < len(answers) else 200 for i in range(len(posts))]
        successes = [a for a in got if isinstance(a, int) and 200 <= a < 300]
        delivery = delivery_of(services, subscription, sent)
        assert len(successes) <= 1
        assert (delivery.status == DeliveryStatus.SUCCEEDED) == bool(successes)
        assert delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)
        assert len(posts) <= len(schedule) + 1 and delivery.attempt_count == len(posts)
        assert {p.headers["webhook-id"] for p in posts} <= {sent.id}
        if 410 in got:
            assert got[-1] == 410  # nothing more after a 410
            assert not services.subscription_service.get(services.acme, subscription.id).enabled
