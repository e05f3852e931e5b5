"""Sessions: create, start, stop, log out, QR codes, pairing codes."""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import (
    Conflict,
    Forbidden,
    NotFound,
    SessionUnavailable,
    ValidationFailed,
)
from chalicelib.domain.events import session_status
from chalicelib.domain.jids import normalize_phone
from chalicelib.domain.live import LiveResult
from chalicelib.domain.live.sessions import RequestPairingCode
from chalicelib.domain.paging import Page, collect
from chalicelib.domain.sessions import ENGINES, Qr, Session, SessionStatus
from chalicelib.domain.webhooks import Subscription
from chalicelib.services.account import AccountService
from chalicelib.services.live import LiveService
from chalicelib.services.ports import EventPublisher, Fleet, SessionRepo
from chalicelib.services.subscriptions import SubscriptionService

MAX_LISTED = 1000  # sessions a tenant's whole-list reads (and find) go through
MAX_QR_WAIT_S = 10.0  # well under API Gateway's 29 s


class SessionService:
    def __init__(self, sessions: SessionRepo, fleet: Fleet, events: EventPublisher,
                 default_engine: str, account: AccountService,
                 subscriptions: SubscriptionService, live: LiveService,
                 platform_tenant: str = "default") -> None:
        self._sessions = sessions
        self._fleet = fleet
        self._events = events
        self._default_engine = default_engine
        self._account = account
        self._subscriptions = subscriptions
        self._live = live
        self._platform = platform_tenant

    def create(self, caller: Principal, name: str, webhook_url: str | None,
               engine: str | None, start: bool,
               send_interval_ms: int | None = None) -> tuple[Session, Subscription | None]:
        """The new session, and the subscription of its ``webhook_url`` (with its secret)."""
        engine = engine or self._default_engine
        if engine not in ENGINES:
            raise ValidationFailed.field("engine", f"must be one of {', '.join(ENGINES)}")
        if webhook_url is not None:
            webhook_url = self._subscriptions.check_session_url(caller.tenant_id, webhook_url)
        now = clock.now_iso()
        session = Session(id=ids.new_id(), tenant_id=caller.tenant_id, name=name, engine=engine,
                          status=SessionStatus.STARTING if start else SessionStatus.STOPPED,
                          send_interval_ms=send_interval_ms, created_at=now, updated_at=now)
        limit, over = self._account.session_limit(caller.tenant_id)
        self._sessions.create(session, limit=limit, over_limit=over)
        webhook = self._subscriptions.set_session_url(caller.tenant_id, session.id, webhook_url) \
            if webhook_url else None
        if start:
            self._fleet.start(session)
        return session, webhook

    def webhooks(self, caller: Principal) -> dict[str, list[Subscription]]:
        """The subscriptions of the sessions' ``webhook_url``, by session id."""
        return self._subscriptions.of_sessions(caller.tenant_id)

    def get(self, caller: Principal, session_id: str) -> Session:
        session = self._sessions.get(caller.tenant_id, session_id)
        if session is None:
            raise NotFound("session not found")
        return session

    def list(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        return self._sessions.list(caller.tenant_id, limit, cursor)

    def all(self, caller: Principal) -> list[Session]:
        """Every session of the tenant, oldest first (at most ``MAX_LISTED``)."""
        return collect(lambda cursor: self._sessions.list(caller.tenant_id, 100, cursor),
                       MAX_LISTED)

    def find(self, caller: Principal, ref: str | None) -> Session:
        """A session by its id, else its name, else its phone number (digits with the country
        code, with or without ``+``, or a JID); without ``ref``, a WORKING one. Where several
        match, the WORKING ones count, then the oldest; 404 when none does. (The dialects name
        a product's "device" or "sender" this way.)"""
        if ref:
            found = self._sessions.get(caller.tenant_id, ref.strip())
            if found is not None:
                return found
        sessions = self.all(caller)
        if not ref:
            tiers = [[s for s in sessions if s.status == SessionStatus.WORKING]]
        else:
            name = ref.strip().casefold()
            digits = re.sub(r"[\s().+-]", "", ref.split("@")[0])
            tiers = [[s for s in sessions if s.name.strip().casefold() == name],
                     [s for s in sessions if digits.isdigit() and s.phone
                      and s.phone.lstrip("+") == digits]]
        for matches in tiers:
            working = [s for s in matches if s.status == SessionStatus.WORKING]
            if working or matches:
                return (working or matches)[0]
        raise NotFound("session not found" if ref else "no session of yours is WORKING")

    def pairing_qr(self, caller: Principal, session_id: str, wait_s: float = 0.0,
                   poll_s: float = 0.25) -> Qr:
        """The QR code to link the session with: a stopped or failed session is started
        first, and the host gets up to ``wait_s`` seconds to show a code (409
        ``already_paired`` when it is linked, ``qr_not_available`` when no code came)."""
        session = self.get(caller, session_id)
        if session.status == SessionStatus.WORKING or (
                session.status == SessionStatus.STARTING and session.phone):
            raise Conflict("the session is already linked to a phone", code="already_paired")
        if not session.wants_running:
            self.start(caller, session_id)
        deadline = time.monotonic() + min(wait_s, MAX_QR_WAIT_S)
        while True:
            try:
                return self.qr(caller, session_id)
            except Conflict:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(poll_s)

    def start(self, caller: Principal, session_id: str) -> Session:
        session = self.get(caller, session_id)
        if not session.wants_running:
            session = self._require(self._sessions.set_desired(
                caller.tenant_id, session_id, SessionStatus.STARTING, None, running=True))
            self._events.publish(session_status(session))
        self._fleet.start(session)
        return session

    def stop(self, caller: Principal, session_id: str, logout: bool = False) -> Session:
        session = self.get(caller, session_id)
        with contextlib.suppress(SessionUnavailable):  # nobody holds it: the write below is all
            self._fleet.stop(session, logout=logout)
        before = self.get(caller, session_id)
        reason = "logged_out" if logout else None
        after = self._require(self._sessions.set_desired(
            caller.tenant_id, session_id, SessionStatus.STOPPED, reason, running=False,
            bump_auth_epoch=logout))
        if before.status != SessionStatus.STOPPED:
            self._events.publish(session_status(after))
        return after

    def restart(self, caller: Principal, session_id: str) -> Session:
        self.stop(caller, session_id)
        return self.start(caller, session_id)

    def delete(self, caller: Principal, session_id: str) -> None:
        self.stop(caller, session_id, logout=True)
        if self._sessions.delete(caller.tenant_id, session_id):
            self._sessions.uncount(caller.tenant_id)
        self._subscriptions.set_session_url(caller.tenant_id, session_id, None)

    def update(self, caller: Principal, session_id: str,
               changes: dict[str, Any]) -> tuple[Session, Subscription | None]:
        """Change a session's name, pacing (``None``: back to the default), ``webhook_url``
        (its subscription keeps its secret; a new one's secret comes back; ``None`` removes
        it) or ``calls`` settings (``None``: calls ring); a platform administrator marks a
        session of the platform tenant as a shared OTP number (``shared_otp``)."""
        created = None
        if "shared_otp" in changes:
            if not caller.is_platform_admin:
                raise Forbidden("only a platform administrator may mark shared OTP numbers")
            if caller.tenant_id != self._platform:
                raise ValidationFailed.field("shared_otp", "only sessions of the platform "
                                             "tenant can be shared OTP numbers")
            changes["shared_otp"] = changes["shared_otp"] or None  # false: removed
        if "webhook_url" in changes:
            url = changes.pop("webhook_url")
            self.get(caller, session_id)
            had_one = session_id in self._subscriptions.of_sessions(caller.tenant_id)
            if url is not None:
                url = self._subscriptions.check_session_url(caller.tenant_id, url, session_id)
            webhook = self._subscriptions.set_session_url(caller.tenant_id, session_id, url)
            created = None if had_one else webhook  # an existing one's secret is not shown
        if changes.get("calls") is not None:  # stored without its unset parts
            changes["calls"] = {k: v for k, v in changes["calls"].items() if v is not None}
        session = self._sessions.update(caller.tenant_id, session_id, changes) if changes \
            else self._sessions.get(caller.tenant_id, session_id)
        return self._require(session), created

    def pairing_code(self, caller: Principal, session_id: str, phone: str) -> LiveResult:
        """Link by phone number: the code the user types in WhatsApp > Linked devices."""
        e164 = normalize_phone(phone, "phone")
        return self._live.run(caller, session_id, RequestPairingCode(phone=e164))

    def qr(self, caller: Principal, session_id: str) -> Qr:
        session = self.get(caller, session_id)
        if session.status != SessionStatus.SCAN_QR or session.qr is None:
            raise Conflict(f"no QR code: the session is {session.status.value}",
                           code="qr_not_available")
        if clock.parse(session.qr.expires_at) < clock.now():
            raise Conflict("the QR code expired and a new one is on its way; ask again",
                           code="qr_not_available")
        return session.qr

    @staticmethod
    def _require(session: Session | None) -> Session:
        if session is None:
            raise NotFound("session not found")
        return session
