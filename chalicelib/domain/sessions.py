"""WhatsApp sessions: states and the record."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from chalicelib.domain.errors import Conflict


class SessionStatus(StrEnum):
    STOPPED = "STOPPED"
    STARTING = "STARTING"
    SCAN_QR = "SCAN_QR"
    WORKING = "WORKING"
    FAILED = "FAILED"


ENGINES = ("sandbox", "neonize")

# States in which a host should be holding the session's connection.
RUNNING_STATES = frozenset({SessionStatus.STARTING, SessionStatus.SCAN_QR, SessionStatus.WORKING})


class Qr(BaseModel):
    code: str
    expires_at: str


CALL_REPLY_MAX = 1024  # characters of the text a rejected caller gets


class CallSettings(BaseModel):
    """What the session does with incoming calls: reject them (and, with ``reply_text``,
    write that to the caller once per call)."""

    reject: bool = False
    reply_text: str | None = None


class Session(BaseModel):
    """A WhatsApp number paired (or being paired) with the gateway."""

    id: str
    tenant_id: str
    name: str
    engine: str
    status: SessionStatus
    reason: str | None = None
    phone: str | None = None
    push_name: str | None = None
    qr: Qr | None = None
    created_at: str
    updated_at: str
    # Lease (owned by the session hosts): who runs it, until when, and the fencing token.
    owner: str | None = None
    lease_until_ms: int = 0
    fence: int = 0
    # Bumped by logout: a host ignores auth state saved under an older epoch (forces a new QR).
    auth_epoch: int = 0
    # Minimum pause between two sends of this session (jittered); None: the gateway default.
    send_interval_ms: int | None = None
    calls: CallSettings | None = None
    # A platform tenant's session whose inbound messages complete reverse OTP for every
    # tenant (set by a platform administrator).
    shared_otp: bool = False
    # Liveness, written by the session's host (see sessionhost.liveness): the latest event
    # WhatsApp delivered (at most a minute stale), the latest self-check that WhatsApp
    # answered, and why the latest one failed (removed once one succeeds).
    last_event_at: str | None = None
    last_check_at: str | None = None
    last_check_error: str | None = None

    @property
    def wants_running(self) -> bool:
        return self.status in RUNNING_STATES


class Health(BaseModel):
    """Whether a session is really alive: connected (WORKING on a host whose lease holds),
    and when WhatsApp was last heard from."""

    connected: bool
    last_event_at: str | None
    last_check_at: str | None
    last_check_error: str | None


def health(session: Session, now_ms: int) -> Health:
    connected = session.status == SessionStatus.WORKING and bool(session.owner) \
        and session.lease_until_ms > now_ms
    return Health(connected=connected, last_event_at=session.last_event_at,
                  last_check_at=session.last_check_at, last_check_error=session.last_check_error)


def not_ready(session: Session) -> tuple[str, str] | None:
    """Why a session cannot take messages now, as (reason, explanation); None when it can:
    it is WORKING, or reconnecting (STARTING after it was paired)."""
    status = session.status
    if status == SessionStatus.WORKING or (status == SessionStatus.STARTING and session.phone):
        return None
    if status == SessionStatus.STOPPED and session.reason == "logged_out":
        return "session_logged_out", "the session was logged out: start it and link it again"
    if status == SessionStatus.STOPPED:
        return "session_stopped", "the session is stopped: start it first"
    if status == SessionStatus.FAILED:
        return "session_failed", f"the session failed ({session.reason or 'no reason'}): " \
                                 "restart it first"
    return "session_not_paired", "the session is not linked to a phone: scan its QR code first"


def not_ready_error(session: Session) -> Conflict | None:
    """The 409 ``session_not_ready`` a send to ``session`` gets now (None: it can send)."""
    why = not_ready(session)
    if why is None:
        return None
    return Conflict(f"cannot send through this session: {why[1]}", code="session_not_ready",
                    details=[{"field": "session_id", "message": why[1],
                              "status": session.status.value, "reason": why[0]}])


def require_sandbox(session: Session) -> None:
    """Only a sandbox session's phone can be played (scan, write, react, …)."""
    if session.engine != "sandbox":
        raise Conflict("only sandbox sessions can be played", code="not_sandbox")
