"""The message status state machine (``chalicelib.domain.messages``)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.messages import (
    TERMINAL,
    Direction,
    Message,
    MessageStatus,
    StatusChange,
    can_transition,
    predecessors,
)

S = MessageStatus
ALL = list(MessageStatus)

# The whole specification: target -> statuses a message may be in for the move to be allowed.
ALLOWED_FROM: dict[MessageStatus, set[MessageStatus]] = {
    S.SCHEDULED: set(),  # only ever an initial status
    S.QUEUED: {S.SCHEDULED, S.SENDING},  # released by the scheduler, or a worker's released claim
    S.SENDING: {S.SCHEDULED, S.QUEUED},  # a worker claims a queued (or due scheduled) message
    S.SENT: {S.SENDING},
    S.DELIVERED: {S.SENDING, S.SENT},
    S.READ: {S.SENDING, S.SENT, S.DELIVERED},
    S.PLAYED: {S.SENDING, S.SENT, S.DELIVERED, S.READ},
    S.RECEIVED: set(),  # inbound messages are created received
    S.FAILED: {S.SCHEDULED, S.QUEUED, S.SENDING},
    S.EXPIRED: {S.SCHEDULED, S.QUEUED, S.SENDING},  # the host checks expiry before sending
    S.CANCELED: {S.SCHEDULED, S.QUEUED},
}
# Progress rank of a message that has left the gateway.
RANK = {S.SENT: 1, S.DELIVERED: 2, S.READ: 3, S.PLAYED: 4}
NOT_YET_SENT = {S.SCHEDULED, S.QUEUED, S.SENDING}


def test_specification_covers_every_status() -> None:
    assert set(ALLOWED_FROM) == set(MessageStatus)


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(ALL, ALL)), ids=lambda s: str(s)
)
def test_can_transition_matches_the_specification(
    current: MessageStatus, target: MessageStatus
) -> None:
    assert can_transition(current, target) == (current in ALLOWED_FROM[target])


@pytest.mark.parametrize("target", ALL, ids=str)
def test_predecessors_are_exactly_the_allowed_sources(target: MessageStatus) -> None:
    found = predecessors(target)
    assert isinstance(found, tuple)
    assert len(found) == len(set(found)), "no duplicates in a DynamoDB IN (...) condition"
    assert set(found) == ALLOWED_FROM[target]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.READ, S.DELIVERED),
        (S.DELIVERED, S.SENT),
        (S.READ, S.SENT),
        (S.SENT, S.SENDING),
        (S.DELIVERED, S.SENDING),
        (S.SENT, S.QUEUED),
        (S.QUEUED, S.SCHEDULED),
    ],
)
def test_progress_never_goes_backwards(current: MessageStatus, target: MessageStatus) -> None:
    assert not can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.SENDING, S.READ),
        (S.SENDING, S.DELIVERED),
        (S.SENDING, S.PLAYED),
        (S.SENT, S.READ),
        (S.SENT, S.PLAYED),
        (S.DELIVERED, S.PLAYED),
    ],
)
def test_receipts_may_skip_steps(current: MessageStatus, target: MessageStatus) -> None:
    assert can_transition(current, target)


@pytest.mark.parametrize("status", ALL, ids=str)
def test_no_status_transitions_to_itself(status: MessageStatus) -> None:
    assert not can_transition(status, status), "a repeated write must not count as a move"


def test_terminal_statuses() -> None:
    assert frozenset({S.FAILED, S.EXPIRED, S.CANCELED, S.PLAYED, S.RECEIVED}) == TERMINAL


@pytest.mark.parametrize("terminal", sorted(TERMINAL), ids=str)
@pytest.mark.parametrize("target", ALL, ids=str)
def test_terminal_states_cannot_move_anywhere(
    terminal: MessageStatus, target: MessageStatus
) -> None:
    assert not can_transition(terminal, target)


@pytest.mark.parametrize("current", ALL, ids=str)
def test_failed_only_from_not_yet_sent(current: MessageStatus) -> None:
    assert can_transition(current, S.FAILED) == (current in NOT_YET_SENT)


@pytest.mark.parametrize("current", ALL, ids=str)
def test_canceled_only_from_scheduled_or_queued(current: MessageStatus) -> None:
    assert can_transition(current, S.CANCELED) == (current in {S.SCHEDULED, S.QUEUED})


@pytest.mark.parametrize("current", ALL, ids=str)
def test_expired_only_before_it_left(current: MessageStatus) -> None:
    assert can_transition(current, S.EXPIRED) == (current in NOT_YET_SENT)


def test_a_message_being_sent_cannot_be_canceled() -> None:
    assert not can_transition(S.SENDING, S.CANCELED)


@pytest.mark.parametrize("current", ALL, ids=str)
def test_queued_only_from_sending_or_scheduled(current: MessageStatus) -> None:
    assert can_transition(current, S.QUEUED) == (current in {S.SENDING, S.SCHEDULED})


@pytest.mark.parametrize("current", ALL, ids=str)
def test_sending_only_from_queued_or_due_scheduled(current: MessageStatus) -> None:
    assert can_transition(current, S.SENDING) == (current in {S.QUEUED, S.SCHEDULED})


@pytest.mark.parametrize("target", [S.SENT, S.DELIVERED, S.READ, S.PLAYED], ids=str)
@pytest.mark.parametrize("current", [S.SCHEDULED, S.QUEUED], ids=str)
def test_receipts_need_the_message_to_have_left(
    current: MessageStatus, target: MessageStatus
) -> None:
    assert not can_transition(current, target)


def test_the_happy_path() -> None:
    path = [S.SCHEDULED, S.QUEUED, S.SENDING, S.SENT, S.DELIVERED, S.READ, S.PLAYED]
    for current, target in itertools.pairwise(path):
        assert can_transition(current, target), f"{current} -> {target}"


def test_a_released_claim_can_be_claimed_again() -> None:
    path = [S.QUEUED, S.SENDING, S.QUEUED, S.SENDING, S.SENT]
    for current, target in itertools.pairwise(path):
        assert can_transition(current, target), f"{current} -> {target}"


def _apply(start: MessageStatus, attempts: list[MessageStatus]) -> list[MessageStatus]:
    """The statuses a message goes through when every attempt is guarded by can_transition."""
    history = [start]
    for target in attempts:
        if can_transition(history[-1], target):
            history.append(target)
    return history


def assert_invariants(history: list[MessageStatus]) -> None:
    """What must hold for any path a message takes."""
    # (a) among sent/delivered/read/played, progress never goes down ...
    ranks = [RANK[s] for s in history if s in RANK]
    assert ranks == sorted(ranks), history
    # ... and once the message has left, it never comes back to a not-yet-sent status.
    for earlier, later in itertools.combinations(history, 2):
        if earlier in RANK:
            assert later in RANK, f"{earlier} then {later}: {history}"
    # (b) once terminal, the status never changes (so a terminal status can only be last).
    for index, status in enumerate(history):
        if status in TERMINAL:
            assert index == len(history) - 1, history
    # (c) a message is never sent twice.
    assert history.count(S.SENT) <= 1, history


ATTEMPTS = st.lists(st.sampled_from(ALL), max_size=80)


@settings(max_examples=300)
@given(st.sampled_from([S.QUEUED, S.SCHEDULED]), ATTEMPTS)
def test_random_attempts_never_regress_resend_or_leave_terminal(
    start: MessageStatus, attempts: list[MessageStatus]
) -> None:
    history = _apply(start, attempts)
    assert_invariants(history)
    if history[-1] in TERMINAL:
        assert _apply(history[-1], attempts) == [history[-1]]


@settings(max_examples=300)
@given(st.sampled_from([S.QUEUED, S.SCHEDULED]), st.data())
def test_walks_along_allowed_moves_never_regress_resend_or_leave_terminal(
    start: MessageStatus, data: st.DataObject
) -> None:
    """Like the random test, but biased towards moves the guard allows, to reach deep paths
    (redelivered claims, late receipts after reads, retries after a released claim)."""
    history = [start]
    for _ in range(data.draw(st.integers(min_value=0, max_value=40), label="steps")):
        allowed = [target for target in ALL if can_transition(history[-1], target)]
        if allowed and data.draw(st.booleans(), label="follow an allowed move"):
            target = data.draw(st.sampled_from(allowed), label="allowed target")
        else:
            target = data.draw(st.sampled_from(ALL), label="any target")
        if can_transition(history[-1], target):
            history.append(target)
    assert_invariants(history)


@given(st.lists(st.sampled_from(ALL), max_size=60))
def test_receipts_never_resurrect_a_failed_expired_or_canceled_message(
    attempts: list[MessageStatus],
) -> None:
    for end in (S.FAILED, S.EXPIRED, S.CANCELED):
        assert _apply(end, attempts) == [end]


@given(st.lists(st.sampled_from(ALL), max_size=60))
def test_an_inbound_message_stays_received(attempts: list[MessageStatus]) -> None:
    assert _apply(S.RECEIVED, attempts) == [S.RECEIVED]


def test_statuses_are_plain_strings_on_the_wire() -> None:
    assert S.DELIVERED == "delivered"
    assert MessageStatus("read") is S.READ
    assert Direction("inbound") is Direction.INBOUND


def test_message_record_defaults_and_round_trip() -> None:
    message = Message(
        id="msg_1", tenant_id="t1", session_id="s1", direction=Direction.OUTBOUND,
        chat="14155552671@s.whatsapp.net", text="hi", status=S.QUEUED,
        created_at="2024-01-01T00:00:00.000Z", updated_at="2024-01-01T00:00:00.000Z",
    )
    assert message.type == "text"
    assert message.timestamps == {}
    assert message.history == []
    assert message.metadata == {}
    assert message.error is None

    message.history.append(StatusChange(status=S.SENDING, at="2024-01-01T00:00:01.000Z"))
    dumped = message.model_dump(mode="json")
    assert dumped["status"] == "queued"
    assert dumped["history"] == [
        {"status": "sending", "at": "2024-01-01T00:00:01.000Z", "reason": None}
    ]
    assert Message.model_validate(dumped) == message


def test_message_defaults_are_not_shared_between_records() -> None:
    fields: dict[str, Any] = {
        "tenant_id": "t1", "session_id": "s1", "direction": Direction.INBOUND, "chat": "c",
        "status": S.RECEIVED, "created_at": "x", "updated_at": "x",
    }
    first, second = Message(id="a", **fields), Message(id="b", **fields)
    first.metadata["k"] = "v"
    first.timestamps["received"] = "x"
    assert second.metadata == {}
    assert second.timestamps == {}
