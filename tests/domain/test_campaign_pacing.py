"""Campaign pacing, progress and the status machine (pure): ``plan()`` run over many ticks never
sends outside the window, after the end, closer than the interval or over a daily limit, and
reaches every recipient unless the campaign ended."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain import clock
from chalicelib.domain.campaigns import (
    BUCKETS,
    DAYS,
    FINISHED,
    HORIZON,
    MAX_SLOTS,
    CampaignStatus,
    Interval,
    Pace,
    PaceState,
    Plan,
    Slot,
    Window,
    add_reference,
    milestones,
    move,
    personalize,
    plan,
    progress,
)
from chalicelib.domain.errors import ValidationFailed

# Zones with DST (north and south), half-hour DST, odd offsets and a midnight fall-back.
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "America/Santiago", "Asia/Beirut",
         "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns")
START = datetime(2030, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)  # the pace state stores its next moment to the millisecond
SESSIONS = ("s1", "s2", "s3", "s4")


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """The moments in 2030 ``zone``'s UTC offset changes (to the hour)."""
    tz = ZoneInfo(zone)
    found = []
    moment = START
    for _ in range(365 * 24):
        following = moment + timedelta(hours=1)
        if moment.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            found.append(following)
        moment = following
    return tuple(found)


def _clock_text(minutes: int) -> str:
    return "24:00" if minutes == 1440 else f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def windows(draw: st.DrawFn, zone: str) -> Window:
    start = draw(st.integers(min_value=0, max_value=1439))
    end = draw(st.integers(min_value=start + 1, max_value=1440))
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
    return Window(time_zone=zone, days=days, **{"from": _clock_text(start)},
                  to=_clock_text(end))


@st.composite
def moments(draw: st.DrawFn, zone: str) -> datetime:
    """Any moment of 2030, or one up to three days before the zone's clocks change."""
    near = transitions(zone)
    if near and draw(st.booleans()):
        return draw(st.sampled_from(near)) - timedelta(seconds=draw(
            st.integers(min_value=0, max_value=3 * 86_400)))
    return START + timedelta(seconds=draw(st.integers(min_value=0, max_value=364 * 86_400)))


@dataclass
class Case:
    pace: Pace
    sessions: list[str]
    total: int
    now: datetime
    seed: int
    lags: list[int]  # seconds a tick comes after its next_tick (a late record, a pause)


@st.composite
def cases(draw: st.DrawFn, windowed: bool | None = None, limited: bool | None = None,
          ending: bool | None = None) -> Case:
    zone = draw(st.sampled_from(ZONES))
    low = draw(st.floats(min_value=0, max_value=120))
    interval = Interval(min_s=low, max_s=draw(st.floats(min_value=low, max_value=low + 120)))
    use_window = draw(st.booleans()) if windowed is None else windowed
    use_limit = draw(st.booleans()) if limited is None else limited
    use_end = draw(st.booleans()) if ending is None else ending
    now = draw(moments(zone))
    pace = Pace(
        interval=interval,
        window=draw(windows(zone)) if use_window else None,
        daily_limit=draw(st.integers(min_value=1, max_value=15)) if use_limit else None,
        end_at=now + timedelta(seconds=draw(st.integers(min_value=0, max_value=5 * 86_400)))
        if use_end else None)
    return Case(pace=pace,
                sessions=draw(st.lists(st.sampled_from(SESSIONS), min_size=1, max_size=4,
                                       unique=True)),
                total=draw(st.integers(min_value=1, max_value=60)), now=now,
                seed=draw(st.integers(min_value=0, max_value=2**32)),
                lags=draw(st.lists(st.sampled_from([0, 0, 3, 90, 7_200, 172_800]),
                                   max_size=10)))


@dataclass
class Run:
    slots: list[Slot] = field(default_factory=list)
    tick_of: list[datetime] = field(default_factory=list)  # the tick's ``now`` per slot
    last: Plan | None = None


