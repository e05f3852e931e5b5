"""The in-memory ``FakeMessages`` (tests/fakes.py) keeps the DynamoDB repository's promises:
the same writes get the same answers and leave the same message, whatever the order and the
clocks. And the reconciler's look-up of overdue scheduled messages finds them however many
later ones wait before them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib import resources
from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.messages_repo import SEND_TOKEN, message_key
from chalicelib.bootstrap import container
from chalicelib.domain import clock, ids
from chalicelib.domain.errors import StaleFence
from chalicelib.domain.messages import Direction, Message, MessageStatus, StatusChange
from chalicelib.domain.sessions import Session, SessionStatus
from tests.conftest import held_session
from tests.fakes import FakeClock, FakeMessages, FakeSessions

BASE = datetime(2030, 1, 1, tzinfo=UTC)
TENANT, SESSION, HOST = "t-contract", "s-contract", "host-contract"
RECEIPTS = (MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.PLAYED)
TARGETS = [*MessageStatus, MessageStatus.SENDING, MessageStatus.QUEUED]
steps = st.lists(st.tuples(
    st.sampled_from(["transition", "transition", "begin", "abandon", "record_sent", "receipt",
                     "stale_begin"]),
    st.sampled_from(TARGETS),
    st.integers(min_value=-2_000, max_value=2_000),  # this write's clock, in ms around BASE
    st.integers(min_value=0, max_value=2),  # which of three send attempts acts
), max_size=12)


def _message(status: MessageStatus, schedule_at: str | None = None,
             stamp: str = clock.iso(BASE)) -> Message:
    return Message(id=ids.new_id(), tenant_id=TENANT, session_id=SESSION,
                   direction=Direction.OUTBOUND, chat="14155552671@s.whatsapp.net", text="hi",
                   status=status, schedule_at=schedule_at, created_at=stamp, updated_at=stamp,
                   timestamps={status.value: stamp},
                   history=[StatusChange(status=status, at=stamp)])


@pytest.fixture
def fence(aws: None) -> int:
    return held_session(TENANT, SESSION, HOST)


def _fake(fence: int) -> FakeMessages:
    sessions = FakeSessions()
    stamp = clock.iso(BASE)
    sessions.put(Session(id=SESSION, tenant_id=TENANT, name="c", engine="sandbox",
                         status=SessionStatus.WORKING, created_at=stamp, updated_at=stamp,
                         owner=HOST, fence=fence))
    return FakeMessages(sessions)


def _has_token(message_id: str) -> bool:
    table = aws_clients.dynamodb().Table(
        resources.MESSAGES.physical_name(container().settings.prefix))
    item = table.get_item(Key=message_key(TENANT, message_id), ConsistentRead=True)["Item"]
    return SEND_TOKEN in item


def _apply(repo: Any, kind: str, target: MessageStatus, message_id: str, who: int,
           fence: int) -> Any:
    """One write by a session host or a worker, and its answer (``"stale"``: StaleFence)."""
    token, engine_id = f"token-{who}", f"3EB0{message_id[-8:]}{who}"
    try:
        if kind == "transition":
            result = repo.transition(TENANT, message_id, target, reason="c")
        elif kind in ("begin", "stale_begin"):
            result = repo.begin_send(TENANT, SESSION, message_id, token, engine_id, HOST,
                                     fence if kind == "begin" else fence + 1)
        elif kind == "abandon":
            result = repo.abandon_send(TENANT, SESSION, message_id, token, engine_id)
        elif kind == "record_sent":
            result = repo.record_sent(TENANT, SESSION, message_id, engine_id, token)
        else:  # receipts only ever say delivered, read or played
            receipt = target if target in RECEIPTS else MessageStatus.DELIVERED
            result = repo.apply_receipt(TENANT, SESSION, engine_id, receipt, HOST, fence)
    except StaleFence:
        return "stale"
    return result.model_dump() if isinstance(result, Message) else result


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scheduled=st.booleans(), plan=steps)
@example(scheduled=True, plan=[("transition", MessageStatus.SENDING, 0, 0),
                               ("begin", MessageStatus.SENDING, -1_500, 1),
                               ("transition", MessageStatus.QUEUED, 10, 0),
                               ("record_sent", MessageStatus.SENT, -500, 1),
                               ("receipt", MessageStatus.READ, -2_000, 1)])
def test_the_fake_answers_every_write_like_dynamodb(fence: int, scheduled: bool, plan):
    real, fake = container().messages, _fake(fence)
    status = MessageStatus.SCHEDULED if scheduled else MessageStatus.QUEUED
    message = _message(status, clock.iso(BASE + timedelta(minutes=1)) if scheduled else None)
    real.create(message)
    fake.create(message)
    mid = message.id
    fake_clock = FakeClock(BASE)
    with fake_clock.installed():
        for kind, target, offset_ms, who in plan:
            fake_clock.moment = BASE + timedelta(milliseconds=offset_ms)
            assert _apply(real, kind, target, mid, who, fence) == \
                _apply(fake, kind, target, mid, who, fence), (kind, target)
            assert real.get(TENANT, mid) == fake.get(TENANT, mid)
            assert _has_token(mid) == (SEND_TOKEN in fake.item(TENANT, mid))
            far = clock.iso(BASE + timedelta(days=1))
            for query in ("inflight", "overdue"):
                found = [m.id for m in getattr(real, query)(far, 1_000) if m.id == mid]
                assert found == [m.id for m in getattr(fake, query)(far, 1_000)], query


def test_overdue_finds_a_lost_schedule_behind_many_that_are_not_due(aws: None):
    """Scheduled messages are ordered by when they were accepted, not when they are due: the
    one overdue message may sit behind any number that wait for next month."""
    repo = container().messages
    now = clock.now_iso()
    container().sessions.create(Session(id=SESSION, tenant_id=TENANT, name="c",
                                        engine="sandbox", status=SessionStatus.WORKING,
                                        created_at=now, updated_at=now))
    later = clock.iso(BASE + timedelta(days=30))
    for minute in range(5):
        repo.create(_message(MessageStatus.SCHEDULED, later,
                             stamp=clock.iso(BASE - timedelta(hours=2, minutes=minute))))
    lost = _message(MessageStatus.SCHEDULED, clock.iso(BASE - timedelta(minutes=30)),
                    stamp=clock.iso(BASE - timedelta(hours=1)))
    repo.create(lost)

    found = repo.overdue(clock.iso(BASE - timedelta(minutes=5)), limit=2)

    assert [m.id for m in found] == [lost.id]
