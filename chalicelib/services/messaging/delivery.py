"""The send worker's side: a due message to its session's host, never twice; the
reconciler for messages stuck in "sending"."""

from __future__ import annotations

import json
import math
from typing import Any

from chalicelib import observability
from chalicelib.domain import clock
from chalicelib.domain.errors import (
    AppError,
    OutcomeUnknown,
    SessionUnavailable,
)
from chalicelib.domain.governor import PUSHBACK_CODES
from chalicelib.domain.messages import (
    Message,
    MessageStatus,
)
from chalicelib.domain.optouts import phone_of
from chalicelib.domain.sessions import Session, not_ready
from chalicelib.metrics import MESSAGES_SENT
from chalicelib.services.messaging.common import (
    CAMPAIGN_PAUSED_WAIT_S,
    SESSION_WAIT,
    SQS_MAX_DELAY_S,
    STUCK_AFTER,
    MessagingCore,
    RetryLater,
    log,
    retry_delay,
)


class Delivering(MessagingCore):
    """The send worker's delivery (never twice) and the reconciler."""

    def deliver(self, tenant_id: str, message_id: str, receive_count: int,
                lane: str = "normal", attempt: int = 1, waiting_since: str | None = None) -> None:
        """Hand one due message to its session's host, never twice.

        ``attempt`` and ``waiting_since`` come with the records this method queues itself
        while the session cannot send (see ``_wait_for_session``). Raises RetryLater when
        nothing was sent and that record could not be queued (the record then comes back).
        """
        message = self._messages.get(tenant_id, message_id)
        if message is None or message.status not in (MessageStatus.QUEUED,
                                                      MessageStatus.SCHEDULED):
            return  # deleted, canceled, or a redelivery of a claimed message: never twice
        observability.bind(session_id=message.session_id)  # the record does not name it
        now = clock.now()
        if message.schedule_at:
            due = clock.parse(message.schedule_at)
            if due > now:  # early (long waits hop through SQS): never send before its time
                self._later(message, lane, math.ceil((due - now).total_seconds()))
                return
        if message.expires_at and \
                clock.parse(message.expires_at) <= now:
            self._end(message, MessageStatus.EXPIRED, "expired")
            return
        if self._opted_out(message):
            self._fail(message, "opted_out", "the recipient opted out of marketing messages")
            return
        if message.campaign_id and self._campaign_gate is not None:
            verdict = self._campaign_gate.verdict(tenant_id, message.campaign_id)
            if verdict == "drop":
                self._end(message, MessageStatus.CANCELED, "campaign_canceled")
                return
            if verdict == "wait":  # its campaign is paused: not now, not lost
                self._later(message, lane, CAMPAIGN_PAUSED_WAIT_S)
                return
        session = self._sessions.get(tenant_id, message.session_id)
        if session is None:
            self._fail(message, "session_deleted")
            return
        why = not_ready(session)
        if why is not None:
            self._fail(message, *why)
            return
        if self._governor is not None:
            wait = self._governor.admit(session, message, lane)
            if wait is not None:  # over budget: back to its lane, still queued, never early
                self._later(message, lane, wait)
                return
        try:
            content = self._unsealed(message)
        except ValueError:
            self._fail(message, "sealed_unreadable", "the message's concealed content cannot "
                       "be opened with this deployment's pepper (WAGATE_OTP_PEPPER changed?)")
            return
        claimed = self._messages.transition(tenant_id, message_id, MessageStatus.SENDING,
                                            attempts=attempt)
        if claimed is None:
            return  # another worker claimed it first
        try:
            self._fleet.send(session, claimed if content is None else
                             claimed.model_copy(update={"content": content, "sealed": None}))
        except (SessionUnavailable, OutcomeUnknown) as exc:
            self._wait_for_session(claimed, exc, lane, attempt, receive_count,
                                   waiting_since or clock.iso(now))
        except AppError as exc:
            if exc.code == "expired":
                self._end(claimed, MessageStatus.EXPIRED, "expired")
            elif exc.code in PUSHBACK_CODES and self._governor is not None:
                self._pushed_back(claimed, session, exc, lane)
            else:
                self._fail(claimed, exc.code, exc.message)
                if self._governor is not None:
                    self._governor.failed(session)
        else:  # WhatsApp took it (the host recorded it SENT)
            self._metrics.count(MESSAGES_SENT)

    def _pushed_back(self, claimed: Message, session: Session, exc: AppError,
                     lane: str) -> None:
        """WhatsApp refused the send (rate limit, reach-out timelock): nothing left (the host
        gave its send token back), so the message is queued again, not failed; the governor
        throttles the session and the message waits for the back-off, whatever its
        category (WhatsApp refused this very send)."""
        requeued = self._messages.transition(claimed.tenant_id, claimed.id,
                                             MessageStatus.QUEUED, reason=exc.code)
        throttle = self._governor.pushback(session, exc.code) if self._governor else None
        if requeued is None:
            log.warning("send of %s refused (%s) but its status had moved on", claimed.id,
                        exc.code)
            return
        wait = math.ceil((throttle.until_ms - clock.epoch_ms()) / 1000) if throttle else 0
        self._later(claimed, lane, max(wait, retry_delay(1)))

    def _later(self, message: Message, lane: str, seconds: int) -> None:
        """The message's record back on its lane, due in ``seconds`` (longer waits hop
        through the queue, at most SQS_MAX_DELAY_S at a time); the message stays queued."""
        self._lanes[lane].send({"tenant_id": message.tenant_id, "message_id": message.id},
                               delay_seconds=min(seconds, SQS_MAX_DELAY_S))

    def _unsealed(self, message: Message) -> dict[str, Any] | None:
        """The real content of a message with concealed parts (None for any other)."""
        if message.sealed is None:
            return None
        content: dict[str, Any] = json.loads(self._sealer.open(message.sealed))
        return content

    def _opted_out(self, message: Message) -> bool:
        """A marketing message to a number on the opt-out list (one read; none otherwise)."""
        if message.category != "marketing" or self._opt_outs is None:
            return False
        phone = phone_of(message.to or message.chat)
        return phone is not None and self._opt_outs.is_opted_out(message.tenant_id, phone)

    def _wait_for_session(self, claimed: Message, exc: AppError, lane: str, attempt: int,
                          receive_count: int, waiting_since: str) -> None:
        """The host could not take the message. If no send began (no send token on it: the
        host refused, was unreachable, or died before handing it to its engine), it goes
        back to the queue and is tried again soon, for at most SESSION_WAIT; if one began,
        it may have gone out: it stays visibly in "sending" (receipts may still resolve
        it, else the reconciler ends it) and is never sent again."""
        requeued = self._messages.transition(claimed.tenant_id, claimed.id,
                                             MessageStatus.QUEUED, reason=exc.code)
        if requeued is None:
            log.warning("send of %s has an unknown outcome (%s); left in sending", claimed.id,
                        exc.message)
            return
        since = clock.parse(waiting_since)
        waited = clock.now() - since
        if waited >= SESSION_WAIT or receive_count >= self._max_attempts:
            self._fail(requeued, exc.code, f"{exc.message} (gave up after "
                       f"{int(waited.total_seconds())} s and {attempt} attempt(s))")
            return
        body = {"tenant_id": claimed.tenant_id, "message_id": claimed.id,
                "attempt": attempt + 1, "waiting_since": waiting_since}
        try:
            self._lanes[lane].send(body, delay_seconds=retry_delay(attempt))
        except Exception as error:  # this record comes back instead (a queue hiccup)
            raise RetryLater(f"could not queue try {attempt + 1} of {claimed.id}") from error

    def fail_poison(self, tenant_id: str, message_id: str, error: str) -> None:
        """The record failed on its last delivery: it goes to the DLQ, the message FAILED."""
        message = self._messages.get(tenant_id, message_id)
        if message is not None:
            self._fail(message, "poison", error)

    def reconcile(self) -> int:
        """Resolve messages stuck in "sending". One that no engine was handed (no send token:
        a worker or host died before the hand-over) goes back to the queue; one that an
        engine may have sent ends FAILED with reason ``outcome_unknown`` — never sent
        again, never left hanging. Scheduled messages long past due (a schedule or record
        that got lost) are queued again; the conditional claim keeps that from ever
        sending one twice."""
        cutoff = clock.iso(clock.now() - STUCK_AFTER)
        resolved = 0
        for message in self._messages.overdue(cutoff):
            self._lanes[message.priority.value].send({"tenant_id": message.tenant_id,
                                                      "message_id": message.id})
            resolved += 1
        for message in self._messages.inflight(cutoff):
            if self._messages.transition(message.tenant_id, message.id, MessageStatus.QUEUED,
                                         reason="requeued") is not None:
                self._lanes[message.priority.value].send({"tenant_id": message.tenant_id,
                                                          "message_id": message.id})
                resolved += 1
                continue
            failed = self._messages.transition(
                message.tenant_id, message.id, MessageStatus.FAILED, reason="outcome_unknown",
                error={"code": "outcome_unknown",
                       "message": "the session host did not confirm the send"})
            if failed is not None:
                resolved += 1
                self._publish_changes(failed)
        return resolved
