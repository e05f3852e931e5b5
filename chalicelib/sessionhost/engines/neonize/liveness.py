"""The neonize self-check: the client says it is connected, and WhatsApp answers a usync
query about our own number (``get_user_info``), a round-trip to the server. The host bounds
how long it waits (a deaf socket may never answer)."""

from __future__ import annotations

from chalicelib.domain.live.liveness import SelfCheck, SelfChecked
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore, _me
from chalicelib.sessionhost.engines.neonize.convert import jid_to_proto


class LivenessOps(NeonizeCore):
    def sessions_self_check(self, session: EngineSession, op: SelfCheck) -> SelfChecked:
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            client = connection.client
            me = _me(connection)
            assert client is not None and me is not None  # (held, connected)
            if not client.is_connected:
                raise EngineError("not_connected", "the client's socket is closed")
            try:
                client.get_user_info(jid_to_proto(me))
            except NeonizeError as exc:
                raise EngineError("self_check_failed", str(exc)) from exc
        return SelfChecked()
