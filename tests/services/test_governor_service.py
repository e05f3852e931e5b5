"""The send governor on fakes, with a hand-moved clock: warm-up of a real number, waits that
are never early, pushback and failure spikes throttling marketing only, the daily budget of
new contacts under any schedule, and what the send path costs."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import AppError
from chalicelib.domain.events import EventType
from chalicelib.domain.sessions import Session
from chalicelib.services.messaging import Draft
from tests.fakes import FakeClock, Services

SENT = ("sent", "delivered", "read")


def refused(code: str) -> AppError:
    """What the send worker gets when a host's engine refused a send."""
    error = AppError(f"refused: {code}", code=code)
    error.status = 422
    return error


def real_session(services: Services, phone: str = "+14155550100") -> Session:
    session, _ = services.session_service.create(services.acme, "real", None, "neonize",
                                                 start=True)
    return services.fleet.adopt("acme", session.id, phone=phone)


def unwarmed(services: Services, session: Session) -> None:
    """No warm-up and room in every lane: only what a test is about holds a send back."""
    services.governor.put_limits(services.acme, session.id, {
        "messages_per_minute": {"normal": 600}, "warmup": {"enabled": False}})


def send(services: Services, session: Session, to: str = "+14155552671",
         **fields: Any) -> str:
    return services.messaging.send(services.acme, Draft(
        session_id=session.id, to=to, body={"text": "hi"}, **fields)).id


def test_a_new_real_number_warms_up_and_rises_to_its_full_limits(services: Services,
                                                                  clock: FakeClock):
    session = real_session(services)
    first = services.governor.limits(services.acme, session.id).current
    assert (first.warmup_day, first.warmup_factor) == (0, 0.25)
    assert first.messages_per_minute.bulk == 2 and first.new_contacts_per_day == 62
    assert first.messages_per_minute.high == 60  # OTPs never warm up
    clock.advance(days=7)
    half = services.governor.limits(services.acme, session.id).current
    assert half.warmup_day == 7 and 0.25 < half.warmup_factor < 1
    clock.advance(days=7)
    full = services.governor.limits(services.acme, session.id).current
    assert full.warmup_day is None and full.messages_per_minute.bulk == 10
    # Paired again with another number: that number warms up from the start.
    services.fleet.adopt("acme", session.id, phone="+14155550199")
    assert services.governor.limits(services.acme, session.id).current.warmup_day == 0


def test_sends_over_the_bucket_wait_their_turn_and_are_never_early(services: Services,
                                                                   clock: FakeClock):
    session = real_session(services)
    services.governor.put_limits(services.acme, session.id, {
        "messages_per_minute": {"normal": 6}, "warmup": {"enabled": False}})
    ids = [send(services, session) for _ in range(3)]
    services.run_send_worker()
    assert [services.status(services.acme, m) for m in ids].count("sent") == 1
    # One every 10 s: the two others wait their turns.
    assert sorted(s.delay_seconds for s in services.lanes["normal"].sent) == [10, 10]
    sent_at = []
    for _ in range(40):
        clock.advance(1)
        before = {m for m in ids if services.status(services.acme, m) == "sent"}
        services.run_send_worker()
        after = {m for m in ids if services.status(services.acme, m) == "sent"}
        sent_at += [clock.now()] * len(after - before)
    assert all(services.status(services.acme, m) == "sent" for m in ids)
    assert (sent_at[1] - sent_at[0]).total_seconds() >= 10


