"""Property: whatever happens to a message — deliveries with any host outcome, redeliveries,
releases, receipts, the reconciler, cancels, poison, clocks that disagree — its history and
timestamps only move forward, and once a send token is on it, it is never handed to the fleet
again (so it leaves at most once)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import AppError, OutcomeUnknown, SessionUnavailable
from chalicelib.domain.messages import TERMINAL, MessageStatus, can_transition
from chalicelib.domain.sessions import Session
from chalicelib.services.messaging import Draft
from tests.fakes import SEND_TOKEN, FakeClock, HandedOver, Services

PROGRESS = ["scheduled", "queued", "sending", "sent", "delivered", "read", "played"]
OUTCOMES: dict[str, Any] = {
    "ok": None,
    "unavailable": SessionUnavailable("no host"),
    "unknown": OutcomeUnknown("connection reset"),
    "handed_over": HandedOver(OutcomeUnknown("the host did not answer")),
    "refused": AppError("not on WhatsApp", code="not_on_whatsapp"),
}
RECEIPTS = [MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.PLAYED]
step = st.tuples(
    st.one_of(
        st.tuples(st.just("deliver"), st.sampled_from(sorted(OUTCOMES))),
        st.tuples(st.just("release"), st.none()),
        st.tuples(st.just("receipt"), st.sampled_from(RECEIPTS)),
        st.tuples(st.sampled_from(["reconcile", "cancel", "poison"]), st.none()),
    ),
    st.integers(min_value=-3, max_value=400),  # seconds the clock moves (back: another machine)
)


def _act(services: Services, session: Session, message_id: str, kind: str, arg: Any) -> None:
    messaging, messages = services.messaging, services.messages
    if kind == "deliver":
        services.fleet.script("send", *([OUTCOMES[arg]] if OUTCOMES[arg] else []))
        messaging.deliver("acme", message_id, receive_count=1)
    elif kind == "release":  # a worker giving its claim back
        messages.transition("acme", message_id, MessageStatus.QUEUED, reason="released")
    elif kind == "receipt":
        engine_id = messages.get("acme", message_id).engine_message_id or "3EB0NONE"
        messages.apply_receipt("acme", session.id, engine_id, arg, services.fleet.HOST_ID,
                               session.fence)
    elif kind == "reconcile":
        messaging.reconcile()
    elif kind == "cancel":
        try:
            messaging.cancel(services.acme, message_id)
        except AppError as exc:
            assert exc.code == "not_cancelable"
    else:
        messaging.fail_poison("acme", message_id, "poison")


@settings(max_examples=60, deadline=None)
@given(scheduled=st.booleans(), plan=st.lists(step, max_size=16))
@example(scheduled=False, plan=[(("deliver", "handed_over"), 0), (("release", None), 1),
                                (("reconcile", None), 400), (("deliver", "ok"), 1)])
@example(scheduled=False, plan=[(("deliver", "unknown"), 0), (("deliver", "ok"), -3),
                                (("receipt", MessageStatus.READ), -3),
                                (("receipt", MessageStatus.DELIVERED), 5)])
def test_a_message_only_moves_forward_and_leaves_at_most_once(scheduled: bool, plan):
    with FakeClock().installed() as clock:
        services = Services()
        session = services.working_session()
        due = clock.now() + timedelta(seconds=60) if scheduled else None
        message = services.messaging.send(services.acme, Draft(
            session_id=session.id, to="+14155552671", body={"text": "hi"}, schedule_at=due))
        before = services.messages.get("acme", message.id)

        for (kind, arg), seconds in plan:
            clock.advance(seconds)
            _act(services, session, message.id, kind, arg)
            after = services.messages.get("acme", message.id)

            assert after.history[:len(before.history)] == before.history, "history rewritten"
            assert before.timestamps.items() <= after.timestamps.items(), "a first time moved"
            moments = [h.at for h in after.history]
            assert moments == sorted(moments), "history went backwards"
            for earlier, later in pairwise(after.history):
                assert can_transition(earlier.status, later.status), (earlier, later)
                assert earlier.status not in TERMINAL
            for name, at in after.timestamps.items():
                assert at == next(h.at for h in after.history if h.status.value == name)
            reached = [after.timestamps[s] for s in PROGRESS if s in after.timestamps]
            assert reached == sorted(reached), "a later status was reached earlier"
            if SEND_TOKEN in services.messages.item("acme", message.id):
                assert after.status != MessageStatus.QUEUED
            assert services.fleet.repeats == [], "handed to the fleet again after a hand-over"
            assert [h.status for h in after.history].count(MessageStatus.SENT) <= 1
            before = after
