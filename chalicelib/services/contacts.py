"""Contacts and identity: a session's contacts as wagate keeps them (local names, what
checks and messages taught), live questions about people (pictures, about texts, the
blocklist, presence), and the tenant's LID <-> phone map.

What wagate answers from its store works whatever the session's state; what needs the phone
goes through ``LiveService`` (409 ``session_not_ready`` when the session is not WORKING)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.jids import LID_SERVER, USER_SERVER, Jid, normalize_phone, parse_jid
from chalicelib.domain.live import LiveOp
from chalicelib.domain.live.contacts import (
    About,
    BlockContact,
    Blocked,
    CheckNumbers,
    ContactAbout,
    ContactPicture,
    ListBlocked,
    NumbersChecked,
    Picture,
    UnblockContact,
)
from chalicelib.domain.live.presence import SubscribePresence
from chalicelib.domain.paging import Page, collect, page_of
from chalicelib.domain.people import PICTURE_TTL_S, Contact, LidMapping, search_query
from chalicelib.services.live import LiveService
from chalicelib.services.ports import ContactsStore

SORTS = ("name", "recent")
WINDOW_SORTS = ("id", "name")
MAX_WINDOW = 5000  # contacts (or LID mappings) an offset window reaches into


def person(raw: str, field: str) -> Jid:
    """A person's JID (a phone number, a phone JID or a LID), or a 422 naming ``field``."""
    jid = parse_jid(raw, field)
    if jid.server not in (USER_SERVER, LID_SERVER):
        raise ValidationFailed.field(field, "must be a phone number, a phone JID or a LID")
    return jid


