"""A session host's leases: taking sessions (started by the API or adopted when their host
died), renewing their leases with the heartbeat, and letting them go (stop, drain). A lease's
fence also fences the session's auth state on the shared volume (``fenced_state``)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.errors import AppError, Conflict, SessionUnavailable
from chalicelib.domain.hosts import HostRecord
from chalicelib.domain.sessions import SessionStatus
from chalicelib.sessionhost import fenced_state
from chalicelib.sessionhost.core import HostCore, NotOwner, Running
from chalicelib.sessionhost.engines.base import EngineSession
from chalicelib.sessionhost.intake import Listener

log = logging.getLogger("wagate.host")
PLACEMENT_GRACE_S = 5.0  # a never-held session is left to the API's placement this long


def _age_s(iso: str) -> float:
    try:
        moment = clock.parse(iso)
    except ValueError:
        return float("inf")
    return (datetime.now(UTC) - moment).total_seconds()


class Leases(HostCore):
    def drain(self) -> None:
        """Stop taking sessions, let go of every lease so others adopt them now, and leave."""
        running = self._stop_all()
        for r in running:
            self._sessions.release(r.tenant_id, r.session_id, self.host_id, r.fence)
        self._hosts.remove(self.host_id)
        log.info("host %s drained %d session(s)", self.host_id, len(running))

    def kill(self) -> None:
        """Stop without telling anyone (tests: a host that dies; it takes nothing more)."""
        self._stop_all()

    def _stop_all(self) -> list[Running]:
        """Take nothing more, disconnect every held session and end the loops; the sessions
        that were held."""
        self.draining = True
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        for r in running:
            r.engine.stop(r.ref)
        self._stopped.set()
        self._work.put(None)
        return running

    def register(self) -> None:
        """Tell the fleet registry where this host is and how loaded it is."""
        self._hosts.heartbeat(HostRecord(host_id=self.host_id, address=self.address,
                                         capacity=self.capacity, sessions=self.session_count,
                                         deaf=self.deaf_count,
                                         alive_until_ms=int(time.time() * 1000) + self._ttl_ms,
                                         draining=self.draining))

    def heartbeat(self) -> None:
        now = int(time.time() * 1000)
        self.register()
        if self._report_load:
            self._report_load(self.host_id, self.session_count, self.capacity)
        with self._lock:
            running = list(self._running.values())
        for r in running:
            if fenced_state.superseded(r.slot):
                log.warning("session %s/%s: a fence above %d took its state; letting go",
                            r.tenant_id, r.session_id, r.fence)
                self._lost(r.key)
            elif not self._sessions.renew(r.tenant_id, r.session_id, self.host_id, r.fence,
                                          self._ttl_ms, now):
                self._lost(r.key)
            elif not r.settled:
                r.settled = True
                self._settle(r)

    def _settle(self, running: Running) -> None:
        """The lease held past a heartbeat: remove the auth state no holder reads again."""
        try:
            fenced_state.settle(running.slot)
        except OSError:
            log.exception("pruning the auth state of %s/%s failed", *running.key)

    def adopt(self) -> None:
        """Take sessions that should run but that no live host holds."""
        if self.draining:
            return
        now = int(time.time() * 1000)
        for session in self._sessions.runnable():
            if self.session_count >= self.capacity:
                return
            if (session.tenant_id, session.id) in self._running \
                    or session.engine not in self.engines:
                continue
            if session.owner and session.lease_until_ms > now:
                continue
            if session.fence == 0 and _age_s(session.updated_at) < PLACEMENT_GRACE_S:
                continue  # brand new: the API is placing it on the least-loaded host
            try:
                self.start_session(session.tenant_id, session.id)
            except AppError as exc:
                log.info("adopt %s: %s", session.id, exc.message)

    def _beat_loop(self) -> None:
        """Renew leases every third of the TTL; look for sessions to adopt every tenth, so a
        dead host's sessions move within about one TTL of its last renewal."""
        sweep_s = max(self._ttl_ms / 10_000, 0.2)
        sweeps_per_beat = max(round(self._ttl_ms / 3000 / sweep_s), 1)
        tick = 0
        while not self._stopped.wait(sweep_s):
            tick += 1
            try:
                if tick % sweeps_per_beat == 0:
                    self.heartbeat()
                self.adopt()
            except Exception:
                log.exception("heartbeat failed")

    def _take_state(self, running: Running) -> None:
        """Make the session's auth state this holder's (``fenced_state.take``); a holder that
        cannot lets the session go at once."""
        try:
            fenced_state.take(running.slot)
        except fenced_state.Superseded as exc:
            with self._lock:
                self._running.pop(running.key, None)
            raise NotOwner(str(exc)) from None
        except fenced_state.StateUnavailable as exc:
            log.warning("session %s/%s: %s", *running.key, exc)
            with self._lock:
                self._running.pop(running.key, None)
            self._sessions.release(running.tenant_id, running.session_id, self.host_id,
                                   running.fence)
            raise SessionUnavailable("the session's auth state is unavailable; try again",
                                     code="auth_state_unavailable") from None

    def start_session(self, tenant_id: str, session_id: str) -> dict[str, Any]:
        if self.draining:
            raise SessionUnavailable("this host is draining", code="host_draining")
        key = (tenant_id, session_id)
        with self._lock:
            if key in self._running:
                return {"status": self._running[key].status.value, "host_id": self.host_id}
            if len(self._running) >= self.capacity:
                raise SessionUnavailable("this host is full", code="host_full")
            now = int(time.time() * 1000)
            fence = self._sessions.claim(tenant_id, session_id, self.host_id, self._ttl_ms, now)
            session = self._sessions.get(tenant_id, session_id)
            if fence is None or session is None:
                if session and session.owner and session.owner != self.host_id:
                    raise NotOwner(f"session is held by {session.owner}")
                raise Conflict("session is not meant to run", code="not_runnable")
            engine = self.engines.get(session.engine)
            slot = fenced_state.Slot.of(self._state_dir, tenant_id, session_id,
                                        session.auth_epoch, fence)
            ref = EngineSession(tenant_id, session_id, slot.auth_dir)
            running = Running(tenant_id, session_id, engine, ref, fence,  # type: ignore[arg-type]
                              SessionStatus.STARTING, slot)
            self._running[key] = running
        if engine is None:
            self.enqueue(key, fence, self._finish, SessionStatus.FAILED, "engine_unavailable")
            return {"status": SessionStatus.STARTING.value, "host_id": self.host_id}
        self._take_state(running)
        self._write(running, status=SessionStatus.STARTING.value, publish=session.status
                    != SessionStatus.STARTING, remove=("reason",))
        engine.start(ref, Listener(self, key, fence))  # type: ignore[arg-type]
        self.register()  # placement sees the new load at once, not at the next heartbeat
        log.info("session %s/%s started on %s (fence %d)", tenant_id, session_id, self.host_id,
                 fence)
        return {"status": SessionStatus.STARTING.value, "host_id": self.host_id}

    def stop_session(self, tenant_id: str, session_id: str, logout: bool) -> dict[str, Any]:
        running = self._owned(tenant_id, session_id)
        if logout:
            running.engine.logout(running.ref)
            self._logged_out(running, "logged_out")
        else:
            running.engine.stop(running.ref)
            self._finish(running, SessionStatus.STOPPED, None)
        return {"status": SessionStatus.STOPPED.value}
