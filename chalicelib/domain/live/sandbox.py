"""The sandbox engine's play-the-phone operations (tests and demos): a phone scans the QR code
or types the pairing code, writes in, reacts to, edits or deletes a message, or ends the link;
or WhatsApp pushes back on the session's next sends.
Every one answers the session's status once the host has handled what it caused."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from chalicelib.domain.live import LiveOp, LiveResult, Needs
from chalicelib.domain.messages import ChangeKind


class Played(LiveResult):
    status: str | None = None  # the session's status afterwards (the host fills it in)
    phone: str | None = None
    engine_message_id: str | None = None


class SandboxOp(LiveOp):
    RESULT = Played
    NEEDS: ClassVar[Needs] = Needs.HELD
    SANDBOX: ClassVar[bool] = True


class Scan(SandboxOp):
    OP = "sandbox.scan"

    phone: str | None = None  # E.164; None: the session's own test number


class Link(SandboxOp):
    OP = "sandbox.link"

    code: str


class Inbound(SandboxOp):
    OP = "sandbox.inbound"

    sender: str  # a JID
    text: str
    push_name: str | None = None


class Change(SandboxOp):
    OP = "sandbox.change"

    sender: str  # a JID
    kind: ChangeKind
    engine_message_id: str
    text: str | None = None


class Drop(SandboxOp):
    OP = "sandbox.drop"

    logged_out: bool = False
    refuse_reconnects: int = 0


PUSHBACK_MAX_SENDS = 100


class Pushback(SandboxOp):
    """WhatsApp answers the session's next ``sends`` sends with ``error`` (nothing is sent):
    ``rate_limited`` (whatsmeow's 429) or ``timelock`` (463, a reach-out timelock)."""

    OP = "sandbox.pushback"

    error: Literal["rate_limited", "timelock"]
    sends: int = Field(default=1, ge=1, le=PUSHBACK_MAX_SENDS)
