"""The opt-out list: numbers that asked for no marketing messages, the STOP/START keywords that
put them on it and take them off, and the confirmations those get."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal, Role
from chalicelib.domain.errors import AppError, NotFound, ValidationFailed
from chalicelib.domain.events import Event, opt_out_changed
from chalicelib.domain.messages import Message
from chalicelib.domain.optouts import (
    CONFIRMATION_MAX_CHARS,
    KEYWORD_MAX_CHARS,
    MAX_KEYWORDS,
    REASON_MAX_CHARS,
    OptOut,
    OptOutSettings,
    Source,
    digits,
    fold,
    keyword_action,
    phone_of,
)
from chalicelib.domain.paging import Page
from chalicelib.services.messaging import Draft, MessagingService
from chalicelib.services.ports import EventPublisher, OptOutRepo

log = logging.getLogger(__name__)
# Errors a send can never get past by trying again: the confirmation is given up (logged).
PERMANENT = (400, 404, 422, 429)


def system_caller(tenant_id: str, who: str) -> Principal:
    """The gateway acting for a tenant (a bot, a confirmation): it may send messages only."""
    return Principal(tenant_id=tenant_id, user_id=who, role=Role.MEMBER,
                     scopes=frozenset({"messages:send"}))


def inbound_message(event: Event) -> Message | None:
    """The message of a ``message.received`` event, or None when it is not one a person sent
    to the session (the session's own messages are never answered)."""
    try:
        message = Message.model_validate({**event.data, "tenant_id": event.tenant_id,
                                          "session_id": event.session_id})
    except ValueError:
        log.warning("event %s: not a message", event.id)
        return None
    if message.direction.value != "inbound" or (message.from_ and message.from_ == message.to):
        return None
    return message


def send_once(messaging: MessagingService, caller: Principal, draft: Draft) -> str | None:
    """Send a message whose ``draft.message_id`` is derived (never twice); a refusal no retry
    can change is logged and gives None, others raise (the event is tried again)."""
    try:
        return messaging.send(caller, draft).id
    except AppError as exc:
        if exc.status not in PERMANENT:
            raise
        log.warning("message %s not sent: %s %s", draft.message_id, exc.code, exc.message)
        return None


class OptOutService:
    def __init__(self, repo: OptOutRepo, events: EventPublisher,
                 messaging: MessagingService) -> None:
        self._repo = repo
        self._events = events
        self._messaging = messaging

    # --- the API ---

    def list(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        return self._repo.list(caller.tenant_id, limit, cursor)

    def add(self, caller: Principal, phone: str, reason: str | None) -> OptOut:
        """Put the number on the list (once: adding it again gives the entry there)."""
        if reason is not None and len(reason) > REASON_MAX_CHARS:
            raise ValidationFailed.field("reason", f"may be at most {REASON_MAX_CHARS} "
                                                   "characters")
        return self.opt_out(caller.tenant_id, digits(phone), "api", reason, None)

    def remove(self, caller: Principal, phone: str) -> OptOut:
        try:
            number = digits(phone)
        except ValidationFailed as exc:
            raise NotFound("opt-out not found") from exc
        removed = self.opt_in(caller.tenant_id, number, "api", None)
        if removed is None:
            raise NotFound("opt-out not found")
        return removed

    def settings(self, caller: Principal) -> OptOutSettings:
        return self._repo.settings(caller.tenant_id)

    def put_settings(self, caller: Principal, fields: dict[str, Any]) -> OptOutSettings:
        """Replace the keywords, the confirmations (None: none) and whether keywords count;
        a field not given takes its default."""
        settings = OptOutSettings.model_validate(fields)
        for name in ("stop_keywords", "start_keywords"):
            words = getattr(settings, name)
            if len(words) > MAX_KEYWORDS:
                raise ValidationFailed.field(name, f"may have at most {MAX_KEYWORDS} keywords")
            for i, word in enumerate(words):
                if not fold(word) or len(word) > KEYWORD_MAX_CHARS:
                    raise ValidationFailed.field(f"{name}[{i}]", "must be a word of at most "
                                                                 f"{KEYWORD_MAX_CHARS} characters")
        both = {fold(w) for w in settings.stop_keywords} & \
            {fold(w) for w in settings.start_keywords}
        if both:
            raise ValidationFailed.field("start_keywords", "may not repeat a stop keyword: "
                                                           + ", ".join(sorted(both)))
        for name in ("stop_reply", "start_reply"):
            text = getattr(settings, name)
            if text is not None and not 1 <= len(text) <= CONFIRMATION_MAX_CHARS:
                raise ValidationFailed.field(name, f"must be 1 to {CONFIRMATION_MAX_CHARS} "
                                                   "characters (or null: no confirmation)")
        self._repo.put_settings(caller.tenant_id, settings)
        return settings

    # --- what the gateway does ---

    def opt_out(self, tenant_id: str, number: str, source: Source, reason: str | None,
                session_id: str | None) -> OptOut:
        entry = OptOut(tenant_id=tenant_id, phone=f"+{number}", reason=reason, source=source,
                       session_id=session_id, created_at=clock.now_iso())
        if not self._repo.add(entry):
            return self._repo.get(tenant_id, number) or entry
        self._events.publish(opt_out_changed(tenant_id, session_id, True, entry.phone, source,
                                             reason))
        return entry

    def opt_in(self, tenant_id: str, number: str, source: Source,
               session_id: str | None) -> OptOut | None:
        removed = self._repo.remove(tenant_id, number)
        if removed is not None:
            self._events.publish(opt_out_changed(tenant_id, session_id, False, removed.phone,
                                                 source, None))
        return removed

    def on_keyword(self, event: Event, message: Message) -> bool:
        """Apply the tenant's STOP/START keywords to an inbound message: the sender goes on
        (or off) the list and gets the confirmation, once however often the event comes.
        True when the message was a keyword (no bot sees it)."""
        number = phone_of(message.from_) or (message.sender_phone or "").lstrip("+") or None
        if number is None or message.chat.endswith("@g.us"):
            return False
        settings = self._repo.settings(event.tenant_id)
        action = keyword_action(settings, message.text)
        if action is None:
            return False
        if action == "stop":
            self.opt_out(event.tenant_id, number, "keyword", f"wrote {message.text!r}",
                         message.session_id)
            reply = settings.stop_reply
        else:
            self.opt_in(event.tenant_id, number, "keyword", message.session_id)
            reply = settings.start_reply
        if reply:
            moment = clock.parse(event.timestamp)
            send_once(self._messaging, system_caller(event.tenant_id, "system:opt-outs"),
                      Draft(session_id=message.session_id, to=message.chat,
                            body={"text": reply},
                            message_id=ids.derived_id(moment, "optout", event.id)))
        return True
