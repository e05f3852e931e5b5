"""What wagate knows of people, per session (contacts) and per tenant (the LID <-> phone
map): the records the contacts store keeps, and their naming and search rules."""

from __future__ import annotations

from pydantic import BaseModel

from chalicelib.domain.jids import LID_SERVER, USER_SERVER, Jid

PICTURE_TTL_S = 24 * 3600  # a cached profile picture URL is asked for again after this
SEARCH_MAX = 64


class Contact(BaseModel):
    """A person a session knows: learned from their messages (their push name), number checks
    and the engine, plus the local name the tenant gave them (never sent to the phone)."""

    tenant_id: str
    session_id: str
    jid: str  # the phone JID, or the LID while no number is known
    phone: str | None = None  # E.164
    lid: str | None = None
    push_name: str | None = None
    business_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    on_whatsapp: bool | None = None  # None: never checked
    checked_at: str | None = None
    blocked: bool | None = None  # as last set through wagate
    picture_url: str | None = None
    picture_at: str | None = None  # when the picture URL was asked for (the cache's age)
    seen_at: str | None = None  # last activity: a message, a check, an update
    updated_at: str | None = None

    @property
    def name(self) -> str | None:
        """The local name if the tenant gave one, else the person's own, else a business's."""
        local = " ".join(p for p in (self.first_name, self.last_name) if p)
        return local or self.push_name or self.business_name


class LidMapping(BaseModel):
    """A LID and the phone number behind it, as one event revealed them."""

    lid: str  # …@lid
    phone: str  # E.164
    jid: str  # the phone JID
    updated_at: str


def contact_key(jid: Jid, lid: Jid | None = None) -> Jid:
    """The JID a contact is kept under: its phone JID, else its LID."""
    return jid if jid.server == USER_SERVER or lid is None else lid


def name_key(name: str | None, jid: str) -> str:
    """The sort key of a contact by name (nameless ones last, by JID)."""
    return f"{(name or '').casefold()[:SEARCH_MAX] or '~'}#{jid}"


def search_text(*parts: str | None) -> str:
    """What ``q`` is matched against (case-insensitive)."""
    return " ".join(p.casefold() for p in parts if p)


def search_query(q: str) -> str:
    """A search as matched: case-folded; a number without its +, spaces and dashes."""
    text = q.strip().casefold()
    digits = text.replace("+", "").replace(" ", "").replace("-", "")
    return digits if digits.isdigit() else text


def is_lid(jid: str) -> bool:
    return jid.endswith("@" + LID_SERVER)
