"""The pure rules of chats: how long a mute may last, and which history a host keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.live.chats import (
    MUTE_MAX,
    HistoryMessage,
    is_muted,
    kept_history,
    mute_until,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@given(st.timedeltas(min_value=timedelta(days=-800), max_value=timedelta(days=800)))
def test_a_mute_ends_in_the_future_within_a_year(ahead: timedelta) -> None:
    try:
        stored = mute_until(NOW + ahead, NOW)
    except ValueError:
        assert ahead <= timedelta(0) or ahead > MUTE_MAX
        return
    assert timedelta(0) < ahead <= MUTE_MAX
    assert is_muted(stored, NOW) and not is_muted(stored, NOW + ahead)


def test_forever_is_muted_always() -> None:
    assert mute_until(None, NOW) == "forever"
    assert is_muted("forever", NOW + timedelta(days=10_000)) and not is_muted(None, NOW)


@given(ages=st.lists(st.integers(min_value=0, max_value=90 * 24 * 60), max_size=60),
       days=st.integers(min_value=0, max_value=60), per_chat=st.integers(min_value=0,
                                                                        max_value=40))
def test_history_keeps_the_newest_within_both_bounds(ages: list[int], days: int,
                                                      per_chat: int) -> None:
    messages = [HistoryMessage(engine_message_id=f"M{i}", from_me=False,
                               timestamp=NOW - timedelta(minutes=age))
                for i, age in enumerate(ages)]
    kept = kept_history(messages, NOW, days, per_chat)
    since = NOW - timedelta(days=days)
    recent = [m for m in messages if m.timestamp >= since]
    assert len(kept) == min(len(recent), per_chat)
    assert all(m.timestamp >= since for m in kept)
    assert [m.timestamp for m in kept] == sorted(m.timestamp for m in kept)  # oldest first
    if kept:  # nothing left out is newer than what was kept
        assert all(m.timestamp <= kept[0].timestamp for m in recent if m not in kept)
