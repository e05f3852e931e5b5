"""The governor's budgets, whatever the schedule: a lane never sends more than its burst plus
its rate over any window, warm-up never lifts a limit above the full one and never falls back,
waits are never negative and bounded, back-offs grow with repeats and stay capped."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import governor as g

rates = st.integers(min_value=1, max_value=g.MAX_PER_MINUTE)
# Arrival times of send attempts (ms, sorted): bursts, trickles and long gaps mixed.
gaps = st.lists(st.integers(min_value=0, max_value=120_000), min_size=1, max_size=200)


def _attempts(rate: int, steps: list[int]) -> Iterator[tuple[int, int | None, g.Admission]]:
    """Run attempts at the given gaps: each one's time, the bucket before it, its answer."""
    tat: int | None = None
    now = 1_900_000_000_000
    for step in steps:
        now += step
        answer = g.admit(tat, now, rate)
        yield now, tat, answer
        if answer.allowed:
            tat = answer.tat_ms


def _admitted(rate: int, steps: list[int]) -> tuple[list[int], list[int]]:
    """(times admitted, waits answered)."""
    admitted, waits = [], []
    for now, _, answer in _attempts(rate, steps):
        if answer.allowed:
            admitted.append(now)
        else:
            waits.append(answer.wait_ms)
    return admitted, waits


@given(rates, gaps, st.integers(min_value=1, max_value=600_000))
def test_no_schedule_exceeds_burst_plus_rate_over_any_window(rate: int, steps: list[int],
                                                             window: int) -> None:
    admitted, _ = _admitted(rate, steps)
    most = g.burst(rate) + window * rate // g.MINUTE_MS
    for i, start in enumerate(admitted):
        inside = [t for t in admitted[i:] if t - start < window]
        assert len(inside) <= most, (rate, window, len(inside))


@given(rates, gaps)
def test_waits_are_positive_and_at_most_one_interval(rate: int, steps: list[int]) -> None:
    _, waits = _admitted(rate, steps)
    assert all(0 < w <= g.interval_ms(rate) for w in waits)


@given(rates, gaps)
def test_waiting_what_the_bucket_says_is_enough(rate: int, steps: list[int]) -> None:
    """Never early, and never sent back in vain: after the wait it answers, a lone attempt
    is allowed."""
    for now, tat, answer in _attempts(rate, steps):
        if not answer.allowed:
            assert g.admit(tat, now + answer.wait_ms - 1, rate).allowed is False
            assert g.admit(tat, now + answer.wait_ms, rate).allowed is True


@given(rates, gaps)
def test_tokens_left_says_how_many_go_now(rate: int, steps: list[int]) -> None:
    now, before, answer = list(_attempts(rate, steps))[-1]
    tat = answer.tat_ms if answer.allowed else before
    left, probe = g.tokens_left(tat, now, rate), tat
    for _ in range(left):
        answer = g.admit(probe, now, rate)
        assert answer.allowed
        probe = answer.tat_ms
    assert not g.admit(probe, now, rate).allowed


limits = st.builds(
    g.Limits,
    messages_per_minute=st.builds(g.LaneRates, high=rates, normal=rates, bulk=rates),
    new_contacts_per_day=st.integers(min_value=0, max_value=g.MAX_NEW_CONTACTS),
    warmup=st.builds(g.Warmup, enabled=st.booleans(),
                     days=st.integers(min_value=1, max_value=g.MAX_WARMUP_DAYS)))


@given(limits, st.integers(min_value=0, max_value=200))
def test_warmup_never_above_the_full_limits_and_never_falling(full: g.Limits, day: int) -> None:
    today = g.effective(full, g.warmup_factor(full.warmup, day))
    tomorrow = g.effective(full, g.warmup_factor(full.warmup, day + 1))
    for lane in g.LANES:
        assert today.messages_per_minute.of(lane) <= tomorrow.messages_per_minute.of(lane) \
            <= full.messages_per_minute.of(lane)
    assert today.new_contacts_per_day <= tomorrow.new_contacts_per_day \
        <= full.new_contacts_per_day
    assert today.messages_per_minute.high == full.messages_per_minute.high
    if day >= full.warmup.days or not full.warmup.enabled:
        assert today == full


@given(limits)
def test_warmup_starts_at_a_quarter(full: g.Limits) -> None:
    first = g.effective(full, g.warmup_factor(full.warmup, 0))
    if full.warmup.enabled:
        assert first.messages_per_minute.bulk == max(1, full.messages_per_minute.bulk // 4)


@given(st.integers(min_value=0, max_value=4_000_000_000_000))
def test_the_day_budget_resets_at_the_next_utc_midnight(now: int) -> None:
    wait = g.until_next_day_ms(now)
    assert 0 < wait <= g.DAY_MS
    assert g.day_of(now + wait) != g.day_of(now)
    assert g.day_of(now + wait - 1) == g.day_of(now)


reasons = st.sampled_from(["rate_limited", "timelock", "failure_rate"])


@given(st.lists(st.tuples(reasons, st.integers(min_value=0, max_value=3 * g.DAY_MS)),
                max_size=60),
       st.integers(min_value=1, max_value=3_600), st.integers(min_value=1, max_value=86_400))
def test_backoff_is_bounded_and_grows_with_repeats(pushbacks: list[tuple[str, int]],
                                                   base: int, cap: int) -> None:
    now, current = 1_900_000_000_000, None
    for reason, gap in pushbacks:
        now += gap
        after = g.throttle_after(current, reason, now, base, cap)  # type: ignore[arg-type]
        if current is not None and current.until_ms > now:
            assert after is None  # one throttle at a time: no repeat while it holds
            continue
        assert after is not None
        length = after.until_ms - now
        assert 0 < length <= cap * 1000
        if current is not None and after.strikes > 1:
            assert after.strikes == min(g.MAX_STRIKES, current.strikes + 1)
            assert length >= min(cap * 1000, g.backoff_ms(reason, current.strikes, base, cap))
        current = after


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=500))
def test_a_spike_needs_enough_failures_and_enough_of_the_sends(sends: int,
                                                               failures: int) -> None:
    rule = g.SpikeRule(min_failures=5, ratio=0.5, window_s=600)
    window = g.FailureWindow(start_ms=0, sends=sends, failures=failures)
    assert g.spiked(window, rule) == (failures >= 5 and failures >= 0.5 * max(sends, failures))
