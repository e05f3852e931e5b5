"""Live operations on presence: the account's own (online or not) and others' (subscribe,
then ``PresenceUpdate``s arrive)."""

from __future__ import annotations

from typing import ClassVar, Literal

from chalicelib.domain.live import LiveOp, LiveUpdate, Needs
from chalicelib.domain.live.sandbox import SandboxOp

PresenceState = Literal["available", "unavailable"]


class SetPresence(LiveOp):
    """Show the account online (``available``) or offline."""

    OP = "presence.set"

    presence: PresenceState


class SubscribePresence(LiveOp):
    """Ask WhatsApp to report a person's presence (``PresenceUpdate``s follow)."""

    OP = "presence.subscribe"

    jid: str


class PresenceUpdate(LiveUpdate):
    """A person came online or went offline (``last_seen``: when, if they share it)."""

    KIND = "presence.update"

    jid: str
    presence: PresenceState
    last_seen: str | None = None  # UTC ISO-8601


class PlayPresence(SandboxOp):
    """The sandbox: a person's phone comes online or goes offline (reported only to sessions
    subscribed to them)."""

    OP = "sandbox.presence"
    NEEDS: ClassVar[Needs] = Needs.HELD

    jid: str
    presence: PresenceState
