"""EventService on fakes: every consumer runs once per event id (a redelivered record never
runs one twice, a failed one is retried alone), events are kept and read back oldest first
for catch-up, and the catalogue lists every type with its schema."""

from __future__ import annotations

from typing import Any

import pytest
from ulid import ULID

from chalicelib.domain import clock as gateway_clock
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.events import Event, EventType
from chalicelib.services.events import Consumer, EventService
from tests.fakes import FakeClock, Services, run_deliveries


class Recorder:
    """A consumer that records its calls and fails as often as it is told to."""

    def __init__(self, name: str, failures: int = 0) -> None:
        self.name, self.failures = name, failures
        self.calls: list[str] = []

    def __call__(self, event: Event) -> None:
        self.calls.append(event.id)
        if self.failures:
            self.failures -= 1
            raise RuntimeError(f"{self.name} is down")

    @property
    def consumer(self) -> Consumer:
        return Consumer(self.name, self)


def happened(event_type: EventType = EventType.MESSAGE_STATUS, session_id: str | None = "s1",
             tenant_id: str = "acme") -> Event:
    """An event of now by the gateway's clock (its id too, as a live one's would be)."""
    now = gateway_clock.now()
    return Event(id=f"evt_{ULID.from_datetime(now)}", type=event_type, tenant_id=tenant_id,
                 session_id=session_id, timestamp=gateway_clock.iso(now), data={})


def published(services: Services, clock: FakeClock,
              *kinds: tuple[EventType, str | None]) -> list[Event]:
    """Events consumed a second apart (no consumers), in order."""
    events = []
    for event_type, session_id in kinds:
        events.append(happened(event_type, session_id))
        services.event_service.consume(events[-1], [])
        clock.advance(1)
    return events


def ids(page: Any) -> list[str]:
    return [e.id for e in page.items]


# --- consumers ----------------------------------------------------------------------------------


def test_each_consumer_runs_once_per_event_id(services: Services, clock: FakeClock):
    first, second = Recorder("webhooks"), Recorder("push")
    sent = happened()
    for _ in range(3):  # the record comes back, and comes again
        services.event_service.consume(sent, [first.consumer, second.consumer])
    assert first.calls == second.calls == [sent.id]


def test_a_failed_consumer_is_retried_alone_until_it_succeeds(services: Services,
                                                              clock: FakeClock):
    steady, flaky = Recorder("webhooks"), Recorder("push", failures=2)
    consumers = [flaky.consumer, steady.consumer]
    sent = happened()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="push is down"):
            services.event_service.consume(sent, consumers)
    services.event_service.consume(sent, consumers)
    services.event_service.consume(sent, consumers)

    assert steady.calls == [sent.id]  # ran despite the failure before it
    assert flaky.calls == [sent.id] * 3
    assert services.event_store.handled("acme", sent.id) == {"webhooks", "push"}


def test_a_redelivered_event_reaches_each_webhook_once(services: Services, clock: FakeClock):
    services.subscription_service.create(services.acme, "https://hooks.example.com/wa")
    webhooks = Consumer("webhooks", services.delivery_service.fan_out)
    sent = happened()
    services.event_service.consume(sent, [webhooks])
    services.event_service.consume(sent, [webhooks])
    run_deliveries(services, clock)
    assert [p.headers["webhook-id"] for p in services.sender.posts] == [sent.id]


def test_the_test_event_is_neither_consumed_nor_kept(services: Services, clock: FakeClock):
    consumer = Recorder("webhooks")
    services.event_service.consume(happened(EventType.WEBHOOK_TEST, None), [consumer.consumer])
    assert consumer.calls == [] and services.event_store.items == {}


# --- catch-up -----------------------------------------------------------------------------------


def test_events_are_listed_oldest_first_after_an_event(services: Services, clock: FakeClock):
    events = published(services, clock, *[(EventType.MESSAGE_STATUS, "s1")] * 5)
    services.event_service.consume(happened(tenant_id="globex"), [])
    listing = services.event_service

    assert ids(listing.list(services.acme, None, None, None, None, 10)) == [e.id for e in events]
    assert ids(listing.list(services.acme, events[1].id, None, None, None, 10)) == [
        e.id for e in events[2:]]
    assert ids(listing.list(services.acme, events[-1].id, None, None, None, 10)) == []
    assert len(listing.list(services.globex, None, None, None, None, 10).items) == 1


def test_catching_up_pages_through_every_event_once(services: Services, clock: FakeClock):
    events = published(services, clock, *[(EventType.MESSAGE_STATUS, "s1")] * 7)
    seen, cursor = [], None
    while True:
        page = services.event_service.list(services.acme, events[0].id, cursor, None, None, 3)
        assert len(page.items) <= 3
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [e.id for e in events[1:]]


@pytest.mark.parametrize(("types", "session_id", "expected"), [
    (["message.status"], None, [0, 3]),
    (["message.*"], None, [0, 1, 3]),
    (["*"], None, [0, 1, 2, 3]),
    (["session.status", "message.received"], None, [1, 2]),
    (None, "s2", [3]),
    (["message.*"], "s1", [0, 1]),
])
def test_events_are_filtered_by_type_prefix_and_session(
        services: Services, clock: FakeClock, types: list[str] | None, session_id: str | None,
        expected: list[int]):
    events = published(services, clock, (EventType.MESSAGE_STATUS, "s1"),
                       (EventType.MESSAGE_RECEIVED, "s1"), (EventType.SESSION_STATUS, "s1"),
                       (EventType.MESSAGE_STATUS, "s2"))
    page = services.event_service.list(services.acme, None, None, types, session_id, 10)
    assert ids(page) == [events[i].id for i in expected]


@pytest.mark.parametrize(("after", "types", "field"), [
    ("01HZZZZZZZZZZZZZZZZZZZZZZZ", None, "after"),
    ("evt_123", None, "after"),
    ("evt_01HZZZZZZZZZZZZZZZZZZZZZZL", None, "after"),
    (None, ["message.status", "message.sent"], "types[1]"),
    (None, ["nope.*"], "types[0]"),
])
def test_a_bad_after_or_type_is_a_422_on_its_field(services: Services, after: str | None,
                                                   types: list[str] | None, field: str):
    with pytest.raises(ValidationFailed) as refused:
        services.event_service.list(services.acme, after, None, types, None, 10)
    assert refused.value.details[0]["field"] == field


def test_another_tenants_cursor_is_refused(services: Services, clock: FakeClock):
    published(services, clock, *[(EventType.MESSAGE_STATUS, "s1")] * 3)
    page = services.event_service.list(services.acme, None, None, None, None, 1)
    with pytest.raises(ValidationFailed) as refused:
        services.event_service.list(services.globex, None, page.next_cursor, None, None, 1)
    assert refused.value.details[0]["field"] == "cursor"


# --- the catalogue ------------------------------------------------------------------------------


def test_the_catalogue_lists_every_type_with_its_schema():
    types = EventService.types()
    assert [t["type"] for t in types] == [t.value for t in EventType]
    for entry in types:
        assert entry["description"] and entry["data_schema"]["type"] == "object"
        assert entry["data_schema"]["properties"]
    by_type = {t["type"]: t["data_schema"] for t in types}
    assert set(by_type["webhook.disabled"]["required"]) == {"webhook_id", "url", "reason"}
