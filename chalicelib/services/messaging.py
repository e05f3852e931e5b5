"""Sending and reading messages; the send worker's use case."""

from __future__ import annotations

import logging

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import (
    AppError,
    NotFound,
    OutcomeUnknown,
    SessionUnavailable,
    Unavailable,
    ValidationFailed,
)
from chalicelib.domain.events import Event, EventType
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.messages import Direction, Message, MessageStatus, StatusChange
from chalicelib.domain.paging import Page
from chalicelib.domain.sessions import SessionStatus
from chalicelib.services.ports import EventPublisher, Fleet, MessageRepo, Queue, SessionRepo

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The record should come back from the queue later (reported as a batch item failure)."""


def message_status_event(message: Message) -> Event:
    last = message.history[-1] if message.history else None
    return Event.new(EventType.MESSAGE_STATUS, message.tenant_id, message.session_id,
                     {"message_id": message.id, "chat": message.chat,
                      "status": message.status.value,
                      "at": last.at if last else message.updated_at,
                      "reason": last.reason if last else None})


class MessagingService:
    def __init__(self, messages: MessageRepo, sessions: SessionRepo, outbound: Queue,
                 events: EventPublisher, fleet: Fleet, max_attempts: int) -> None:
        self._messages = messages
        self._sessions = sessions
        self._outbound = outbound
        self._events = events
        self._fleet = fleet
        self._max_attempts = max_attempts

    # --- API ---

    def send_text(self, caller: Principal, session_id: str, to: str, text: str) -> Message:
        if self._sessions.get(caller.tenant_id, session_id) is None:
            raise ValidationFailed.field("session_id", "no such session")
        chat = parse_jid(to, "to")
        now = clock.now_iso()
        message = Message(
            id=ids.new_id(), tenant_id=caller.tenant_id, session_id=session_id,
            direction=Direction.OUTBOUND, chat=str(chat), type="text", text=text,
            status=MessageStatus.QUEUED, created_at=now, updated_at=now,
            timestamps={"queued": now},
            history=[StatusChange(status=MessageStatus.QUEUED, at=now)])
        self._messages.create(message)
        try:
            self._outbound.send({"tenant_id": message.tenant_id, "message_id": message.id})
        except Exception as exc:  # never leave an accepted message silently unsent
            log.exception("enqueue failed for %s", message.id)
            self._messages.transition(message.tenant_id, message.id, MessageStatus.FAILED,
                                      reason="enqueue_failed")
            raise Unavailable("could not queue the message; it was not sent",
                              code="queue_unavailable") from exc
        return message

    def get(self, caller: Principal, message_id: str) -> Message:
        message = self._messages.get(caller.tenant_id, message_id)
        if message is None:
            raise NotFound("message not found")
        return message

    def list(self, caller: Principal, session_id: str | None, chat: str | None, limit: int,
             cursor: str | None) -> Page:
        if chat and not session_id:
            raise ValidationFailed.field("session_id", "is required with chat")
        chat_jid = str(parse_jid(chat, "chat")) if chat else None
        return self._messages.list(caller.tenant_id, session_id, chat_jid, limit, cursor)

    # --- send worker ---

    def deliver(self, tenant_id: str, message_id: str, receive_count: int) -> None:
        """Hand one queued message to its session's host, exactly once.

        Raises RetryLater when nothing was sent and the record should come back.
        """
        message = self._messages.get(tenant_id, message_id)
        if message is None or message.status != MessageStatus.QUEUED:
            return  # deleted, or a redelivery of a message already claimed: never send twice
        session = self._sessions.get(tenant_id, message.session_id)
        if session is None:
            self._fail(message, "session_deleted")
            return
        if session.status in (SessionStatus.STOPPED, SessionStatus.FAILED):
            self._fail(message, f"session_{session.status.value.lower()}")
            return
        claimed = self._messages.transition(tenant_id, message_id, MessageStatus.SENDING,
                                            attempts=receive_count)
        if claimed is None:
            return  # another worker claimed it first
        try:
            self._fleet.send(session, claimed)
        except SessionUnavailable as exc:
            if receive_count >= self._max_attempts:
                self._fail(claimed, exc.code)
                return
            self._messages.transition(tenant_id, message_id, MessageStatus.QUEUED,
                                      reason=exc.code)
            raise RetryLater(exc.message) from exc
        except OutcomeUnknown:
            # It may have gone out: stay visibly in SENDING rather than risk a second copy.
            log.warning("send of %s has an unknown outcome; left in sending", message_id)
        except AppError as exc:
            self._fail(claimed, exc.code, exc.message)

    def _fail(self, message: Message, reason: str, detail: str | None = None) -> None:
        failed = self._messages.transition(message.tenant_id, message.id, MessageStatus.FAILED,
                                           reason=reason, error={"code": reason,
                                                                 "message": detail or reason})
        if failed is not None:
            self._events.publish(message_status_event(failed))

