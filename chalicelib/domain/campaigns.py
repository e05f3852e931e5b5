"""Campaigns: who gets what, when, and how their progress adds up.

All pacing lives here (``plan``): the campaign tick asks it which recipients go out next,
from which session and at what second, inside the campaign's window, before its end, at its
interval (uniform jitter) and within each session's daily limit. No I/O and no settings: the
tick stores the returned ``PaceState`` and queues the slots with SQS delays, so no Lambda
ever sleeps to pace.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from chalicelib.domain import clock
from chalicelib.domain.messages import MessageStatus
from chalicelib.domain.templates import render

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INLINE_RECIPIENTS = 1_000
MAX_RECIPIENTS = 100_000
MAX_SESSIONS = 10
MAX_INTERVAL_S = 3_600
HORIZON = timedelta(seconds=60)  # how far ahead one tick releases
MAX_SLOTS = 500  # recipients one tick releases at most
IDLE_TICK = timedelta(seconds=30)  # how soon a tick comes back when nothing could go out
_MAX_STEPS = 20_000  # a bound on the planning loop (window and day hops included)


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELED = "canceled"


FINISHED = (CampaignStatus.COMPLETED, CampaignStatus.CANCELED)


def _hhmm(value: str) -> time:
    try:
        hours, minutes = value.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValueError("must be HH:MM (24 h)") from exc


class Window(BaseModel):
    """When sends may go out: on ``days``, from ``from_`` until ``to`` local time."""

    time_zone: str = "UTC"
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: list(DAYS), min_length=1, max_length=7)
    from_: str = Field(default="00:00", alias="from")
    to: str = "24:00"

    model_config = {"populate_by_name": True}

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known IANA time zone") from exc
        return value

    @field_validator("from_")
    @classmethod
    def _start(cls, value: str) -> str:
        _hhmm(value)  # "24:00" ends a window; it starts none
        return value

    @field_validator("to")
    @classmethod
    def _end(cls, value: str) -> str:
        if value != "24:00":
            _hhmm(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.to != "24:00" and _hhmm(self.to) <= _hhmm(self.from_):
            raise ValueError("'to' must be after 'from' (a window stays inside one day)")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def _moments(self, day: date, clock_time: str) -> list[datetime]:
        """When the wall clock shows ``clock_time`` on ``day`` (twice when the clocks go back;
        inside a skipped hour, either side of the jump), in UTC."""
        local = datetime.combine(day + timedelta(days=1), time(0), self.zone) \
            if clock_time == "24:00" else datetime.combine(day, _hhmm(clock_time), self.zone)
        return sorted({local.replace(fold=fold).astimezone(UTC) for fold in (0, 1)})

    def is_open(self, moment: datetime) -> bool:
        """Whether the wall clock in the window's zone is on one of ``days``, at or after
        ``from_`` and before ``to``."""
        local = moment.astimezone(self.zone)
        wall = local.time()
        return DAYS[local.weekday()] in self.days and _hhmm(self.from_) <= wall \
            and (self.to == "24:00" or wall < _hhmm(self.to))

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` when the window is open then, else the next moment the wall clock
        reaches ``from_`` on one of ``days`` (within 8 days; twice on a night the clocks go
        back). A repeated hour that is inside the window without passing ``from_`` is not
        used."""
        day = moment.astimezone(self.zone).date()
        for offset in range(9):
            current = day + timedelta(days=offset)
            if DAYS[current.weekday()] not in self.days:
                continue
            end = self._moments(current, self.to)[-1]
            for start in self._moments(current, self.from_):
                candidate = max(start, moment)
                if candidate < end and self.is_open(candidate):
                    return candidate
        raise ValueError("the window never opens")  # days is never empty: unreachable


class Interval(BaseModel):
    """Seconds between two sends of a campaign: uniform between ``min_s`` and ``max_s``."""

    min_s: float = Field(default=5, ge=0, le=MAX_INTERVAL_S)
    max_s: float = Field(default=15, ge=0, le=MAX_INTERVAL_S)

    @model_validator(mode="after")
    def _order(self) -> Interval:
        if self.max_s < self.min_s:
            raise ValueError("max_s must be at least min_s")
        return self

    def draw(self, rng: random.Random) -> timedelta:
        return timedelta(seconds=rng.uniform(self.min_s, self.max_s))


class PaceState(BaseModel):
    """Where the pacing stands between ticks (stored on the campaign)."""

    next_at: str | None = None  # the earliest moment the next recipient may go
    turn: int = 0  # whose turn it is among the campaign's sessions
    day: str | None = None  # the day (in the window's zone) ``counts`` are for
    counts: dict[str, int] = Field(default_factory=dict)  # session -> sends that day


@dataclass(frozen=True)
class Pace:
    interval: Interval
    window: Window | None = None
    daily_limit: int | None = None  # per session
    end_at: datetime | None = None


