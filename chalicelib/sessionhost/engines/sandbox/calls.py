"""The sandbox's calls: someone calls a session (``sandbox.call``), and the session declines a
call (``calls.reject``, recorded in ``actions`` as ``("reject_call", call id, caller)``)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime

from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live import Done
from chalicelib.domain.live.calls import CallPlayed, CallReceived, PlayCall, RejectCall
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.sandbox.core import SandboxCore


class CallsPart(SandboxCore):
    def sandbox_call(self, session: EngineSession, op: PlayCall) -> CallPlayed:
        connection = self._connected(session)
        caller = parse_jid(op.caller, "from")
        if not caller.is_user:
            raise EngineError("invalid_caller", "from: must be a phone number", status=422)
        number = next(self._part("calls", lambda: itertools.count(1)))
        call_id = hashlib.sha256(f"{session.session_id}#{number}".encode()).hexdigest()[:32]
        connection.listener.on_update(CallReceived(
            call_id=call_id.upper(), caller=str(caller), caller_phone=caller.phone,
            video=op.video, group=op.group_id, is_group=op.group_id is not None,
            at=datetime.now(UTC)))
        return CallPlayed(call_id=call_id.upper())

    def calls_reject(self, session: EngineSession, op: RejectCall) -> Done:
        self._connected(session)
        self.actions.append((session.session_id, "reject_call", op.call_id, op.caller))
        return Done()