def run(case: Case) -> Run:
    """Tick the campaign until every recipient is planned or it ended, checking each tick."""
    rng = random.Random(case.seed)
    state, now, remaining, out = PaceState(), case.now, case.total, Run()
    for tick in range(20 * case.total + 100):
        result = plan(case.pace, state, now, remaining, case.sessions, rng)
        assert len(result.slots) <= min(remaining, MAX_SLOTS)
        for slot in result.slots:
            assert now <= slot.at <= now + HORIZON
            assert slot.session_id in case.sessions
        out.slots += result.slots
        out.tick_of += [now] * len(result.slots)
        out.last, state, remaining = result, result.state, remaining - len(result.slots)
        if result.ended or remaining == 0:
            return out
        assert result.next_tick is not None and result.next_tick > now
        now = result.next_tick + timedelta(seconds=case.lags[tick] if tick < len(case.lags)
                                           else 0)
    raise AssertionError(f"not done after {tick + 1} ticks: {remaining} left")


def local_day(pace: Pace, moment: datetime) -> str:
    zone = ZoneInfo(pace.window.time_zone) if pace.window else UTC
    return moment.astimezone(zone).date().isoformat()


def in_window(window: Window, moment: datetime) -> bool:
    """Computed from the wall clock alone: the day listed, from <= local time < to."""
    local = moment.astimezone(ZoneInfo(window.time_zone))
    start = time.fromisoformat(window.from_)
    wall = local.time().replace(tzinfo=None)
    return DAYS[local.weekday()] in window.days and start <= wall \
        and (window.to == "24:00" or wall < time.fromisoformat(window.to))


@given(cases())
def test_no_slot_outside_the_window_after_the_end_or_over_a_daily_limit(case: Case) -> None:
    slots = run(case).slots
    for slot in slots:
        if case.pace.window is not None:
            assert in_window(case.pace.window, slot.at), slot
        if case.pace.end_at is not None:
            assert slot.at < case.pace.end_at
    if case.pace.daily_limit is not None:
        per_day = Counter((s.session_id, local_day(case.pace, s.at)) for s in slots)
        assert max(per_day.values(), default=0) <= case.pace.daily_limit, per_day


@st.composite
def clock_changes(draw: st.DrawFn) -> Case:
    """A window opening or closing within two hours of a day's clock change (the wall clock
    skips or repeats an hour), the campaign starting shortly before it."""
    zone = draw(st.sampled_from([z for z in ZONES if transitions(z)]))
    change = draw(st.sampled_from(transitions(zone)))
    wall = (change - timedelta(minutes=1)).astimezone(ZoneInfo(zone))
    around = wall.hour * 60 + wall.minute + draw(st.integers(min_value=-120, max_value=120))
    start = max(0, min(1439, around)) if draw(st.booleans()) else \
        draw(st.integers(min_value=0, max_value=max(0, min(1439, around) - 1)))
    end = max(start + 1, min(1440, around)) if start < around else \
        draw(st.integers(min_value=start + 1, max_value=1440))
    window = Window(time_zone=zone, days=list(DAYS), **{"from": _clock_text(start)},
                    to=_clock_text(end))
    return Case(pace=Pace(interval=Interval(min_s=0, max_s=draw(st.sampled_from([1, 60, 600]))),
                          window=window),
                sessions=["s1"], total=draw(st.integers(min_value=1, max_value=60)),
                now=change - timedelta(seconds=draw(st.integers(min_value=0,
                                                                max_value=6 * 3_600))),
                seed=draw(st.integers(min_value=0, max_value=2**32)), lags=[])


@given(clock_changes())
def test_the_window_follows_the_wall_clock_when_the_clocks_change(case: Case) -> None:
    assert case.pace.window is not None
    for slot in run(case).slots:
        assert in_window(case.pace.window, slot.at), (slot, slot.at.astimezone(
            case.pace.window.zone))


def test_the_night_the_clocks_go_back_the_window_opens_at_its_time_twice() -> None:
    window = Window(time_zone="America/New_York", **{"from": "01:30"}, to="03:00")
    night = datetime(2030, 11, 3, 5, tzinfo=UTC)  # 01:00 EDT; 01:00-02:00 happens twice
    result = plan(Pace(interval=Interval(min_s=600, max_s=600), window=window), PaceState(),
                  night, 20, ["s1"], random.Random(1), horizon=timedelta(hours=4))
    walls = [s.at.astimezone(window.zone).strftime("%H:%M%z") for s in result.slots]
    assert walls == ["01:30-0400", "01:40-0400", "01:50-0400", "01:30-0500", "01:40-0500",
                     "01:50-0500", "02:00-0500", "02:10-0500", "02:20-0500", "02:30-0500",
                     "02:40-0500", "02:50-0500"]


