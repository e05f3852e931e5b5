"""Live operations: performed through a session's host on WhatsApp (see domain.live)."""

from __future__ import annotations

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Conflict, NotFound, SessionNotReady
from chalicelib.domain.live import LiveOp, LiveResult, Needs
from chalicelib.domain.sessions import Session, SessionStatus, require_sandbox
from chalicelib.services.ports import Fleet, SessionRepo


class LiveService:
    """Runs a live operation for a caller: on one of the caller's sessions (else 404), in the
    state the operation needs (else 409 ``session_not_ready``, or ``not_scanning`` for a
    pairing code), answered within the fleet's bound (else 504)."""

    def __init__(self, sessions: SessionRepo, fleet: Fleet) -> None:
        self._sessions = sessions
        self._fleet = fleet

    def session(self, caller: Principal, session_id: str) -> Session:
        session = self._sessions.get(caller.tenant_id, session_id)
        if session is None:
            raise NotFound("session not found")
        return session

    def run(self, caller: Principal, session_id: str, op: LiveOp) -> LiveResult:
        return self.on(self.session(caller, session_id), op)

    def on(self, session: Session, op: LiveOp) -> LiveResult:
        """``op`` on a session already read."""
        if op.SANDBOX:
            require_sandbox(session)
        if op.NEEDS is Needs.WORKING and session.status != SessionStatus.WORKING:
            raise SessionNotReady(f"the session is {session.status.value}; this needs it "
                                  "connected (WORKING)")
        if op.NEEDS is Needs.SCANNING and session.status != SessionStatus.SCAN_QR:
            raise Conflict(f"a pairing code needs a session waiting to be linked; this one is "
                           f"{session.status.value}", code="not_scanning")
        return self._fleet.live(session, op)
