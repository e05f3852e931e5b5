"""What every part of a session host shares: the sessions it holds, the guard a command
passes, and the fenced writes of a session's state."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.domain import clock, events
from chalicelib.domain.errors import AppError, Conflict, SessionNotReady
from chalicelib.domain.live import Needs
from chalicelib.domain.messages import Message
from chalicelib.domain.sessions import Session, SessionStatus
from chalicelib.services.ports import (
    EventPublisher,
    HostMessages,
    HostRegistry,
    LeasedSessions,
    MediaStore,
)
from chalicelib.sessionhost import fenced_state
from chalicelib.sessionhost.engines.base import EngineBase, EngineSession, Inbound, MessageChange
from chalicelib.sessionhost.fenced_state import Slot

log = logging.getLogger("wagate.host")
RUN_FIELDS = ("run_shard", "run_key", "qr")


class NotOwner(Conflict):
    code = "not_owner"


class EngineRefused(AppError):
    """The engine refused for good (e.g. the recipient is not on WhatsApp)."""

    status = 422


@dataclass
class Running:
    tenant_id: str
    session_id: str
    engine: EngineBase
    ref: EngineSession
    fence: int
    status: SessionStatus
    slot: Slot  # where its auth state lives (``ref.auth_dir``), fenced on the state volume
    settled: bool = False  # older auth state removed, once the lease held past a heartbeat
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    next_send_at: float = 0.0  # monotonic time before which the next send waits (pacing)
    failures: int = 0  # consecutive connection failures
    phone: str | None = None  # the session's own number (E.164), once connected

    @property
    def key(self) -> tuple[str, str]:
        return self.tenant_id, self.session_id


class HostCore:
    """The state the host's parts (leases, commands, intake) share; ``SessionHost`` builds it."""

    host_id: str
    address: str
    capacity: int
    draining: bool
    engines: dict[str, EngineBase]
    _sessions: LeasedSessions
    _messages: HostMessages
    _hosts: HostRegistry
    _events: EventPublisher
    _media: MediaStore | None
    _state_dir: Path
    _ttl_ms: int
    _reconnect: tuple[int, float, float]
    _report_load: Callable[[str, int, int], None] | None
    _running: dict[tuple[str, str], Running]
    _lock: threading.RLock
    _work: queue.Queue[tuple[Any, ...] | None]
    _stopped: threading.Event
    _threads: list[threading.Thread]

    @property
    def session_count(self) -> int:
        return len(self._running)

    @property
    def deaf_count(self) -> int:
        """Its sessions whose latest self-check went unanswered (sessionhost.liveness)."""
        return 0

    def enqueue(self, key: tuple[str, str], fence: int, handler: Callable[..., None],
                *args: Any) -> None:
        self._work.put((key, fence, handler, args))

    def _owned(self, tenant_id: str, session_id: str) -> Running:
        running = self._running.get((tenant_id, session_id))
        if running is None:
            raise NotOwner("this host does not hold the session")
        return running

    def _held(self, tenant_id: str, session_id: str, needs: Needs) -> Running:
        """The one guard of a command: the session is held here (else ``not_owner``, and the
        caller looks up its owner again) and in the state the command needs (else 409)."""
        running = self._owned(tenant_id, session_id)
        if needs is Needs.WORKING and running.status != SessionStatus.WORKING:
            raise SessionNotReady(f"the session is {running.status.value}; this needs it "
                                  "connected (WORKING)")
        if needs is Needs.SCANNING and running.status != SessionStatus.SCAN_QR:
            raise Conflict(f"a pairing code needs a session waiting to be linked; this one is "
                           f"{running.status.value}", code="not_scanning")
        return running

    def _write(self, running: Running, publish: bool = True, remove: tuple[str, ...] = (),
               **fields: Any) -> Session:
        session = self._sessions.host_update(running.tenant_id, running.session_id, self.host_id,
                                             running.fence, remove=remove,
                                             updated_at=clock.now_iso(), **fields)
        running.status = session.status
        if publish:
            self._events.publish(events.session_status(session))
        return session

    def _finish(self, running: Running, status: SessionStatus, reason: str | None) -> None:
        """End the session here: record the final state, release the lease."""
        with self._lock:
            self._running.pop(running.key, None)
        fields: dict[str, Any] = {"status": status.value, "lease_until_ms": 0}
        remove: tuple[str, ...] = RUN_FIELDS
        if reason:
            fields["reason"] = reason
        else:
            remove += ("reason",)
        if reason == "logged_out":
            remove += ("phone",)
        self._write(running, remove=remove, **fields)
        self._sessions.release(running.tenant_id, running.session_id, self.host_id, running.fence)

    def _logged_out(self, running: Running, reason: str) -> None:
        """The device was unlinked (by the API or from the phone): the session starts over
        with no auth state, then ends here."""
        try:
            fenced_state.forget(running.slot)
        except OSError:
            log.exception("removing the auth state of %s/%s failed", *running.key)
        self._finish(running, SessionStatus.STOPPED, reason)

    def _lost(self, key: tuple[str, str]) -> None:
        with self._lock:
            running = self._running.pop(key, None)
        if running is not None:
            running.engine.stop(running.ref)

    # --- hooks: what the intake and the commands let the family parts (updates/) add ---

    def _message_parties(self, running: Running, inbound: Inbound) -> dict[str, str | None]:
        """``from``/``to``/``lid`` of an inbound message, recording what it reveals of its
        sender (updates.contacts)."""
        return {}

    def _change_parties(self, running: Running, change: MessageChange) -> dict[str, str | None]:
        """The same for someone's change to a message (updates.contacts)."""
        return {}

    def _chat_received(self, running: Running, message: Message) -> None:
        """An inbound message was stored (updates.chats: its chat's last message, unread)."""

    def _chat_sent(self, running: Running, message: dict[str, Any], engine_id: str) -> None:
        """An outbound message was sent (updates.chats: its chat's last message)."""
