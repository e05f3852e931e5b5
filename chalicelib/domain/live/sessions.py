"""Live operations on the session itself: linking by pairing code."""

from __future__ import annotations

from typing import ClassVar

from chalicelib.domain.live import LiveOp, LiveResult, Needs


class PairingCode(LiveResult):
    code: str
    phone: str


class RequestPairingCode(LiveOp):
    """Link by phone number instead of a QR code: the code the phone's owner types."""

    OP = "sessions.pairing_code"
    RESULT = PairingCode
    NEEDS: ClassVar[Needs] = Needs.SCANNING

    phone: str  # E.164
