"""Webhook delivery: every event to every subscribed webhook, signed per Standard Webhooks,
retried on a schedule, each attempt logged; what never succeeds ends visibly ``dead``."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook as Signer

from chalicelib.domain import clock
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.events import Event
from chalicelib.domain.sessions import Webhook
from chalicelib.services.ports import DeliveryLog, Queue, SessionRepo, WebhookSender

log = logging.getLogger(__name__)
MAX_HOP_SECONDS = 900  # SQS delay limit: longer waits take several hops


def signed_request(webhook: Webhook, event: Event) -> tuple[bytes, dict[str, str]]:
    """The body and Standard Webhooks headers for one delivery of ``event``."""
    body = json.dumps(event.payload(), separators=(",", ":"))
    moment = datetime.now(UTC)
    signature = Signer(webhook.secret).sign(event.id, moment, body)
    return body.encode(), {
        "Content-Type": "application/json",
        "webhook-id": event.id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }


class WebhookService:
    def __init__(self, sessions: SessionRepo, sender: WebhookSender, retries: Queue,
                 log_: DeliveryLog, retry_delays: list[int]) -> None:
        self._sessions = sessions
        self._sender = sender
        self._retries = retries
        self._log = log_
        self._delays = retry_delays

    def dispatch(self, event: Event) -> None:
        """First attempt at every webhook of the event's session."""
        session = self._sessions.get(event.tenant_id, event.session_id)
        if session is None:
            return
        for webhook in session.webhooks:
            if webhook.wants(event.type.value):
                self._attempt(event, webhook, attempt=1)

    def retry(self, body: dict[str, Any]) -> None:
        """A retry record: wait more if it is early, else try again."""
        event = Event.model_validate(body["event"])
        due = float(body["due_epoch"])
        remaining = due - clock.now().timestamp()
        if remaining > 1:
            self._retries.send(body, delay_seconds=int(min(remaining, MAX_HOP_SECONDS)))
            return
        session = self._sessions.get(event.tenant_id, event.session_id)
        webhook = next((w for w in (session.webhooks if session else [])
                        if w.id == body["webhook_id"]), None)
        if webhook is None:
            self._log.record(event.tenant_id, event.id, body["webhook_id"], status="dropped",
                             reason="webhook removed", attempts=body["attempt"] - 1,
                             updated_at=clock.now_iso())
            return
        self._attempt(event, webhook, attempt=int(body["attempt"]))

    def _attempt(self, event: Event, webhook: Webhook, attempt: int) -> None:
        body, headers = signed_request(webhook, event)
        try:
            status = self._sender.post(webhook.url, body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except ValidationFailed as exc:  # the SSRF policy refused the URL: nothing was sent
            status, error = 0, f"refused: {exc.message}"[:300]
        except Exception as exc:  # transport errors count as failures too
            status, error = 0, f"{type(exc).__name__}: {exc}"[:300]
        record = {"url": webhook.url, "event_type": event.type.value, "attempts": attempt,
                  "last_status_code": status, "updated_at": clock.now_iso()}
        if error is None:
            self._log.record(event.tenant_id, event.id, webhook.id, status="delivered", **record)
            return
        retries_left = attempt <= len(self._delays) and status != 410
        if not retries_left:
            log.warning("webhook %s dead after %d attempts: %s", webhook.id, attempt, error)
            self._log.record(event.tenant_id, event.id, webhook.id, status="dead",
                             last_error=error, **record)
            return
        delay = self._delays[attempt - 1]
        self._log.record(event.tenant_id, event.id, webhook.id, status="retrying",
                         last_error=error, next_attempt_in_s=delay, **record)
        self._retries.send({"event": event.model_dump(mode="json"), "webhook_id": webhook.id,
                            "attempt": attempt + 1,
                            "due_epoch": clock.now().timestamp() + delay},
                           delay_seconds=min(delay, MAX_HOP_SECONDS))
