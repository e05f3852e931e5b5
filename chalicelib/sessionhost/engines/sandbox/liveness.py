"""The sandbox's liveness: the self-check (a connected connection answers it), and a "deaf"
connection the tests switch on (``sandbox.deaf``). A deaf connection still looks connected
but answers no self-check and delivers nothing (messages, receipts, changes, updates are
held, as WhatsApp holds what a device did not acknowledge) until the session connects again,
when the held events arrive on the new connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalicelib.domain.live.liveness import Deaf, SelfCheck, SelfChecked
from chalicelib.domain.live.sandbox import Played
from chalicelib.sessionhost.engines.base import EngineError, EngineListener, EngineSession
from chalicelib.sessionhost.engines.sandbox.core import HELD_RECEIPTS, SandboxCore, _Connection

HELD = ("on_message", "on_receipt", "on_change", "on_update")


class _Held:
    """What deaf connections did not deliver, per session, for its next connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: dict[tuple[str, str], list[tuple[str, tuple[Any, ...]]]] = {}

    def hold(self, key: tuple[str, str], name: str, args: tuple[Any, ...]) -> None:
        with self.lock:
            calls = self.calls.setdefault(key, [])
            calls.append((name, args))
            del calls[:-HELD_RECEIPTS]

    def take(self, key: tuple[str, str]) -> list[tuple[str, tuple[Any, ...]]]:
        with self.lock:
            return self.calls.pop(key, [])


class _DeafListener:
    """Passes the connection's life-cycle on, holds everything else."""

    def __init__(self, listener: EngineListener, held: _Held, key: tuple[str, str]) -> None:
        self.listener, self._held, self._key = listener, held, key

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name in HELD:
            return lambda *args: self._held.hold(self._key, name, args)
        return getattr(self.listener, name)  # type: ignore[no-any-return]


class LivenessPart(SandboxCore):
    def _held_events(self) -> _Held:
        return self._part("liveness", _Held)

    def sessions_self_check(self, session: EngineSession, op: SelfCheck) -> SelfChecked:
        if isinstance(self._connected(session).listener, _DeafListener):
            raise EngineError("no_answer", "the connection did not answer")
        return SelfChecked()

    def sandbox_deaf(self, session: EngineSession, op: Deaf) -> Played:
        connection = self._connected(session)
        deaf = isinstance(connection.listener, _DeafListener)
        if op.deaf and not deaf:
            connection.listener = _DeafListener(connection.listener, self._held_events(),
                                                self._key(session))  # type: ignore[assignment]
        elif not op.deaf and deaf:
            connection.listener = connection.listener.listener  # type: ignore[union-attr]
            self._deliver_held(connection)
        return Played()

    def _connect(self, connection: _Connection, phone: str) -> None:
        super()._connect(connection, phone)
        if self._current(connection.session, connection.generation) is not None:
            self._deliver_held(connection)

    def _deliver_held(self, connection: _Connection) -> None:
        for name, args in self._held_events().take(self._key(connection.session)):
            getattr(connection.listener, name)(*args)
