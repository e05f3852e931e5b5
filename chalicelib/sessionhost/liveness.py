"""A session host's honest liveness: every ``self_check_s`` it asks each WORKING session's
engine for a round-trip to WhatsApp (``sessions.self_check``), bounded by ``check_timeout_s``;
a session that is connected but does not answer (deaf) is reconnected through the usual
path (``_on_disconnected``, reason "deaf (self-check failed)"), which publishes
``session.status``.

The session record's health fields are written sparingly, fenced, without touching
``updated_at`` or publishing: ``last_check_at`` at most once per ``CHECK_WRITE_S`` per session
while checks succeed (and at once after a failure), ``last_check_error`` when one fails, and
``last_event_at`` at most once per ``EVENT_WRITE_S`` per session (the latest time WhatsApp
delivered something; a newer one waits for the next event after that, or rides along with
the next written check)."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.live import LiveUpdate
from chalicelib.domain.live.liveness import SelfCheck
from chalicelib.domain.messages import MessageStatus
from chalicelib.domain.sessions import SessionStatus
from chalicelib.sessionhost.core import Running
from chalicelib.sessionhost.engines.base import EngineError, Inbound, MessageChange
from chalicelib.sessionhost.intake import Intake

log = logging.getLogger("wagate.host")
EVENT_WRITE_S = 60.0  # the least time between two writes of a session's last_event_at
# ... and of its last_check_at while checks succeed: with a check a minute, one write in five
# (a host of 100 sessions writes 20 a minute for its checks, not 100).
CHECK_WRITE_S = 300.0
DEAF_REASON = "deaf (self-check failed)"


@dataclass
class _Pending:
    token: int
    started: float  # monotonic


@dataclass
class _Heard:
    written: float = float("-inf")  # monotonic time of the last write of last_event_at
    unwritten: str | None = None  # a later event's time, not written yet


class Liveness(Intake):
    _self_check_s: float
    _check_timeout_s: float
    _pending: dict[tuple[str, str], _Pending]
    _last_check: dict[tuple[str, str], float]
    _check_written: dict[tuple[str, str], float]  # monotonic time of the last last_check_at
    _heard: dict[tuple[str, str], _Heard]
    _deaf: set[tuple[str, str]]  # sessions whose latest check failed (the heartbeat reports)
    _check_lock: threading.Lock
    _tokens: itertools.count[int]

    def _init_liveness(self, self_check_s: float, check_timeout_s: float) -> None:
        self._self_check_s = self_check_s
        self._check_timeout_s = check_timeout_s
        self._pending = {}
        self._last_check = {}
        self._check_written = {}
        self._heard = {}
        self._deaf = set()
        self._check_lock = threading.Lock()
        self._tokens = itertools.count(1)

    # --- the self-check ---

    def _check_loop(self) -> None:
        sweep_s = min(max(self._self_check_s / 4, 0.05), 5.0)
        while not self._stopped.wait(sweep_s):
            try:
                self.self_check()
            except Exception:
                log.exception("self-check sweep failed")

    def self_check(self, force: bool = False) -> None:
        """Start the checks that are due (all WORKING sessions' with ``force``), and fail
        the ones that ran past their time."""
        now = time.monotonic()
        with self._lock:
            running = [r for r in self._running.values() if r.status == SessionStatus.WORKING]
        with self._check_lock:
            held = {r.key for r in self._running.values()}
            for table in (self._pending, self._last_check, self._check_written, self._heard):
                for key in [k for k in table if k not in held]:
                    del table[key]
            self._deaf &= held
        for r in running:
            with self._check_lock:
                pending = self._pending.get(r.key)
                if pending is not None:
                    if now - pending.started >= self._check_timeout_s:
                        del self._pending[r.key]
                        self.enqueue(r.key, r.fence, self._on_check, "no answer within "
                                     f"{self._check_timeout_s:g} s")
                    continue
                if not force and now - self._last_check.get(r.key, float("-inf")) \
                        < self._self_check_s:
                    continue
                token = next(self._tokens)
                self._pending[r.key] = _Pending(token, now)
                self._last_check[r.key] = now
            threading.Thread(target=self._check_one, args=(r, token), daemon=True,
                             name=f"self-check {r.session_id}").start()

    def _check_one(self, running: Running, token: int) -> None:
        """One check, on its own thread (a deaf connection may never answer)."""
        error: str | None = None
        try:
            running.engine.live(running.ref, SelfCheck())
        except EngineError as exc:
            error = f"{exc.code}: {exc.message}"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        with self._check_lock:
            pending = self._pending.get(running.key)
            if pending is None or pending.token != token:
                return  # timed out already (and reported)
            del self._pending[running.key]
        self.enqueue(running.key, running.fence, self._on_check, error)

    def _on_check(self, running: Running, error: str | None) -> None:
        """A check's outcome, on the worker thread: recorded; a failure reconnects."""
        if running.status != SessionStatus.WORKING:
            return
        with self._check_lock:
            if error is None:
                self._deaf.discard(running.key)
            else:
                self._deaf.add(running.key)
        if error is None:
            now = time.monotonic()
            if now - self._check_written.get(running.key, float("-inf")) < CHECK_WRITE_S:
                return  # written recently and no failure since
            self._check_written[running.key] = now
            fields: dict[str, Any] = {"last_check_at": clock.now_iso()}
            heard = self._heard.get(running.key)
            if heard is not None and heard.unwritten:
                fields["last_event_at"] = heard.unwritten
                heard.unwritten, heard.written = None, now
            self._sessions.host_update(running.tenant_id, running.session_id, self.host_id,
                                       running.fence, remove=("last_check_error",), **fields)
            return
        self._check_written.pop(running.key, None)  # the next success is written at once
        log.warning("session %s/%s is deaf (%s): reconnecting", *running.key, error)
        self._sessions.host_update(running.tenant_id, running.session_id, self.host_id,
                                   running.fence, last_check_error=error[:500])
        self._on_disconnected(running, DEAF_REASON)

    @property
    def deaf_count(self) -> int:
        with self._check_lock:
            return len(self._deaf)

    # --- hearing from WhatsApp ---

    def _hear(self, running: Running) -> None:
        now = time.monotonic()
        heard = self._heard.setdefault(running.key, _Heard())
        if now - heard.written < EVENT_WRITE_S:
            heard.unwritten = clock.now_iso()
            return
        heard.unwritten, heard.written = None, now
        self._sessions.host_update(running.tenant_id, running.session_id, self.host_id,
                                   running.fence, last_event_at=clock.now_iso())

    def _on_connected(self, running: Running, phone: str, push_name: str | None) -> None:
        super()._on_connected(running, phone, push_name)
        self._hear(running)

    def _on_message(self, running: Running, inbound: Inbound) -> None:
        super()._on_message(running, inbound)
        self._hear(running)

    def _on_receipt(self, running: Running, engine_ids: list[str],
                    status: MessageStatus) -> None:
        super()._on_receipt(running, engine_ids, status)
        self._hear(running)

    def _on_change(self, running: Running, change: MessageChange) -> None:
        super()._on_change(running, change)
        self._hear(running)

    def _on_update(self, running: Running, update: LiveUpdate) -> None:
        super()._on_update(running, update)
        self._hear(running)