@given(cases())
def test_slots_are_at_least_the_minimum_interval_apart(case: Case) -> None:
    slots = run(case).slots
    for before, after in pairwise(slots):
        assert after.at - before.at >= timedelta(seconds=case.pace.interval.min_s) - MS


@given(cases(windowed=False, limited=False, ending=False))
def test_without_a_window_or_limit_the_gap_is_the_interval_unless_a_tick_was_late(
        case: Case) -> None:
    out = run(case)
    for i in range(1, len(out.slots)):
        gap = out.slots[i].at - out.slots[i - 1].at
        waited_for_tick = out.slots[i].at == out.tick_of[i]
        assert gap <= timedelta(seconds=case.pace.interval.max_s) + MS or waited_for_tick


@given(cases(limited=False))
def test_sessions_take_turns(case: Case) -> None:
    slots = run(case).slots
    assert [s.session_id for s in slots] == \
        [case.sessions[i % len(case.sessions)] for i in range(len(slots))]


@given(cases())
def test_every_recipient_is_planned_once_unless_the_end_came(case: Case) -> None:
    out = run(case)
    assert out.last is not None
    if out.last.ended:
        assert case.pace.end_at is not None
        assert clock.parse(out.last.state.next_at or "") >= case.pace.end_at - MS
        assert out.last.next_tick is None
        assert len(out.slots) < case.total
    else:
        assert len(out.slots) == case.total


def test_one_tick_releases_at_most_max_slots() -> None:
    result = plan(Pace(interval=Interval(min_s=0, max_s=0)), PaceState(), START, 10_000,
                  ["s1", "s2"], random.Random(1))
    assert len(result.slots) == MAX_SLOTS
    assert {s.at for s in result.slots} == {START}
    assert result.next_tick is not None and result.next_tick > START


def test_without_sessions_nothing_goes_and_the_tick_comes_back() -> None:
    result = plan(Pace(interval=Interval()), PaceState(), START, 5, [], random.Random(1))
    assert result.slots == [] and not result.ended
    assert result.next_tick is not None and result.next_tick > START


def test_a_closed_window_brings_the_next_tick_just_before_it_opens() -> None:
    window = Window(time_zone="Europe/Berlin", days=["mon"], **{"from": "09:00"}, to="10:00")
    sunday = datetime(2030, 1, 6, 12, tzinfo=UTC)
    result = plan(Pace(interval=Interval(), window=window), PaceState(), sunday, 5, ["s1"],
                  random.Random(1))
    opens = datetime(2030, 1, 7, 8, tzinfo=UTC)  # 09:00 in Berlin (CET)
    assert result.slots == []
    assert result.next_tick is not None and sunday < result.next_tick <= opens
    assert clock.parse(result.state.next_at or "") == opens


counts = st.dictionaries(st.sampled_from(BUCKETS), st.integers(min_value=0, max_value=200))


@given(st.integers(min_value=0, max_value=200), st.data(), counts, st.booleans())
def test_progress_always_adds_up_to_the_total(total: int, data: st.DataObject,
                                              counted: dict[str, int], finished: bool) -> None:
    released = data.draw(st.integers(min_value=0, max_value=total))
    shown = progress(total, released, counted, finished)
    parts = shown.model_dump()
    assert all(value >= 0 for value in parts.values())
    assert sum(v for k, v in parts.items() if k != "total") == total
    assert 0 <= shown.percent <= 100
    if finished:
        assert shown.pending == 0


@given(st.lists(st.integers(min_value=0, max_value=100), max_size=40))
def test_milestones_announce_each_ten_percent_once(percents: list[int]) -> None:
    announced, seen = 0, []
    for percent in sorted(percents):
        steps = milestones(announced, percent)
        seen += steps
        announced = max([announced, *steps])
    reached = max(percents, default=0)
    assert seen == [step for step in range(10, 101, 10) if step <= reached]


