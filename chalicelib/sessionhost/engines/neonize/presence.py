"""The neonize engine's presence: the account's own (``send_presence``), subscriptions
(``subscribe_presence``) and the ``PresenceEv``s that follow them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.live import Done
from chalicelib.domain.live.presence import PresenceUpdate, SetPresence, SubscribePresence
from chalicelib.sessionhost.engines.base import EngineSession
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore
from chalicelib.sessionhost.engines.neonize.convert import (
    engine_error,
    jid_from_proto,
    jid_to_proto,
    lenient_jid,
)

if TYPE_CHECKING:
    from neonize.events import PresenceEv


def presence_from_event(event: PresenceEv) -> PresenceUpdate | None:
    """A PresenceUpdate from a PresenceEv (``LastSeen`` in seconds, 0 when not shared);
    None for one without a sender."""
    if not event.From.User:
        return None
    seen = datetime.fromtimestamp(event.LastSeen, UTC).isoformat() \
        if event.Unavailable and event.LastSeen > 0 else None
    return PresenceUpdate(jid=str(jid_from_proto(event.From)),
                          presence="unavailable" if event.Unavailable else "available",
                          last_seen=seen)


class PresenceOps(NeonizeCore):
    def presence_set(self, session: EngineSession, op: SetPresence) -> Done:
        from neonize.exc import NeonizeError
        from neonize.utils.enum import Presence

        with self._using(session) as connection:
            assert connection.client is not None  # (held)
            try:
                connection.client.send_presence(Presence.AVAILABLE if op.presence == "available"
                                                else Presence.UNAVAILABLE)
            except NeonizeError as exc:
                raise engine_error(exc, "presence_failed") from exc
        return Done()

    def presence_subscribe(self, session: EngineSession, op: SubscribePresence) -> Done:
        from neonize.exc import NeonizeError

        with self._using(session) as connection:
            assert connection.client is not None  # (held)
            try:
                connection.client.subscribe_presence(jid_to_proto(lenient_jid(op.jid)))
            except NeonizeError as exc:
                raise engine_error(exc, "presence_failed") from exc
        return Done()

    def _events_presence(self) -> dict[type, Callable[[Any, Any], None]]:
        from neonize import events as ev

        def on_presence(connection: Any, event: PresenceEv) -> None:
            update = presence_from_event(event)
            if update is not None:
                connection.listener.on_update(update)

        return {ev.PresenceEv: on_presence}