@dataclass(frozen=True)
class Slot:
    at: datetime
    session_id: str


@dataclass
class Plan:
    slots: list[Slot] = field(default_factory=list)
    state: PaceState = field(default_factory=PaceState)
    next_tick: datetime | None = None  # None: nothing more can ever go out (``ended``)
    ended: bool = False  # the end came before every remaining recipient could go


def _day(pace: Pace, moment: datetime) -> date:
    zone = pace.window.zone if pace.window else UTC
    return moment.astimezone(zone).date()


def _next_day(pace: Pace, moment: datetime) -> datetime:
    zone = pace.window.zone if pace.window else UTC
    tomorrow = _day(pace, moment) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), zone).astimezone(UTC)


def plan(pace: Pace, state: PaceState, now: datetime, remaining: int, sessions: list[str],
         rng: random.Random, horizon: timedelta = HORIZON, max_slots: int = MAX_SLOTS) -> Plan:
    """The next recipients' slots, due no later than ``now + horizon``.

    Slots are at least ``interval.min_s`` apart (the first not before ``state.next_at``),
    inside the window, before ``end_at``, rotating over ``sessions`` (those that can send
    now, in the campaign's order) and never more than ``daily_limit`` a day per session.
    """
    t = max(now, clock.parse(state.next_at)) if state.next_at else now
    turn, day, counts = state.turn, state.day, dict(state.counts)
    slots: list[Slot] = []
    wanted = min(remaining, max_slots)
    result = Plan()
    for _ in range(_MAX_STEPS):
        if len(slots) >= wanted:
            break
        if pace.end_at is not None and t >= pace.end_at:
            result.ended = True
            break
        if pace.window is not None and not pace.window.is_open(t):
            t = pace.window.next_open(t)
            continue
        if t > now + horizon or not sessions:
            break
        today = _day(pace, t).isoformat()
        if today != day:
            day, counts = today, {}
        chosen = None
        for step in range(len(sessions)):
            candidate = sessions[(turn + step) % len(sessions)]
            if pace.daily_limit is None or counts.get(candidate, 0) < pace.daily_limit:
                chosen, turn = candidate, (turn + step + 1) % len(sessions)
                break
        if chosen is None:  # every session spent its day: the next day
            t = _next_day(pace, t)
            continue
        slots.append(Slot(t, chosen))
        counts[chosen] = counts.get(chosen, 0) + 1
        t = t + pace.interval.draw(rng)
    result.slots = slots
    result.state = PaceState(next_at=clock.iso(t), turn=turn, day=day, counts=counts)
    if result.ended or remaining - len(slots) <= 0:
        result.next_tick = None if result.ended else now + IDLE_TICK
    elif not sessions:
        result.next_tick = now + IDLE_TICK
    else:  # come back shortly before the next slot is due
        result.next_tick = max(now + timedelta(seconds=1), t - timedelta(seconds=5))
    return result


# --- progress ---

Bucket = Literal["queued", "sent", "delivered", "read", "failed", "skipped", "opted_out"]
BUCKETS: tuple[Bucket, ...] = ("queued", "sent", "delivered", "read", "failed", "skipped",
                               "opted_out")
RecipientStatus = Literal["pending", "queued", "sent", "delivered", "read", "failed", "skipped",
                          "opted_out"]
STATUSES: tuple[str, ...] = ("pending", *BUCKETS)


def bucket(status: MessageStatus, reason: str | None) -> Bucket:
    """Where a campaign message's status counts in the campaign's progress."""
    if status in (MessageStatus.QUEUED, MessageStatus.SCHEDULED, MessageStatus.SENDING):
        return "queued"
    if status in (MessageStatus.READ, MessageStatus.PLAYED):
        return "read"
    if status in (MessageStatus.SENT, MessageStatus.DELIVERED):
        return status.value  # type: ignore[return-value]
    if status == MessageStatus.FAILED:
        return "opted_out" if reason == "opted_out" else "failed"
    return "skipped"  # expired (the campaign ended first) or canceled


class Progress(BaseModel):
    """Every recipient in exactly one count: they always add up to ``total``."""

    total: int = 0
    pending: int = 0  # not released yet
    queued: int = 0  # released, not sent yet
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    skipped: int = 0
    opted_out: int = 0

    @property
    def done(self) -> int:
        """Recipients whose send is over (sent, failed, skipped or opted out)."""
        return self.total - self.pending - self.queued

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.done * 100 // self.total


def progress(total: int, released: int, counts: dict[str, int], finished: bool) -> Progress:
    """The progress from the released count and the released messages' buckets (``counts``,
    possibly a little behind): whatever is not yet counted elsewhere is still queued; a
    finished campaign's unreleased recipients are skipped."""
    later = {name: max(0, counts.get(name, 0)) for name in BUCKETS if name != "queued"}
    # Counted messages were released even when ``released`` has not caught up; counts
    # beyond the total are trimmed so every recipient is still in exactly one count.
    released = min(total, max(released, sum(later.values())))
    room = released
    for name in later:
        later[name] = min(later[name], room)
        room -= later[name]
    queued = room
    unreleased = total - released
    return Progress(total=total, pending=0 if finished else unreleased, queued=queued,
                    **{**later, "skipped": later["skipped"] + (unreleased if finished else 0)})