@given(st.sampled_from(list(CampaignStatus)),
       st.sampled_from(["start", "pause", "resume", "cancel", "stop", ""]))
def test_finished_campaigns_never_move_and_any_other_can_be_canceled(
        status: CampaignStatus, action: str) -> None:
    target = move(status, action)
    if status in FINISHED:
        assert target is None
    elif action == "cancel":
        assert target == CampaignStatus.CANCELED
    if action not in ("start", "pause", "resume", "cancel"):
        assert target is None


def test_the_status_machine() -> None:
    assert move(CampaignStatus.DRAFT, "start") == CampaignStatus.RUNNING
    assert move(CampaignStatus.SCHEDULED, "start") == CampaignStatus.RUNNING
    assert move(CampaignStatus.RUNNING, "pause") == CampaignStatus.PAUSED
    assert move(CampaignStatus.PAUSED, "resume") == CampaignStatus.RUNNING
    assert move(CampaignStatus.RUNNING, "start") is None
    assert move(CampaignStatus.PAUSED, "pause") is None
    assert move(CampaignStatus.DRAFT, "resume") is None


@pytest.mark.parametrize("fields", [
    {"time_zone": "Mars/Olympus"},
    {"time_zone": ""},
    {"from": "10:00", "to": "09:00"},
    {"from": "10:00", "to": "10:00"},
    {"from": "24:00"},
    {"from": "9:00"},
    {"to": "24:01"},
    {"to": "18:60"},
    {"days": []},
    {"days": ["monday"]},
])
def test_bad_windows_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Window.model_validate(fields)


def test_good_windows() -> None:
    whole = Window()
    assert whole.is_open(START) and whole.days == list(DAYS)
    evening = Window.model_validate({"time_zone": "America/New_York", "days": ["fri"],
                                     "from": "18:00", "to": "24:00"})
    friday_late = datetime(2030, 1, 5, 4, 59, tzinfo=UTC)  # Fri 23:59 in New York
    assert evening.is_open(friday_late)
    assert not evening.is_open(friday_late + timedelta(minutes=1))
    assert evening.next_open(friday_late + timedelta(minutes=1)) == \
        datetime(2030, 1, 11, 23, tzinfo=UTC)


@pytest.mark.parametrize("fields", [{"min_s": 10, "max_s": 5}, {"min_s": -1},
                                    {"max_s": 3_601}])
def test_bad_intervals_are_refused(fields: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        Interval.model_validate(fields)


def test_interval_draws_stay_between_its_bounds() -> None:
    interval, rng = Interval(min_s=2, max_s=3), random.Random(7)
    assert all(timedelta(seconds=2) <= interval.draw(rng) <= timedelta(seconds=3)
               for _ in range(100))


def test_personalize_fills_text_and_caption_only() -> None:
    text = personalize({"type": "text", "text": "Hi {{name}}", "preview_url": "{{name}}"},
                       {"name": "Ann"})
    assert text == {"type": "text", "text": "Hi Ann", "preview_url": "{{name}}"}
    image = personalize({"type": "image", "caption": "{{n}} off", "url": "https://x/{{n}}"},
                        {"n": "10%"})
    assert image["caption"] == "10% off" and image["url"] == "https://x/{{n}}"
    with pytest.raises(ValidationFailed):
        personalize({"type": "text", "text": "Hi {{name}}"}, {})


def test_add_reference_appends_the_message_ids_tail() -> None:
    message_id = "01JCAMPAIGN0000000ABCDEFGH"
    assert add_reference({"type": "text", "text": "Hi"}, message_id)["text"] == \
        "Hi\n\nRef: ABCDEFGH"
    assert add_reference({"text": "Hi"}, message_id)["text"] == "Hi\n\nRef: ABCDEFGH"
    assert add_reference({"type": "image", "caption": "Look"}, message_id)["caption"] == \
        "Look\n\nRef: ABCDEFGH"
    bare = add_reference({"type": "image", "url": "https://x/a.png"}, message_id)
    assert bare == {"type": "image", "url": "https://x/a.png", "caption": "Ref: ABCDEFGH"}
