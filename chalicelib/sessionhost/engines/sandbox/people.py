"""The sandbox's people: a deterministic contact registry (names, pictures, about texts,
LIDs), the blocklist, presence and the account's own profile.

Every valid number on WhatsApp (see ``core``) has the name it writes in with (its push name),
and
- a picture (an https URL on a fake CDN host, never fetched) when the sum of its digits is
  even, else none;
- an about text when its last digit is below 7, else none;
- a LID when its last digit is odd: ``10**15 + 7 * number`` at ``@lid`` (so the sandbox
  knows the number behind any LID it gave out). A phone with a LID that writes in reveals
  the mapping (a ``ContactSeen`` before its message), as WhatsApp does.

Presence: a subscribed contact's presence is reported at once (online when the number is
even), then whenever a test plays a change (``sandbox.presence``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chalicelib.domain.jids import LID_SERVER, Jid
from chalicelib.domain.live import Done
from chalicelib.domain.live.contacts import (
    About,
    BlockContact,
    Blocked,
    CheckNumbers,
    ContactAbout,
    ContactPicture,
    ContactSeen,
    ListBlocked,
    NumberCheck,
    NumbersChecked,
    Picture,
    UnblockContact,
)
from chalicelib.domain.live.presence import (
    PlayPresence,
    PresenceState,
    PresenceUpdate,
    SetPresence,
    SubscribePresence,
)
from chalicelib.domain.live.profile import (
    PICTURE_MAX_BYTES,
    GetProfile,
    Profile,
    RemoveProfilePicture,
    SetProfilePicture,
    UpdateProfile,
)
from chalicelib.domain.live.sandbox import Played
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.sandbox.core import SandboxCore

CDN = "https://pps.sandbox-cdn.invalid"  # never fetched: .invalid resolves nowhere
LID_BASE = 10**15
_ABOUTS = ("Hey there! I am using WhatsApp.", "Available", "Busy", "At the gym",
           "Urgent calls only", "Sleeping", "In a meeting")
LAST_SEEN = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def lid_of(phone: str) -> str | None:
    """The sandbox LID of an E.164 number (numbers ending in an odd digit have one)."""
    digits = phone.lstrip("+")
    return f"{LID_BASE + 7 * int(digits)}@{LID_SERVER}" if int(digits[-1]) % 2 else None


def phone_of_lid(lid: Jid) -> str | None:
    """The number behind a LID the sandbox gave out, else None."""
    offset = int(lid.user) - LID_BASE
    if offset <= 0 or offset % 7:
        return None
    phone = f"+{offset // 7}"
    return phone if lid_of(phone) == str(lid) else None


def registry_picture(phone: str) -> str | None:
    digits = phone.lstrip("+")
    if sum(int(d) for d in digits) % 2:
        return None
    return f"{CDN}/v/t61/{hashlib.sha256(digits.encode()).hexdigest()[:32]}.jpg"


def registry_about(phone: str) -> str | None:
    last = int(phone[-1])
    return _ABOUTS[last] if last < len(_ABOUTS) else None


@dataclass
class _Account:
    """One session's own account and lists."""

    name: str = "Sandbox"
    about: str | None = "Hey there! I am using WhatsApp."
    picture_url: str | None = None
    presence: PresenceState = "unavailable"
    blocked: list[str] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)


