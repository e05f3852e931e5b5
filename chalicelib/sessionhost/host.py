"""The session host: holds WhatsApp connections through engines, leased from DynamoDB.

Its parts: ``lease`` (taking, renewing and letting go of sessions), ``commands`` (sending and
live operations, from the internal API), ``intake`` (what engines report, handled on one
worker thread, never on the engine's own). Every write about a session carries the host's
fencing token; a write refused as stale means another host took over, and this one lets go
at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib.services.ports import (
    ChatRepo,
    EventPublisher,
    HostContacts,
    HostMessages,
    HostRegistry,
    LeasedSessions,
    MediaStore,
)
from chalicelib.sessionhost.commands import Commands
from chalicelib.sessionhost.core import Running
from chalicelib.sessionhost.engines.base import EngineBase
from chalicelib.sessionhost.intake import Intake
from chalicelib.sessionhost.lease import Leases
from chalicelib.sessionhost.liveness import Liveness
from chalicelib.sessionhost.updates.calls import CallsUpdates
from chalicelib.sessionhost.updates.chats import ChatsUpdates
from chalicelib.sessionhost.updates.contacts import Acquaintances, ContactUpdates
from chalicelib.sessionhost.updates.groups import GroupsUpdates


class SessionHost(GroupsUpdates, CallsUpdates, ContactUpdates, ChatsUpdates, Leases, Commands,
                  Liveness, Intake):
    def __init__(self, host_id: str, address: str, capacity: int, sessions: LeasedSessions,
                 messages: HostMessages, hosts: HostRegistry, events: EventPublisher,
                 engines: dict[str, EngineBase], state_dir: Path, lease_ttl_s: float = 30,
                 reconnect_attempts: int = 6, reconnect_base_s: float = 1.0,
                 reconnect_cap_s: float = 60.0,
                 report_load: Callable[[str, int, int], None] | None = None,
                 media: MediaStore | None = None, self_check_s: float = 0,
                 self_check_timeout_s: float = 10.0,
                 contacts: HostContacts | None = None, chats: ChatRepo | None = None,
                 history_bounds: tuple[int, int] = (30, 100)) -> None:
        self.host_id = host_id
        self.address = address
        self.capacity = capacity
        self._sessions = sessions
        self._messages = messages
        self._hosts = hosts
        self._events = events
        self.engines = engines
        self._state_dir = state_dir
        self._ttl_ms = int(lease_ttl_s * 1000)
        self._reconnect = (reconnect_attempts, reconnect_base_s, reconnect_cap_s)
        self._report_load = report_load
        self._media = media
        self._contacts = contacts
        self._acquaintances = Acquaintances()
        self._chats = chats
        self._history_bounds = history_bounds  # history sync: (days back, messages per chat)
        self._running: dict[tuple[str, str], Running] = {}
        self._lock = threading.RLock()
        self._work: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._stopped = threading.Event()
        self.draining = False
        self._threads: list[threading.Thread] = []
        self._init_liveness(self_check_s, self_check_timeout_s)  # 0: no self-checks

    def run_background(self, heartbeat: bool = True) -> None:
        """Handle engine events on a thread; with ``heartbeat``, also renew leases, report
        load and adopt sessions (tests that drive those by hand pass False)."""
        loops = [(self._worker, "host-worker")]
        if heartbeat:
            loops.append((self._beat_loop, "host-heartbeat"))
        if heartbeat and self._self_check_s > 0:
            loops.append((self._check_loop, "host-self-check"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
