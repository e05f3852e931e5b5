"""Sessions: create, start, stop, log out, QR codes; the sandbox's play-a-phone actions."""

from __future__ import annotations

import base64
import contextlib
import secrets
from typing import Any

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Conflict, NotFound, SessionUnavailable, ValidationFailed
from chalicelib.domain.events import Event, EventType
from chalicelib.domain.jids import normalize_phone
from chalicelib.domain.paging import Page
from chalicelib.domain.sessions import ENGINES, Qr, Session, SessionStatus, Webhook
from chalicelib.services.account import AccountService
from chalicelib.services.ports import EventPublisher, Fleet, SessionRepo, UrlPolicy


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def session_status_event(session: Session) -> Event:
    return Event.new(EventType.SESSION_STATUS, session.tenant_id, session.id,
                     {"status": session.status.value, "reason": session.reason,
                      "phone": session.phone})


class SessionService:
    def __init__(self, sessions: SessionRepo, fleet: Fleet, events: EventPublisher,
                 default_engine: str, account: AccountService, urls: UrlPolicy) -> None:
        self._sessions = sessions
        self._fleet = fleet
        self._events = events
        self._default_engine = default_engine
        self._account = account
        self._urls = urls

    def create(self, caller: Principal, name: str, webhook_url: str | None,
               engine: str | None, start: bool, send_interval_ms: int | None = None) -> Session:
        engine = engine or self._default_engine
        if engine not in ENGINES:
            raise ValidationFailed.field("engine", f"must be one of {', '.join(ENGINES)}")
        if webhook_url is not None:
            webhook_url = self._urls.check(webhook_url, "webhook_url")
        now = clock.now_iso()
        webhooks = [Webhook(id=ids.new_id(), url=webhook_url, secret=new_webhook_secret())] \
            if webhook_url else []
        session = Session(id=ids.new_id(), tenant_id=caller.tenant_id, name=name, engine=engine,
                          status=SessionStatus.STARTING if start else SessionStatus.STOPPED,
                          webhooks=webhooks, send_interval_ms=send_interval_ms,
                          created_at=now, updated_at=now)
        limit, over = self._account.session_limit(caller.tenant_id)
        self._sessions.create(session, limit=limit, over_limit=over)
        if start:
            self._fleet.start(session)
        return session

    def get(self, caller: Principal, session_id: str) -> Session:
        session = self._sessions.get(caller.tenant_id, session_id)
        if session is None:
            raise NotFound("session not found")
        return session

    def list(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        return self._sessions.list(caller.tenant_id, limit, cursor)

    def start(self, caller: Principal, session_id: str) -> Session:
        session = self.get(caller, session_id)
        if not session.wants_running:
            session = self._require(self._sessions.set_desired(
                caller.tenant_id, session_id, SessionStatus.STARTING, None, running=True))
            self._events.publish(session_status_event(session))
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
            self._events.publish(session_status_event(after))
        return after

    def restart(self, caller: Principal, session_id: str) -> Session:
        self.stop(caller, session_id)
        return self.start(caller, session_id)

    def delete(self, caller: Principal, session_id: str) -> None:
        self.stop(caller, session_id, logout=True)
        if self._sessions.delete(caller.tenant_id, session_id):
            self._sessions.uncount(caller.tenant_id)

    def update(self, caller: Principal, session_id: str, changes: dict[str, Any]) -> Session:
        """Change a session's name or pacing (``None`` pacing: back to the default)."""
        session = self._sessions.update(caller.tenant_id, session_id, changes)
        return self._require(session)

    def pairing_code(self, caller: Principal, session_id: str, phone: str) -> dict[str, Any]:
        """Link by phone number: the code the user types in WhatsApp > Linked devices."""
        e164 = normalize_phone(phone, "phone")
        session = self.get(caller, session_id)
        if session.status != SessionStatus.SCAN_QR:
            raise Conflict(f"a pairing code needs a session waiting to be linked; this one is "
                           f"{session.status.value}", code="not_scanning")
        return self._fleet.call(session, "sessions/pairing-code", {"phone": e164})

    def check_numbers(self, caller: Principal, session_id: str,
                      phones: list[str]) -> dict[str, Any]:
        """Which numbers are on WhatsApp, asked live through the session."""
        normalized = [normalize_phone(p, f"phones[{i}]") for i, p in enumerate(phones)]
        session = self.get(caller, session_id)
        return self._fleet.call(session, "sessions/check-numbers", {"phones": normalized})

    def qr(self, caller: Principal, session_id: str) -> Qr:
        session = self.get(caller, session_id)
        if session.status != SessionStatus.SCAN_QR or session.qr is None:
            raise Conflict(f"no QR code: the session is {session.status.value}",
                           code="qr_not_available")
        if clock.parse(session.qr.expires_at) < clock.now():
            raise Conflict("the QR code expired and a new one is on its way; ask again",
                           code="qr_not_available")
        return session.qr

    # --- sandbox engine: play the phone ---

    def sandbox(self, caller: Principal, session_id: str, action: str,
                body: dict[str, Any]) -> dict[str, Any]:
        session = self.get(caller, session_id)
        if session.engine != "sandbox":
            raise Conflict("only sandbox sessions can be played", code="not_sandbox")
        return self._fleet.call(session, f"sandbox/{action}", body)

    @staticmethod
    def _require(session: Session | None) -> Session:
        if session is None:
            raise NotFound("session not found")
        return session
