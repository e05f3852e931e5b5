"""Kill tests: a worker that dies mid-delivery or mid-fan-out (a ``BaseException``, as when the
Lambda runtime or its host goes away) loses no event and, where it can know, delivers none twice.

Each run is one Lambda invocation on Lambda-shaped records; a run that dies deletes nothing, and
its records are received with a visibility timeout of 0, so they are visible again at once (as
when the timeout lapses) and the next run gets them with a higher receive count."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from app import app
from chalicelib import resources
from chalicelib.adapters import aws as aws_clients
from chalicelib.bootstrap import container
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.devstack.runtime import LocalLambdaRuntime
from chalicelib.domain.auth import Principal, Role
from chalicelib.domain.events import Event, EventType
from chalicelib.sessionhost.engines.base import HostDied
from chalicelib.workers import events as event_worker
from tests.conftest import queue_url, receive

TENANT = "acme"
ROUNDS = 20  # runs of a worker before a test gives up: far more than any test needs


@pytest.fixture
def receivers(aws: None) -> Iterator[list[WebhookReceiver]]:
    """Two loopback receivers, each subscribed to every event of the tenant."""
    made = []
    for _ in range(2):
        receiver = WebhookReceiver()
        subscription = container().subscription_service.create(
            Principal(tenant_id=TENANT, user_id="owner", role=Role.OWNER), receiver.url)
        receiver.secret = subscription.secret
        receiver.webhook_id = subscription.id  # type: ignore[attr-defined]
        made.append(receiver)
    yield made
    for receiver in made:
        receiver.close()


def publish(count: int) -> list[str]:
    """``count`` events published to the events queue; their ids."""
    published = [Event.new(EventType.SESSION_STATUS, TENANT, "ses_1", {"status": f"S{n}"})
                 for n in range(count)]
    for event in published:
        container().events.publish(event)
    return [e.id for e in published]


def run(queue: resources.Queue) -> str:
    """One Lambda invocation on up to ten records: ``"idle"`` (nothing to do), ``"died"`` (the
    run raised a BaseException: nothing deleted) or ``"ran"``."""
    messages = receive(queue)
    if not messages:
        return "idle"
    name = queue.physical_name(container().settings.prefix)
    source = next(s for s in app.event_sources if getattr(s, "queue", None) == name)
    runtime = LocalLambdaRuntime(app, aws_clients.client("sqs"), "us-east-1")
    try:
        runtime.invoke_sqs(source, queue_url(queue), f"arn:aws:sqs:us-east-1:000000000000:{name}",
                           messages)
    except HostDied:
        return "died"
    return "ran"


def run_until_idle(queue: resources.Queue) -> int:
    """Run the worker until its queue is empty; how many runs died."""
    outcomes = []
    for _ in range(ROUNDS):
        outcomes.append(run(queue))
        if outcomes[-1] == "idle":
            return outcomes.count("died")
    raise AssertionError(f"{queue.key} still had records after {ROUNDS} runs: {outcomes}")


def deliveries(receiver: WebhookReceiver) -> list[Any]:
    page = container().deliveries.list(TENANT, receiver.webhook_id, 100, None)  # type: ignore[attr-defined]
    assert page.next_cursor is None
    return page.items


def arrivals(receiver: WebhookReceiver) -> collections.Counter[str]:
    """How many times each event id arrived, verified."""
    return collections.Counter(r["id"] for r in receiver.received)


class DyingSender:
    """The real webhook sender, except that the worker dies (``HostDied``) on the first POST of
    each victim event to each URL: before it leaves, or after the receiver got it."""

    def __init__(self, real: Any, victims: set[str], after_post: bool) -> None:
        self._real, self._victims, self._after_post = real, victims, after_post
        self._died: set[tuple[str, str]] = set()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        target = (url, headers["webhook-id"])
        if target[1] in self._victims and target not in self._died:
            self._died.add(target)
            if self._after_post:
                self._real.post(url, body, headers)
            raise HostDied
        return self._real.post(url, body, headers)


class DyingQueue:
    """The real deliveries queue, except that its first ``send_many`` raises ``kill``."""

    def __init__(self, real: Any, kill: BaseException) -> None:
        self._real, self._kill = real, kill

    def send_many(self, bodies: Sequence[tuple[dict[str, Any], int]]) -> None:
        if self._kill is not None:
            kill, self._kill = self._kill, None
            raise kill
        self._real.send_many(bodies)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def install(**parts: Any) -> None:
    """Replace container parts; the delivery service is rebuilt with them."""
    c = container()
    c.__dict__.pop("delivery_service", None)
    for name, part in parts.items():
        c.__dict__[name] = part


@pytest.mark.parametrize("after_post", [False, True], ids=["before-the-post", "after-the-post"])
def test_a_delivery_worker_killed_mid_delivery_loses_no_event(
        receivers: list[WebhookReceiver], after_post: bool):
    ids = publish(5)
    assert run_until_idle(resources.EVENT_QUEUE) == 0
    victims = {ids[1], ids[3]}
    install(webhook_sender=DyingSender(container().webhook_sender, victims, after_post))

    died = run_until_idle(resources.WEBHOOK_DELIVERIES)

    assert died == 2 * len(victims)  # each victim killed one run per receiver
    for receiver in receivers:
        assert receiver.rejected == []
        got = arrivals(receiver)
        assert set(got) == set(ids)  # nothing lost
        # The records of a dead run come back: the deliveries that had finished do nothing
        # again; a POST the receiver got before the worker died is sent again, with the same
        # webhook-id, so the receiver can tell.
        assert got == {i: 2 if after_post and i in victims else 1 for i in ids}
        log = deliveries(receiver)
        assert sorted(d.event.id for d in log) == sorted(ids)
        assert {d.status.value for d in log} == {"succeeded"}
        assert {d.attempt_count for d in log} == {1}


def test_an_event_worker_killed_after_the_fan_out_does_not_deliver_twice(
        receivers: list[WebhookReceiver], monkeypatch: pytest.MonkeyPatch):
    ids = publish(3)
    killed: set[str] = set()

    def dies_once(event: Event) -> None:
        """A consumer after the webhooks' fan-out: the first time it sees an event, the worker
        dies before the event is marked handled."""
        if event.id not in killed:
            killed.add(event.id)
            raise HostDied

    crash: Callable[[Any], Callable[[Event], None]] = lambda _c: dies_once  # noqa: E731
    monkeypatch.setitem(event_worker.CONSUMERS, event_worker.ALL,
                        [*event_worker.CONSUMERS[event_worker.ALL], ("dies", crash)])

    assert run_until_idle(resources.EVENT_QUEUE) == len(ids)
    assert run_until_idle(resources.WEBHOOK_DELIVERIES) == 0

    assert killed == set(ids)
    for receiver in receivers:
        assert arrivals(receiver) == dict.fromkeys(ids, 1)
        assert receiver.attempts == len(ids)
        log = deliveries(receiver)
        assert sorted(d.event.id for d in log) == sorted(ids)  # one per event and webhook
        assert {(d.status.value, d.attempt_count) for d in log} == {("succeeded", 1)}
    handled = container().event_store
    assert all(handled.handled(TENANT, i) == {"webhooks", "dies"} for i in ids)


@pytest.mark.parametrize("kill", [HostDied(), RuntimeError("SQS refused 2 of 2 records")],
                         ids=["worker-dies", "queue-refuses"])
def test_a_fan_out_cut_short_before_the_queue_still_delivers(
        receivers: list[WebhookReceiver], kill: BaseException):
    """The worker dies (or SQS refuses the batch) as the first attempts are queued: the event
    comes back, and its deliveries still go out."""
    ids = publish(2)
    install(webhook_queue=DyingQueue(container().webhook_queue, kill))

    run_until_idle(resources.EVENT_QUEUE)
    run_until_idle(resources.WEBHOOK_DELIVERIES)

    for receiver in receivers:
        assert set(arrivals(receiver)) == set(ids)
        assert {d.status.value for d in deliveries(receiver)} == {"succeeded"}
