"""The send governor's rules: per-session limits, a token bucket per lane (GCRA), the daily
budget of new contacts, the warm-up of a newly paired number, the back-off after WhatsApp
pushes back, and the failure-rate spike rule. Pure: times are whole milliseconds since the
epoch, passed in; nothing here reads a clock or settings.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain import clock

LANES = ("high", "normal", "bulk")
Lane = Literal["high", "normal", "bulk"]
Reason = Literal["rate_limited", "timelock", "failure_rate"]
PUSHBACK_CODES: frozenset[str] = frozenset({"rate_limited", "timelock"})
MAX_PER_MINUTE = 6_000  # Meta's Cloud API allows 80/s a number: no session needs more
MAX_NEW_CONTACTS = 100_000  # Meta's highest finite tier of unique recipients a day
MAX_WARMUP_DAYS = 90
BURST_SECONDS = 10  # a lane may send this many seconds' worth of its rate at once
WARMUP_START = 0.25  # a new number starts at a quarter of its limits, rising linearly
MINUTE_MS = 60_000
DAY_MS = 86_400_000
# The lanes a marketing throttle holds (high-priority traffic always goes), and what it holds.
THROTTLED_LANES: tuple[Lane, ...] = ("normal", "bulk")
THROTTLED_CATEGORIES = ("marketing",)
# How much longer a back-off is for each reason than the base: a reach-out timelock is
# WhatsApp's answer to too many new chats and lasts hours.
REASON_WEIGHT: dict[str, int] = {"rate_limited": 1, "failure_rate": 1, "timelock": 4}
MAX_STRIKES = 16  # repeats remembered (the back-off is capped long before)
STRIKE_MEMORY_MS = DAY_MS  # a pushback within a day of the last throttle's end repeats it


class LaneRates(BaseModel):
    """Messages per minute a session may send in each lane."""

    model_config = ConfigDict(extra="forbid")

    high: int = Field(60, ge=1, le=MAX_PER_MINUTE)
    normal: int = Field(20, ge=1, le=MAX_PER_MINUTE)
    bulk: int = Field(10, ge=1, le=MAX_PER_MINUTE)

    def of(self, lane: str) -> int:
        return int(getattr(self, lane))


class Warmup(BaseModel):
    """Lower limits for the first ``days`` after a number is paired, rising every day."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    days: int = Field(14, ge=1, le=MAX_WARMUP_DAYS)


class Limits(BaseModel):
    """A session's limits: per-lane rates, new contacts a day, warm-up."""

    model_config = ConfigDict(extra="forbid")

    messages_per_minute: LaneRates = Field(default_factory=LaneRates)
    new_contacts_per_day: int = Field(250, ge=0, le=MAX_NEW_CONTACTS)
    warmup: Warmup = Field(default_factory=Warmup)

    def merged(self, overrides: dict[str, Any]) -> Limits:
        """These limits with ``overrides`` (a partial Limits as JSON) laid over them."""
        mine = self.model_dump()
        for name, value in overrides.items():
            if isinstance(value, dict) and isinstance(mine.get(name), dict):
                mine[name] = {**mine[name], **value}
            else:
                mine[name] = value
        return Limits.model_validate(mine)


# --- warm-up ---


