"""The send governor: before the send worker claims a message, the session's budgets say
whether it goes now or waits (and how long); WhatsApp's pushback and spikes of failed sends
throttle the session's marketing traffic for a back-off.

Budgets, per session (``domain.governor``): messages per minute in each lane (a token
bucket), new contacts a day (marketing messages to a number the session never reached),
and a warm-up after a number is paired. A number counts as reached once the governor let a
marketing message to it through, or when the session has a chat with it (it wrote in, a
transactional message went to it, or the history after pairing had one): the chats table is
asked only when the day's budget is spent, so a number met that way may be counted once.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from chalicelib.domain import clock
from chalicelib.domain import governor as rules
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import NotFound
from chalicelib.domain.events import session_throttled
from chalicelib.domain.messages import Message
from chalicelib.domain.optouts import phone_of
from chalicelib.domain.sessions import Session
from chalicelib.metrics import GOVERNOR_PAUSES
from chalicelib.services.ports import (
    EventPublisher,
    GovernorStore,
    KnownChats,
    Metrics,
    SessionRepo,
)

log = logging.getLogger(__name__)
LIMITS_CACHE_S = 30.0  # a change of limits reaches every worker within this
LIMITS_CACHE_SIZE = 1_024
CONTENDED_WAIT_S = 1  # the bucket kept changing under us (many workers at once): ask again
TAKE_TRIES = 3


class Budgets(BaseModel):
    """What a session may send right now."""

    messages_per_minute: rules.LaneRates  # in force (warm-up applied)
    new_contacts_per_day: int
    tokens: dict[str, int]  # sends each lane would allow at once, now
    new_contacts_today: int
    new_contacts_left: int
    warmup_day: int | None  # None: no warm-up in progress
    warmup_factor: float
    throttled_until: str | None
    throttle_reason: str | None


class LimitsView(BaseModel):
    session_id: str
    limits: rules.Limits  # the platform's defaults with the session's own laid over them
    overrides: dict[str, Any]
    current: Budgets


class GovernorService:
    def __init__(self, store: GovernorStore, sessions: SessionRepo, chats: KnownChats,
                 events: EventPublisher, defaults: rules.Limits, sandbox_defaults: rules.Limits,
                 backoff_s: int, backoff_max_s: int, spike: rules.SpikeRule, *,
                 metrics: Metrics) -> None:
        self._store = store
        self._sessions = sessions
        self._chats = chats
        self._events = events
        self._defaults = defaults
        self._sandbox_defaults = sandbox_defaults
        self._backoff_s = backoff_s
        self._backoff_max_s = backoff_max_s
        self._spike = spike
        self._metrics = metrics
        self._cache: dict[tuple[str, str], tuple[float, rules.StoredLimits | None]] = {}

    # --- the API ---

    def limits(self, caller: Principal, session_id: str) -> LimitsView:
        return self._view(self._session(caller, session_id))

    def put_limits(self, caller: Principal, session_id: str,
                   overrides: dict[str, Any]) -> LimitsView:
        """Replace the session's own limits (a field left out takes the platform default)."""
        session = self._session(caller, session_id)
        self._base(session).merged(overrides)  # a combination the model refuses: 422
        stored = self._stored(session) or rules.StoredLimits()
        stored = stored.model_copy(update={"overrides": overrides})
        self._store.put_limits(session.tenant_id, session.id, stored)
        self._remember(session, stored)
        return self._view(session)

    def throttled_until(self, tenant_id: str, session_id: str) -> datetime | None:
        """When the session's marketing traffic may go again; None when it may now."""
        throttle = self._store.state(tenant_id, session_id).throttle
        now = clock.epoch_ms()
        if throttle is None or throttle.until_ms <= now:
            return None
        return datetime.fromtimestamp(throttle.until_ms / 1000, UTC)

    # --- the send path ---

    def admit(self, session: Session, message: Message, lane: str) -> int | None:
        """None: the message may be sent now (its budgets are taken); else the seconds it
        should wait before asking again (never 0)."""
        now = clock.epoch_ms()
        limits, _, _ = self._in_force(session, now)
        marketing = message.category == "marketing" and lane != "high"
        if marketing:
            wait_ms = self._new_contact(session, message, limits.new_contacts_per_day, now)
            if wait_ms:
                return _seconds(wait_ms)
        wait_ms = self._take(session, lane, limits.messages_per_minute.of(lane), now,
                             respect_throttle=marketing and lane in rules.THROTTLED_LANES)
        return _seconds(wait_ms) if wait_ms else None

    def pushback(self, session: Session, reason: rules.Reason) -> rules.Throttle | None:
        """WhatsApp refused a send (``rate_limited``, ``timelock``) or failures spiked:
        throttle the session's marketing traffic for a back-off (``session.throttled`` when
        it begins). The throttle in force afterwards."""
        now = clock.epoch_ms()
        current = self._store.state(session.tenant_id, session.id).throttle
        new = rules.throttle_after(current, reason, now, self._backoff_s, self._backoff_max_s)
        if new is None:
            return current
        if not self._store.throttle(session.tenant_id, session.id, current, new, now):
            return self._store.state(session.tenant_id, session.id).throttle  # another did
        log.warning("session %s throttled until %s (%s, strike %d)", session.id,
                    rules.iso(new.until_ms), reason, new.strikes)
        self._metrics.count(GOVERNOR_PAUSES)
        self._events.publish(session_throttled(
            session.tenant_id, session.id, reason, rules.iso(new.until_ms),
            list(rules.THROTTLED_CATEGORIES), list(rules.THROTTLED_LANES)))
        return new

    def failed(self, session: Session) -> None:
        """A send the engine refused: counted; a spike throttles the session."""
        window = self._store.count_failure(session.tenant_id, session.id, clock.epoch_ms(),
                                           self._spike.window_s * 1000)
        if rules.spiked(window, self._spike):
            self.pushback(session, "failure_rate")

    # --- internals ---

    def _session(self, caller: Principal, session_id: str) -> Session:
        session = self._sessions.get(caller.tenant_id, session_id)
        if session is None:
            raise NotFound("session not found")
        return session

    def _base(self, session: Session) -> rules.Limits:
        return self._sandbox_defaults if session.engine == "sandbox" else self._defaults

    def _stored(self, session: Session) -> rules.StoredLimits | None:
        key = (session.tenant_id, session.id)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        stored = self._store.limits(*key)
        self._remember(session, stored)
        return stored

    def _remember(self, session: Session, stored: rules.StoredLimits | None) -> None:
        key = (session.tenant_id, session.id)
        self._cache.pop(key, None)
        if len(self._cache) >= LIMITS_CACHE_SIZE:
            del self._cache[next(iter(self._cache))]
        self._cache[key] = (time.monotonic() + LIMITS_CACHE_S, stored)

    def _in_force(self, session: Session,
                  now: int) -> tuple[rules.Limits, rules.StoredLimits | None, int | None]:
        """The limits in force now (warm-up applied), what the session stores, and its
        warm-up day (None: no warm-up in progress). A session paired with a number the
        warm-up has not seen starts one."""
        stored = self._stored(session)
        limits = self._base(session).merged(stored.overrides if stored else {})
        if not limits.warmup.enabled or not session.phone:
            return limits, stored, None
        if stored is None or stored.warmup_since_ms is None \
                or stored.warmup_phone != session.phone:
            stored = (stored or rules.StoredLimits()).model_copy(
                update={"warmup_since_ms": now, "warmup_phone": session.phone})
            self._store.put_limits(session.tenant_id, session.id, stored)
            self._remember(session, stored)
        assert stored.warmup_since_ms is not None
        day = rules.warmup_day(stored.warmup_since_ms, now)
        factor = rules.warmup_factor(limits.warmup, day)
        return rules.effective(limits, factor), stored, day if factor < 1 else None

    def _new_contact(self, session: Session, message: Message, budget: int, now: int) -> int:
        """0 when the recipient is known or counted now; else ms until the next day."""
        digits = phone_of(message.to or message.chat)
        if digits is None:  # a group or a channel: not a new contact
            return 0
        outcome = self._store.new_contact(session.tenant_id, session.id, digits,
                                          rules.day_of(now), budget, now)
        if outcome != "over":
            return 0
        if self._chats.get(session.tenant_id, session.id, message.chat) is not None:
            self._store.mark_talked(session.tenant_id, session.id, digits, now)
            return 0
        return rules.until_next_day_ms(now)

    def _take(self, session: Session, lane: str, per_minute: int, now: int,
              respect_throttle: bool) -> int:
        """Take a token of the lane's bucket: 0, or ms to wait (throttled: until its end)."""
        expected: int | None = None
        new = rules.admit(None, now, per_minute).tat_ms
        for _ in range(TAKE_TRIES):
            assert new is not None
            was = self._store.take(session.tenant_id, session.id, lane, expected, new, now,
                                   respect_throttle)
            if was is None:
                return 0
            if respect_throttle and was.throttle and was.throttle.until_ms > now:
                return was.throttle.until_ms - now
            tat = was.tat_ms.get(lane)
            expected = tat if tat is not None and tat > now else None
            answer = rules.admit(expected, now, per_minute)
            if not answer.allowed:
                return answer.wait_ms
            new = answer.tat_ms
        return CONTENDED_WAIT_S * 1000

    def _view(self, session: Session) -> LimitsView:
        now = clock.epoch_ms()
        full = self._base(session).merged((self._stored(session) or
                                           rules.StoredLimits()).overrides)
        limits, stored, day = self._in_force(session, now)
        state = self._store.state(session.tenant_id, session.id)
        today = self._store.contacts_on(session.tenant_id, session.id, rules.day_of(now))
        throttle = state.throttle if state.throttle and state.throttle.until_ms > now else None
        tokens = {lane: rules.tokens_left(state.tat_ms.get(lane), now,
                                          limits.messages_per_minute.of(lane))
                  for lane in rules.LANES}
        factor = rules.warmup_factor(full.warmup, day) if day is not None else 1.0
        return LimitsView(
            session_id=session.id, limits=full,
            overrides=stored.overrides if stored else {},
            current=Budgets(
                messages_per_minute=limits.messages_per_minute,
                new_contacts_per_day=limits.new_contacts_per_day, tokens=tokens,
                new_contacts_today=today,
                new_contacts_left=max(0, limits.new_contacts_per_day - today),
                warmup_day=day, warmup_factor=factor,
                throttled_until=rules.iso(throttle.until_ms) if throttle else None,
                throttle_reason=throttle.reason if throttle else None))


def _seconds(wait_ms: int) -> int:
    """A wait in whole seconds, rounded up (never early), at least one."""
    return max(1, math.ceil(wait_ms / 1000))
