"""The host's part for people: who wrote (``from``/``to``/``lid`` on every message), what
engines learn of people (names, LIDs: ``contacts.seen``), and presence (``presence.update``).

It remembers, per host, what it last recorded of each person (``Acquaintances``, bounded), so
it writes to the contacts store only when it learns something new: a person's first message
through this host, a new push name, a new LID. Nothing is read on the way."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from chalicelib.domain import clock, events
from chalicelib.domain.jids import LID_SERVER, USER_SERVER
from chalicelib.domain.live.contacts import ContactSeen
from chalicelib.domain.live.presence import PresenceUpdate
from chalicelib.domain.messages import parties
from chalicelib.services.ports import HostContacts
from chalicelib.sessionhost.core import HostCore, Running
from chalicelib.sessionhost.engines.base import Inbound, MessageChange

log = logging.getLogger("wagate.host")
REMEMBERED = 10_000  # people per host whose last record is remembered (least recent dropped)


@dataclass(frozen=True)
class Known:
    """What the host last recorded of a person."""

    phone: str | None = None  # E.164
    lid: str | None = None
    push_name: str | None = None


class Acquaintances:
    """People the host recorded lately, per (tenant, session, JID), and the tenant's LIDs it
    learned, both ways; least recently used first out."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._people: OrderedDict[tuple[str, str, str], Known] = OrderedDict()
        self._lids: OrderedDict[tuple[str, str], str] = OrderedDict()  # either side -> other
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Known | None:
        with self._lock:
            known = self._people.get(key)
            if known is not None:
                self._people.move_to_end(key)
            return known

    def put(self, key: tuple[str, str, str], known: Known) -> None:
        with self._lock:
            self._people[key] = known
            self._people.move_to_end(key)
            while len(self._people) > self._size:
                self._people.popitem(last=False)
            if known.phone and known.lid:
                for side, other in ((known.phone, known.lid), (known.lid, known.phone)):
                    self._lids[(key[0], side)] = other
                    self._lids.move_to_end((key[0], side))
                while len(self._lids) > 2 * self._size:
                    self._lids.popitem(last=False)

    def other_side(self, tenant_id: str, phone_or_lid: str | None) -> str | None:
        """The LID of a number (E.164), or the number of a LID, if learned here."""
        if not phone_or_lid:
            return None
        with self._lock:
            return self._lids.get((tenant_id, phone_or_lid))


def _phone_jid(phone: str | None) -> str | None:
    return f"{phone.lstrip('+')}@{USER_SERVER}" if phone else None


class ContactUpdates(HostCore):
    _contacts: HostContacts | None
    _acquaintances: Acquaintances

    def _message_parties(self, running: Running, inbound: Inbound) -> dict[str, str | None]:
        """``from``/``to``/``lid`` of an inbound message; what it reveals of its sender (push
        name, LID) is recorded when it is new to this host (one write)."""
        sender = str(inbound.sender)
        phone = inbound.sender_phone
        lid = sender if inbound.sender.server == LID_SERVER else None
        phone = phone or self._acquaintances.other_side(running.tenant_id, lid)
        lid = lid or self._acquaintances.other_side(running.tenant_id, phone)
        self._learn(running, Known(phone=phone, lid=lid, push_name=inbound.push_name))
        own = _phone_jid(running.phone)
        return parties(str(inbound.chat), own=own, sender=sender, sender_phone=phone, lid=lid,
                       inbound=True)

    def _change_parties(self, running: Running, change: MessageChange) -> dict[str, str | None]:
        lid = str(change.sender) if change.sender.server == LID_SERVER else None
        phone = change.sender_phone or self._acquaintances.other_side(running.tenant_id, lid)
        return parties(str(change.chat), own=_phone_jid(running.phone), sender=str(change.sender),
                       sender_phone=phone,
                       lid=lid or self._acquaintances.other_side(running.tenant_id, phone),
                       inbound=True)

    def _learn(self, running: Running, seen: Known, business_name: str | None = None) -> None:
        """Record a person unless this host already recorded the same of them."""
        jid = _phone_jid(seen.phone) or seen.lid
        if jid is None:
            return
        key = (running.tenant_id, running.session_id, jid)
        before = self._acquaintances.get(key) or Known()
        now = Known(phone=seen.phone or before.phone, lid=seen.lid or before.lid,
                    push_name=seen.push_name or before.push_name)
        if now == before and business_name is None:
            return
        if self._contacts is not None:
            self._contacts.learn(running.tenant_id, running.session_id, jid, clock.now_iso(),
                                 phone=now.phone, lid=now.lid, push_name=seen.push_name,
                                 business_name=business_name)
        self._acquaintances.put(key, now)

    def _on_contacts_seen(self, running: Running, update: ContactSeen) -> None:
        phone = update.jid.partition("@")[0] if update.jid else None
        self._learn(running, Known(phone=f"+{phone}" if phone else None, lid=update.lid,
                                   push_name=update.push_name), update.business_name)

    def _on_presence_update(self, running: Running, update: PresenceUpdate) -> None:
        phone = f"+{update.jid.partition('@')[0]}" if update.jid.endswith(USER_SERVER) \
            else self._acquaintances.other_side(running.tenant_id, update.jid)
        self._events.publish(events.presence_update(
            running.tenant_id, running.session_id, update.jid, phone, update.presence,
            update.last_seen))