def warmup_day(since_ms: int, now_ms: int) -> int:
    """Whole days since the warm-up began (0 on the first day)."""
    return max(0, (now_ms - since_ms) // DAY_MS)


def warmup_factor(warmup: Warmup, day: int) -> float:
    """The share of the full limits allowed on warm-up ``day``: 25 % on day 0, rising
    linearly, 100 % from day ``days`` on (and always without warm-up)."""
    if not warmup.enabled or day >= warmup.days:
        return 1.0
    return WARMUP_START + (1 - WARMUP_START) * max(0, day) / warmup.days


def scaled(value: int, factor: float) -> int:
    """``value`` times ``factor``, rounded down, at least 1 (a limit of 0 stays 0)."""
    return 0 if value == 0 else max(1, math.floor(value * factor))


def effective(limits: Limits, factor: float) -> Limits:
    """The limits in force under warm-up ``factor``: normal and bulk lanes and new contacts
    scale; the high lane (OTPs and the like) never does."""
    rates = limits.messages_per_minute
    return limits.model_copy(update={
        "messages_per_minute": LaneRates(high=rates.high, normal=scaled(rates.normal, factor),
                                         bulk=scaled(rates.bulk, factor)),
        "new_contacts_per_day": scaled(limits.new_contacts_per_day, factor)})


# --- the token bucket (GCRA: one timestamp of state) ---


def interval_ms(per_minute: int) -> int:
    """Milliseconds between two sends at the lane's rate (rounded up: never faster)."""
    return -(-MINUTE_MS // per_minute)


def burst(per_minute: int) -> int:
    """Sends a lane may make at once: ``BURST_SECONDS`` worth of its rate, at least one."""
    return max(1, per_minute * BURST_SECONDS // 60)


class Admission(BaseModel):
    """A bucket's answer: allowed (with the new theoretical arrival time to store), or the
    milliseconds to wait before asking again."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    tat_ms: int | None = None
    wait_ms: int = 0


def admit(tat_ms: int | None, now_ms: int, per_minute: int) -> Admission:
    """GCRA: allowed when ``tat - tolerance <= now``; then ``tat = max(tat, now) + interval``.
    ``tat_ms`` None: the bucket is full (never used, or idle long enough)."""
    step = interval_ms(per_minute)
    tolerance = step * (burst(per_minute) - 1)
    base = now_ms if tat_ms is None else max(tat_ms, now_ms)
    if base - tolerance <= now_ms:
        return Admission(allowed=True, tat_ms=base + step)
    return Admission(allowed=False, wait_ms=base - tolerance - now_ms)


def tokens_left(tat_ms: int | None, now_ms: int, per_minute: int) -> int:
    """How many sends the bucket would allow right now."""
    step = interval_ms(per_minute)
    base = now_ms if tat_ms is None else max(tat_ms, now_ms)
    return max(0, burst(per_minute) - math.ceil((base - now_ms) / step))


# --- new contacts ---


def day_of(now_ms: int) -> str:
    """The UTC day a new contact counts on (the budget resets at midnight UTC)."""
    return datetime.fromtimestamp(now_ms / 1000, UTC).date().isoformat()


def until_next_day_ms(now_ms: int) -> int:
    """Milliseconds until the next UTC midnight (1 … one day)."""
    return DAY_MS - now_ms % DAY_MS


# --- pushback and back-off ---


class Throttle(BaseModel):
    """A session's marketing traffic paused until ``until_ms``, and how often in a row."""

    model_config = ConfigDict(frozen=True)

    until_ms: int
    reason: Reason
    strikes: int = Field(1, ge=1, le=MAX_STRIKES)


def backoff_ms(reason: str, strikes: int, base_s: int, max_s: int) -> int:
    """How long a throttle lasts: the base (weighted by reason), doubling with each repeat,
    never more than ``max_s``."""
    weight = REASON_WEIGHT.get(reason, 1)
    return min(max_s, base_s * weight * 2 ** (min(strikes, MAX_STRIKES) - 1)) * 1000


def throttle_after(current: Throttle | None, reason: Reason, now_ms: int, base_s: int,
                   max_s: int) -> Throttle | None:
    """The throttle after a pushback at ``now_ms``; None when one is in force already (the
    sends it held back answer the same; they do not repeat it)."""
    if current is not None and current.until_ms > now_ms:
        return None
    repeat = current is not None and now_ms - current.until_ms < STRIKE_MEMORY_MS
    strikes = min(MAX_STRIKES, current.strikes + 1) if repeat and current else 1
    return Throttle(until_ms=now_ms + backoff_ms(reason, strikes, base_s, max_s),
                    reason=reason, strikes=strikes)


# --- failure-rate spikes ---


class SpikeRule(BaseModel):
    """A spike: at least ``min_failures`` failed sends, and at least ``ratio`` of the sends,
    within one window of ``window_s`` seconds (a window starts at its first failure)."""

    model_config = ConfigDict(frozen=True)

    min_failures: int = Field(5, ge=1, le=10_000)
    ratio: float = Field(0.5, gt=0, le=1)
    window_s: int = Field(600, ge=1, le=86_400)


class FailureWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    start_ms: int
    sends: int = 0
    failures: int = 0


def window_stale(window: FailureWindow | None, now_ms: int, rule: SpikeRule) -> bool:
    """A window that ended (or none): the next failure starts a new one."""
    return window is None or now_ms - window.start_ms >= rule.window_s * 1000


def spiked(window: FailureWindow, rule: SpikeRule) -> bool:
    """Whether the window's failures are a spike (sends counted at admission; a failure of
    a send admitted in the window before counts it too)."""
    sends = max(window.sends, window.failures)
    return window.failures >= rule.min_failures and window.failures >= rule.ratio * sends


def iso(moment_ms: int) -> str:
    """A time in milliseconds as the API writes times."""
    return clock.iso(datetime.fromtimestamp(moment_ms / 1000, UTC))


# --- what the governor keeps per session ---


class SessionState(BaseModel):
    """The session's one state item: each lane's theoretical arrival time, the throttle,
    the failure window."""

    tat_ms: dict[str, int] = Field(default_factory=dict)
    throttle: Throttle | None = None
    window: FailureWindow | None = None


class StoredLimits(BaseModel):
    """A session's own limits (a partial Limits laid over the platform's defaults) and its
    warm-up: since when, for which number (a session paired with another number starts
    again)."""

    overrides: dict[str, Any] = Field(default_factory=dict)
    warmup_since_ms: int | None = None
    warmup_phone: str | None = None
