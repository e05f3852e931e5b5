"""Calls: what engines report of an incoming call, rejecting one, and the sandbox's play of
someone calling the session."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.live import Done, LiveOp, LiveUpdate
from chalicelib.domain.live.sandbox import Played, SandboxOp

CALL_ID_MAX = 128  # WhatsApp's call ids have 32 hex digits


class CallReceived(LiveUpdate):
    """Someone is calling the session (``group``: the group's JID of a group call)."""

    KIND = "calls.received"

    call_id: str
    caller: str  # a JID (a phone's, or an @lid)
    caller_phone: str | None = None  # E.164, when known
    video: bool = False
    group: str | None = None
    is_group: bool = False
    at: datetime


class RejectCall(LiveOp):
    """Decline an incoming call (the host does it when the session's settings say so)."""

    OP = "calls.reject"
    RESULT = Done

    call_id: str
    caller: str


class CallPlayed(Played):
    call_id: str | None = None


class PlayCall(SandboxOp):
    """Someone (``caller``, a phone JID) calls the session, by voice or video."""

    OP = "sandbox.call"
    RESULT = CallPlayed

    caller: str
    video: bool = False
    group_id: str | None = None