def milestones(before: int, after: int) -> list[int]:
    """The 10 % steps crossed going from ``before`` to ``after`` percent."""
    return [step for step in range(10, 101, 10) if before < step <= after]


def eta(state: PaceState, pace: Pace, left: int, now: datetime) -> datetime | None:
    """About when the last recipient goes out at the mean interval (window pauses not
    counted); None when nothing is left to release."""
    if left <= 0:
        return None
    start = max(now, clock.parse(state.next_at)) if state.next_at else now
    mean = (pace.interval.min_s + pace.interval.max_s) / 2
    moment = start + timedelta(seconds=mean * (left - 1))
    return min(moment, pace.end_at) if pace.end_at else moment


_FILLED = ("text", "caption")  # the content fields {{var}} placeholders are filled in


def personalize(prototype: dict[str, Any], variables: dict[str, str]) -> dict[str, Any]:
    """A recipient's content: the prototype with its text or caption filled in (the
    recipients were checked to carry every variable it uses)."""
    content = dict(prototype)
    for name in _FILLED:
        if isinstance(content.get(name), str):
            content[name] = render(content[name], variables, field=name)
    return content


def resumed_pace(pace: Pace, now: datetime, held: int) -> datetime:
    """When a resumed campaign releases its next recipient: after the ``held`` messages the
    pause kept back have gone out at the mean interval."""
    mean = (pace.interval.min_s + pace.interval.max_s) / 2
    return now + timedelta(seconds=mean * held)


def add_reference(content: dict[str, Any], message_id: str) -> dict[str, Any]:
    """The content with a short reference to its message appended to its text (or caption):
    the message id's last 8 characters, unique within the campaign (``add_ref``)."""
    reference = f"Ref: {message_id[-8:]}"
    key = "text" if content.get("type", "text") in ("text", "list") else "caption"
    current = content.get(key)
    return {**content, key: f"{current}\n\n{reference}" if current else reference}


# --- the campaign ---

Action = Literal["start", "pause", "resume", "cancel"]
_MOVES: dict[tuple[CampaignStatus, str], CampaignStatus] = {
    (CampaignStatus.DRAFT, "start"): CampaignStatus.RUNNING,
    (CampaignStatus.SCHEDULED, "start"): CampaignStatus.RUNNING,
    (CampaignStatus.RUNNING, "pause"): CampaignStatus.PAUSED,
    (CampaignStatus.PAUSED, "resume"): CampaignStatus.RUNNING,
    **{(status, "cancel"): CampaignStatus.CANCELED
       for status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING,
                      CampaignStatus.PAUSED)},
}


def move(status: CampaignStatus, action: str) -> CampaignStatus | None:
    """The status ``action`` leads to from ``status``; None when it is not allowed."""
    return _MOVES.get((status, action))


class Release(BaseModel):
    """A claimed range of recipients being released (kept until it is done, so a tick that
    died half-way is redone with the same slots and the same message ids)."""

    start: int  # first recipient seq
    slots: list[tuple[str, str]]  # (at, session id) per recipient, in order


class Campaign(BaseModel):
    id: str
    tenant_id: str
    name: str
    description: str | None = None
    session_ids: list[str]
    message: dict[str, Any]  # the content prototype (JSON of domain.content), {{var}} unfilled
    variables: list[str] = Field(default_factory=list)  # the placeholders it uses
    category: Literal["transactional", "marketing"] = "marketing"
    source: dict[str, Any] = Field(default_factory=dict)  # inline | upload_id | audience
    start_at: str | None = None
    end_at: str | None = None
    window: Window | None = None
    interval: Interval = Field(default_factory=Interval)
    daily_limit: int | None = None
    typing_ms: int = 0
    add_ref: bool = False
    status: CampaignStatus = CampaignStatus.DRAFT
    reason: str | None = None  # why it is paused or ended (api, throttled, ended, …)
    resume_at: str | None = None  # a pause the gateway took ends then by itself
    total: int = 0
    released: int = 0
    invalid: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list)  # the first invalid rows
    pace: PaceState = Field(default_factory=PaceState)
    release: Release | None = None
    tick_id: str | None = None
    version: int = 0
    progress: Progress = Field(default_factory=Progress)
    announced: int = 0  # the last 10 % step a progress event was published for
    created_at: str
    updated_at: str
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def pace_rules(self) -> Pace:
        return Pace(interval=self.interval, window=self.window, daily_limit=self.daily_limit,
                    end_at=clock.parse(self.end_at) if self.end_at else None)