class ContactsService:
    def __init__(self, store: ContactsStore, live: LiveService) -> None:
        self._store = store
        self._live = live

    # --- the store ---

    def list(self, caller: Principal, session_id: str, limit: int, cursor: str | None,
             sort: str | None, q: str | None) -> Page:
        self._live.session(caller, session_id)
        if sort not in (None, *SORTS):
            raise ValidationFailed.field("sort", f"must be one of {', '.join(SORTS)}")
        query = search_query(q) if q else None
        return self._store.list(caller.tenant_id, session_id, limit, cursor, sort or "name",
                                query or None)

    def window(self, caller: Principal, session_id: str, offset: int, limit: int,
               sort_by: str = "id", descending: bool = False) -> list[Contact]:
        """``limit`` contacts from ``offset`` in the order of ``sort_by`` (``id``: the JID;
        ``name``: the shown name, nameless last); offset windows reach the first
        ``MAX_WINDOW`` contacts."""
        self._live.session(caller, session_id)
        if sort_by not in WINDOW_SORTS:
            raise ValidationFailed.field("sortBy", f"must be one of {', '.join(WINDOW_SORTS)}")
        contacts = collect(lambda cursor: self._store.list(caller.tenant_id, session_id, 100,
                                                          cursor, "name", None), MAX_WINDOW)
        if sort_by == "id":
            contacts.sort(key=lambda c: c.jid, reverse=descending)
        else:
            named = sorted((c for c in contacts if c.name), reverse=descending,
                           key=lambda c: ((c.name or "").casefold(), c.jid))
            contacts = named + sorted((c for c in contacts if not c.name), key=lambda c: c.jid)
        return contacts[offset:offset + limit]

    def get(self, caller: Principal, session_id: str, contact_id: str) -> Contact:
        self._live.session(caller, session_id)
        jid = person(contact_id, "contact_id")
        contact = self._find(caller.tenant_id, session_id, jid)
        if contact is None:
            raise NotFound("wagate knows no such contact of this session")
        return contact

    def _find(self, tenant_id: str, session_id: str, jid: Jid) -> Contact | None:
        """A contact by phone JID or LID (through the LID map when it is kept by number)."""
        contact = self._store.get(tenant_id, session_id, str(jid))
        if contact is None and jid.server == LID_SERVER:
            mapping = self._store.by_lid(tenant_id, str(jid))
            if mapping is not None:
                contact = self._store.get(tenant_id, session_id, mapping.jid)
        return contact

    def rename(self, caller: Principal, session_id: str, contact_id: str,
               changes: dict[str, str | None]) -> Contact:
        """Set (or with None remove) the local first/last name, kept by wagate only; a number
        wagate did not know yet becomes a contact."""
        self._live.session(caller, session_id)
        jid = person(contact_id, "contact_id")
        contact = self._find(caller.tenant_id, session_id, jid)
        key = contact.jid if contact is not None else str(self._number_side(caller, jid))
        names = {"first_name": contact.first_name if contact else None,
                 "last_name": contact.last_name if contact else None, **changes}
        known: dict[str, Any] = {}
        if contact is None:
            known = {"phone": jid.phone} if jid.is_user else {"lid": str(jid)}
        return self._store.set_local_name(caller.tenant_id, session_id, key, clock.now_iso(),
                                          names["first_name"], names["last_name"], known)

    def _number_side(self, caller: Principal, jid: Jid) -> Jid:
        """The phone JID behind a LID when the map knows it, else the JID as given."""
        if jid.server == LID_SERVER:
            mapping = self._store.by_lid(caller.tenant_id, str(jid))
            if mapping is not None:
                return Jid(mapping.phone.lstrip("+"))
        return jid

    # --- live, recorded ---

    def check(self, caller: Principal, session_id: str, phones: list[str]) -> NumbersChecked:
        """Which numbers are on WhatsApp (at most 50); what it tells (existence, JIDs, LIDs)
        is recorded onto the contacts and the LID map."""
        normalized = [normalize_phone(p, f"phones[{i}]") for i, p in enumerate(phones)]
        result = self._live.run(caller, session_id, CheckNumbers(phones=normalized))
        assert isinstance(result, NumbersChecked)
        self._store.record_checks(caller.tenant_id, session_id, result.results,
                                  clock.now_iso())
        return result

    def picture(self, caller: Principal, session_id: str, contact_id: str,
                refresh: bool) -> tuple[Picture, bool]:
        """A person's profile picture URL, from the 24 h cache unless ``refresh``; and
        whether it came from the cache."""
        session = self._live.session(caller, session_id)
        jid = self._number_side(caller, person(contact_id, "contact_id"))
        contact = self._store.get(caller.tenant_id, session_id, str(jid))
        if not refresh and contact is not None and contact.picture_at is not None \
                and clock.parse(contact.picture_at) > clock.now() - timedelta(
                    seconds=PICTURE_TTL_S):
            return Picture(url=contact.picture_url), True
        picture = self._live.on(session, ContactPicture(jid=str(jid)))
        assert isinstance(picture, Picture)
        self._store.set_fields(caller.tenant_id, session_id, str(jid), clock.now_iso(),
                               {"picture_url": picture.url, "picture_at": clock.now_iso()})
        return picture, False

    def about(self, caller: Principal, session_id: str, contact_id: str) -> About:
        jid = self._number_side(caller, person(contact_id, "contact_id"))
        result = self._live.run(caller, session_id, ContactAbout(jid=str(jid)))
        assert isinstance(result, About)
        return result

    def block(self, caller: Principal, session_id: str, contact_id: str, blocked: bool) -> None:
        jid = self._number_side(caller, person(contact_id, "contact_id"))
        op: LiveOp = BlockContact(jid=str(jid)) if blocked else UnblockContact(jid=str(jid))
        self._live.run(caller, session_id, op)
        self._store.set_fields(caller.tenant_id, session_id, str(jid), clock.now_iso(),
                               {"blocked": blocked})

    def blocked(self, caller: Principal, session_id: str, limit: int,
                cursor: str | None) -> Page:
        """One page of the account's blocklist (JIDs), asked live."""
        result = self._live.run(caller, session_id, ListBlocked())
        assert isinstance(result, Blocked)
        return page_of(result.jids, str, limit, cursor, caller.tenant_id, session_id)

    def subscribe_presence(self, caller: Principal, session_id: str, contact_id: str) -> None:
        jid = self._number_side(caller, person(contact_id, "contact_id"))
        self._live.run(caller, session_id, SubscribePresence(jid=str(jid)))

    # --- identity ---

    def lids(self, caller: Principal, session_id: str, limit: int, cursor: str | None) -> Page:
        self._live.session(caller, session_id)
        return self._store.lids(caller.tenant_id, limit, cursor)

    def lids_window(self, caller: Principal, session_id: str, offset: int,
                    limit: int) -> list[LidMapping]:
        """``limit`` LID mappings from ``offset``, by LID (within the first ``MAX_WINDOW``)."""
        self._live.session(caller, session_id)
        reach = min(offset + limit, MAX_WINDOW)
        mappings = collect(lambda cursor: self._store.lids(caller.tenant_id, 100, cursor), reach)
        return mappings[offset:reach]

    def lids_count(self, caller: Principal, session_id: str) -> int:
        """How many LID mappings are known (counted up to ``MAX_WINDOW``)."""
        self._live.session(caller, session_id)
        return len(collect(lambda cursor: self._store.lids(caller.tenant_id, 100, cursor),
                          MAX_WINDOW))

    def by_lid(self, caller: Principal, session_id: str, lid: str) -> LidMapping:
        self._live.session(caller, session_id)
        jid = parse_jid(lid if "@" in lid else f"{lid}@{LID_SERVER}", "lid")
        if jid.server != LID_SERVER:
            raise ValidationFailed.field("lid", "must be a LID (…@lid)")
        return self._mapping(self._store.by_lid(caller.tenant_id, str(jid)))

    def by_phone(self, caller: Principal, session_id: str, phone: str) -> LidMapping:
        self._live.session(caller, session_id)
        jid = parse_jid(phone, "phone")
        if not jid.is_user:
            raise ValidationFailed.field("phone", "must be a phone number or phone JID")
        return self._mapping(self._store.by_phone(caller.tenant_id, jid.phone or ""))

    @staticmethod
    def _mapping(mapping: LidMapping | None) -> LidMapping:
        if mapping is None:
            raise NotFound("no LID is known for it yet")
        return mapping
