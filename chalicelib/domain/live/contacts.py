"""Live operations on contacts: who is on WhatsApp."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.live import LiveOp, LiveResult


class NumberCheck(LiveResult):
    phone: str
    on_whatsapp: bool
    jid: str | None = None
    lid: str | None = None
    name: str | None = None


class NumbersChecked(LiveResult):
    results: list[NumberCheck]


class CheckNumbers(LiveOp):
    """Which E.164 numbers are on WhatsApp (with their JID and LID when known)."""

    OP = "contacts.check"
    RESULT = NumbersChecked

    phones: list[str] = Field(min_length=1, max_length=50)