class PeoplePart(SandboxCore):
    def _account(self, session: EngineSession) -> _Account:
        accounts: dict[tuple[str, str], _Account] = self._part("people", dict)
        with self._lock:
            return accounts.setdefault(self._key(session), _Account())

    def _person(self, raw: str) -> str:
        """The E.164 number of a person on WhatsApp (by phone JID or a LID the sandbox gave
        out); ``not_on_whatsapp`` (404) otherwise."""
        user, _, server = raw.partition("@")
        phone = phone_of_lid(Jid(user, server)) if server == LID_SERVER else f"+{user}"
        if phone is None or not self._registered(phone):
            raise EngineError("not_on_whatsapp", f"{raw} is not on WhatsApp", status=404)
        return phone

    # --- contacts ---

    def contacts_check(self, session: EngineSession, op: CheckNumbers) -> NumbersChecked:
        self._connected(session)
        return NumbersChecked(results=[
            NumberCheck(phone=phone, on_whatsapp=True, jid=f"{phone.lstrip('+')}@s.whatsapp.net",
                        lid=lid_of(phone), name=self._names.get(phone))
            if self._registered(phone) else NumberCheck(phone=phone, on_whatsapp=False)
            for phone in op.phones])

    def contacts_picture(self, session: EngineSession, op: ContactPicture) -> Picture:
        self._connected(session)
        url = registry_picture(self._person(op.jid))
        return Picture(url=url, id=url.rsplit("/", 1)[1].split(".")[0] if url else None)

    def contacts_about(self, session: EngineSession, op: ContactAbout) -> About:
        self._connected(session)
        return About(about=registry_about(self._person(op.jid)))

    def contacts_block(self, session: EngineSession, op: BlockContact) -> Done:
        self._connected(session)
        jid = f"{self._person(op.jid).lstrip('+')}@s.whatsapp.net"
        account = self._account(session)
        with self._lock:
            if jid not in account.blocked:
                account.blocked.append(jid)
        return Done()

    def contacts_unblock(self, session: EngineSession, op: UnblockContact) -> Done:
        self._connected(session)
        jid = f"{self._person(op.jid).lstrip('+')}@s.whatsapp.net"
        account = self._account(session)
        with self._lock:
            if jid in account.blocked:
                account.blocked.remove(jid)
        return Done()

    def contacts_blocked(self, session: EngineSession, op: ListBlocked) -> Blocked:
        self._connected(session)
        return Blocked(jids=list(self._account(session).blocked))

    def inbound(self, session: EngineSession, sender: Jid, text: str | None,
                push_name: str | None, media: tuple[bytes, str, str | None] | None = None,
                message_type: str = "text") -> str:
        """A phone with a LID writes in: WhatsApp reveals its LID <-> number mapping first."""
        phone = phone_of_lid(sender) if sender.server == LID_SERVER else sender.phone
        lid = lid_of(phone) if phone else None
        if phone and lid:
            self._connected(session).listener.on_update(ContactSeen(
                jid=f"{phone.lstrip('+')}@s.whatsapp.net", lid=lid))
        return super().inbound(session, sender, text, push_name, media, message_type)

    # --- presence ---

    def presence_set(self, session: EngineSession, op: SetPresence) -> Done:
        self._connected(session)
        self._account(session).presence = op.presence
        return Done()

    def presence_subscribe(self, session: EngineSession, op: SubscribePresence) -> Done:
        connection = self._connected(session)
        phone = self._person(op.jid)
        jid = f"{phone.lstrip('+')}@s.whatsapp.net"
        self._account(session).subscribed.add(jid)
        online = int(phone[-1]) % 2 == 0
        connection.listener.on_update(PresenceUpdate(
            jid=jid, presence="available" if online else "unavailable",
            last_seen=None if online else LAST_SEEN.isoformat()))
        return Done()

    def sandbox_presence(self, session: EngineSession, op: PlayPresence) -> Played:
        """A person's phone comes online or goes offline: reported if the session
        subscribed to them."""
        connection = self._connected(session)
        jid = f"{self._person(op.jid).lstrip('+')}@s.whatsapp.net"
        if jid in self._account(session).subscribed:
            at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
            connection.listener.on_update(PresenceUpdate(
                jid=jid, presence=op.presence,
                last_seen=at.isoformat() if op.presence == "unavailable" else None))
        return Played()

    # --- the account's profile ---

    def profile_get(self, session: EngineSession, op: GetProfile) -> Profile:
        self._connected(session)
        account = self._account(session)
        return Profile(name=account.name, about=account.about, picture_url=account.picture_url)

    def profile_update(self, session: EngineSession, op: UpdateProfile) -> Done:
        self._connected(session)
        account = self._account(session)
        if op.name is not None:
            account.name = op.name
        if op.about is not None:
            account.about = op.about
        return Done()

    def profile_set_picture(self, session: EngineSession, op: SetProfilePicture) -> Done:
        self._connected(session)
        try:
            data = base64.b64decode(op.image, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EngineError("invalid_image", "the picture is not base64", status=422) from exc
        if not data or len(data) > PICTURE_MAX_BYTES:
            raise EngineError("invalid_image", "the picture must be 1 byte to "
                              f"{PICTURE_MAX_BYTES} bytes", status=422)
        digest = hashlib.sha256(data).hexdigest()[:32]
        self._account(session).picture_url = f"{CDN}/v/t61/{digest}.jpg"
        return Done()

    def profile_remove_picture(self, session: EngineSession, op: RemoveProfilePicture) -> Done:
        self._connected(session)
        self._account(session).picture_url = None
        return Done()
