"""Property: whatever the order of status writes, send attempts and clocks (even a clock that
goes backwards), a message's history only moves forward, through allowed transitions, and
it is handed to an engine at most once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib.adapters import messages_repo
from chalicelib.bootstrap import container
from chalicelib.domain import clock, ids
from chalicelib.domain.messages import (
    TERMINAL,
    Direction,
    Message,
    MessageStatus,
    StatusChange,
    can_transition,
)
from tests.conftest import held_session

PROGRESS = ["scheduled", "queued", "sending", "sent", "delivered", "read", "played"]
BASE = datetime(2030, 1, 1, tzinfo=UTC)
TENANT, SESSION, HOST = "t-prop", "s-prop", "host-prop"

# Requeues ("sending" back to "queued") and new claims are where histories used to break.
TARGETS = [*MessageStatus, MessageStatus.SENDING, MessageStatus.QUEUED, MessageStatus.SENDING]
steps = st.lists(st.tuples(
    st.sampled_from(["transition", "transition", "begin", "abandon", "record_sent"]),
    st.sampled_from(TARGETS),
    st.integers(min_value=-2_000, max_value=2_000),  # this write's clock, in ms around "now"
    st.integers(min_value=0, max_value=2),  # which of three send attempts acts
), max_size=14)


@pytest.fixture
def fence(aws) -> int:
    return held_session(TENANT, SESSION, HOST)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scheduled=st.booleans(), plan=steps)
# What the tester saw: a requeue after a claim, then a second claim and a send.
@example(scheduled=True, plan=[("transition", MessageStatus.SENDING, 0, 0),
                               ("transition", MessageStatus.QUEUED, 10, 0),
                               ("transition", MessageStatus.SENDING, 20, 0),
                               ("begin", MessageStatus.SENDING, 30, 1),
                               ("record_sent", MessageStatus.SENT, -500, 1)])
# A host whose clock is behind: its writes must not land before the last change.
@example(scheduled=False, plan=[("transition", MessageStatus.SENDING, 1_500, 0),
                                ("begin", MessageStatus.SENDING, -1_500, 0),
                                ("begin", MessageStatus.SENDING, 0, 1),
                                ("record_sent", MessageStatus.SENT, -1_000, 0),
                                ("transition", MessageStatus.DELIVERED, -2_000, 0)])
def test_history_only_moves_forward_and_one_attempt_sends(fence: int, monkeypatch,
                                                          scheduled: bool, plan):
    repo = container().messages
    moment = {"now": BASE}
    monkeypatch.setattr(messages_repo, "clock", SimpleNamespace(
        now_iso=lambda: clock.iso(moment["now"])))
    status = MessageStatus.SCHEDULED if scheduled else MessageStatus.QUEUED
    stamp = clock.iso(BASE)
    mid = ids.new_id()
    repo.create(Message(id=mid, tenant_id=TENANT, session_id=SESSION,
                        direction=Direction.OUTBOUND, chat="14155552671@s.whatsapp.net",
                        text="hi", status=status, created_at=stamp, updated_at=stamp,
                        timestamps={status.value: stamp},
                        history=[StatusChange(status=status, at=stamp)]))
    tokens = [f"token-{i}" for i in range(3)]
    began: set[int] = set()
    sent = 0
    for kind, target, offset_ms, who in plan:
        moment["now"] = BASE + timedelta(milliseconds=offset_ms)
        before = repo.get(TENANT, mid)
        if kind == "transition":
            after = repo.transition(TENANT, mid, target, reason="prop")
            assert (after is not None) == can_transition(before.status, target) or \
                (target == MessageStatus.QUEUED and began), (before.status, target)
        elif kind == "begin":
            if repo.begin_send(TENANT, SESSION, mid, tokens[who], None, HOST, fence):
                assert not began, "a second attempt began while one holds a token"
                assert before.status == MessageStatus.SENDING
                began.add(who)
        elif kind == "abandon":
            repo.abandon_send(TENANT, SESSION, mid, tokens[who], None)
            began.discard(who)
        elif repo.record_sent(TENANT, SESSION, mid, f"3EB0{who}", tokens[who]):
            assert who in began
            sent += 1
    assert sent <= 1

    message = repo.get(TENANT, mid)
    moments = [h.at for h in message.history]
    assert moments == sorted(moments), "history went backwards"
    for previous, change in zip(message.history, message.history[1:], strict=False):
        assert can_transition(previous.status, change.status), (previous, change)
        assert previous.status not in TERMINAL
    for name, at in message.timestamps.items():  # when each status was first reached
        assert at == next(h.at for h in message.history if h.status.value == name)
    reached = [message.timestamps[s] for s in PROGRESS if s in message.timestamps]
    assert reached == sorted(reached), "a later status was reached before an earlier one"
    if began:
        assert message.status != MessageStatus.QUEUED  # a begun send never goes back