def test_pushback_requeues_throttles_marketing_and_lets_transactional_go(
        services: Services, clock: FakeClock):
    session = real_session(services)
    unwarmed(services, session)
    services.fleet.script("send", refused("timelock"))
    marketing = send(services, session, category="marketing")
    services.run_send_worker()
    assert services.status(services.acme, marketing) == "queued"
    [event] = services.events.of_type(EventType.SESSION_THROTTLED)
    assert event.data["reason"] == "timelock" and event.session_id == session.id
    until = services.governor.throttled_until("acme", session.id)
    assert until is not None and (until - clock.now()).total_seconds() == 1200  # 4 x 300 s
    [requeued] = services.lanes["normal"].sent
    assert requeued.delay_seconds == 900  # the longest SQS hop; then it asks again
    transactional = send(services, session, to="+14155550111")
    other = send(services, session, to="+14155550112", category="marketing")
    services.run_send_worker()
    assert services.status(services.acme, transactional) == "sent"
    assert services.status(services.acme, other) == "queued"
    clock.advance(900)
    services.run_send_worker()  # the first hop is over, the throttle is not
    assert services.status(services.acme, marketing) == "queued"
    clock.advance(301)
    services.run_send_worker()
    assert services.status(services.acme, marketing) == "sent"
    assert services.status(services.acme, other) == "sent"
    assert services.governor.throttled_until("acme", session.id) is None


def test_repeated_pushback_backs_off_longer_up_to_the_cap(services: Services,
                                                          clock: FakeClock):
    session = real_session(services)
    lengths = []
    for _ in range(8):
        throttle = services.governor.pushback(session, "rate_limited")
        assert throttle is not None
        lengths.append((throttle.until_ms - int(clock.now().timestamp() * 1000)) // 1000)
        clock.advance(lengths[-1] + 1)
    assert lengths == [300, 600, 1200, 2400, 4800, 9600, 19200, 21600]


def test_a_spike_of_failed_sends_throttles_marketing(services: Services, clock: FakeClock):
    session = real_session(services)
    unwarmed(services, session)
    services.fleet.script("send", *[refused("not_on_whatsapp")] * 5)
    ids = [send(services, session, to=f"+1415555{i:04d}") for i in range(10, 15)]
    services.run_send_worker()
    assert all(services.status(services.acme, m) == "failed" for m in ids)
    [event] = services.events.of_type(EventType.SESSION_THROTTLED)
    assert event.data["reason"] == "failure_rate"


def test_the_send_path_costs_one_call_and_a_marketing_send_two(services: Services,
                                                               clock: FakeClock):
    session = real_session(services)
    send(services, session)
    services.run_send_worker()  # limits read once, warm-up begun
    store = services.governor_store
    store.calls.clear()
    send(services, session, to="+14155550120")
    services.run_send_worker()
    assert store.calls == ["take"]
    store.calls.clear()
    send(services, session, to="+14155550121", category="marketing")
    services.run_send_worker()
    assert store.calls == ["new_contact", "take"]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=6),
       st.lists(st.tuples(st.integers(min_value=0, max_value=9),
                          st.integers(min_value=0, max_value=6 * 3600)), max_size=40))
def test_new_contacts_never_exceed_the_daily_budget(budget: int,
                                                    schedule: list[tuple[int, int]]) -> None:
    """Marketing sends to ten numbers at any moments over days: never more new numbers a day
    than the budget, and a number once reached is never held back by it."""
    with FakeClock().installed() as clock:
        services = Services()
        session = real_session(services)
        services.governor.put_limits(services.acme, session.id, {
            "new_contacts_per_day": budget, "warmup": {"enabled": False},
            "messages_per_minute": {"normal": 6000}})
        ids = []
        for number, gap in schedule:
            clock.advance(gap)
            ids.append(send(services, session, to=f"+1415555{number:04d}",
                            category="marketing"))
            services.run_send_worker()
        first_reached: dict[str, str] = {}  # number -> the UTC day it was first sent to
        for mid in ids:
            message = services.messages.get("acme", mid)
            assert message is not None
            if message.status.value in SENT:
                day = message.timestamps["sent"][:10]
                first_reached[message.to or ""] = min(first_reached.get(message.to or "", day),
                                                      day)
        per_day: dict[str, int] = {}
        for day in first_reached.values():
            per_day[day] = per_day.get(day, 0) + 1
        assert all(count <= budget for count in per_day.values()), per_day
