"""Live operations on contacts: who is on WhatsApp, their picture and about text, blocking;
and what engines learn of people on their own (``ContactSeen``: a name, a LID)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.domain.live import LiveOp, LiveResult, LiveUpdate

# What wagate keeps of a person's free-form fields (characters).
NAME_MAX = 256
ABOUT_MAX = 1024
URL_MAX = 2048
BLOCKED_MAX = 1000  # the longest blocklist an engine answers with (the rest is cut)


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


class Picture(LiveResult):
    url: str | None = Field(default=None, max_length=URL_MAX)  # None: no picture (or hidden)
    id: str | None = None


class ContactPicture(LiveOp):
    """A person's profile picture URL (``jid``: a phone JID or a LID)."""

    OP = "contacts.picture"
    RESULT = Picture

    jid: str


class About(LiveResult):
    about: str | None = Field(default=None, max_length=ABOUT_MAX)


class ContactAbout(LiveOp):
    """A person's about text."""

    OP = "contacts.about"
    RESULT = About

    jid: str


class BlockContact(LiveOp):
    OP = "contacts.block"

    jid: str


class UnblockContact(LiveOp):
    OP = "contacts.unblock"

    jid: str


class Blocked(LiveResult):
    jids: list[str] = Field(max_length=BLOCKED_MAX)


class ListBlocked(LiveOp):
    """The account's blocklist."""

    OP = "contacts.blocked"
    RESULT = Blocked


class ContactSeen(LiveUpdate):
    """An engine learned something of a person: their name as they set it (``push_name``), a
    business name, or the LID behind a phone JID (``jid`` and ``lid`` both set)."""

    KIND = "contacts.seen"

    jid: str | None = None  # the phone JID, when known
    lid: str | None = None
    push_name: str | None = None
    business_name: str | None = None
