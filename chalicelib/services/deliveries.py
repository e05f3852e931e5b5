"""Webhook deliveries: every event to every subscription that wants it, durably.

Each (event, subscription) is a ``Delivery`` record, written when an attempt ends (one write
per attempt: a delivery that succeeds at once costs one); each attempt is one record on the
deliveries queue, carrying the event. A failed attempt comes back through an SQS delay (hops of
at most 15 minutes for longer waits) on the Standard Webhooks schedule, so no process sleeps
and a crash loses nothing: a job whose attempt did not finish is received again, and a job that
is stale (its delivery moved on) does nothing. ``webhook-id`` is the event id on every try,
redelivery and replay, so receivers de-duplicate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.domain import clock, ids
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.events import DIRECT_ONLY, Event, matches, valid_pattern, webhook_test
from chalicelib.domain.paging import Page
from chalicelib.domain.sessions import Session
from chalicelib.domain.webhooks import (
    MAX_ATTEMPTS_KEPT,
    Attempt,
    Delivery,
    DeliveryStatus,
    Subscription,
    after,
    attempt_record,
    delivery_id,
    retry_delay,
)
from chalicelib.metrics import WEBHOOK_DELIVERIES, WEBHOOK_DELIVERIES_FAILED
from chalicelib.services.ports import (
    DeliveryLog,
    EventStore,
    Metrics,
    Queue,
    SubscriptionRepo,
    WebhookSender,
    WebhookTargets,
)
from chalicelib.services.subscriptions import SubscriptionService
from chalicelib.services.webhook_formats import needs_session, signed_request

log = logging.getLogger(__name__)
MAX_HOP_SECONDS = 900  # SQS delay limit: longer waits take several hops
REPLAY_PAGE = 50  # events a replay delivers per step
REPLAY_STEP_SECONDS = 5  # … and the pause between steps: at most 10 events a second
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class DeliveryService:
    def __init__(self, subscriptions: SubscriptionRepo, subscription_service: SubscriptionService,
                 log_: DeliveryLog, queue: Queue, events: EventStore, sender: WebhookSender,
                 schedule: list[int], disable_after_s: int, event_retention_days: int,
                 replay_max_events: int, targets: WebhookTargets | None = None,
                 sessions: Callable[[str, str], Session | None] | None = None, *,
                 metrics: Metrics) -> None:
        """``targets``: other endpoints deliveries may go to (webhook bots), read by id like a
        subscription on every attempt; they get no disabling, and no delivery log API.
        ``sessions``: a session by (tenant id, session id), for the formats that show it
        (``webhook_formats.needs_session``)."""
        self._subscriptions = subscriptions
        self._subscription_service = subscription_service
        self._log = log_
        self._queue = queue
        self._events = events
        self._sender = sender
        self._schedule = schedule
        self._disable_after_s = disable_after_s
        self._retention_s = event_retention_days * 24 * 3600
        self._replay_max = replay_max_events
        self._targets = targets
        self._sessions = sessions
        self._metrics = metrics

    # --- the event worker's consumer ---

    def fan_out(self, event: Event) -> None:
        """A first attempt for every enabled subscription that wants ``event``: one read of
        the subscriptions, then sends ten to a call. Run again for the same event (a cut-short
        run), it queues jobs whose deliveries may have begun: those jobs find the delivery's
        attempt count moved on and do nothing."""
        if event.type in DIRECT_ONLY:
            return
        wanted = [s for s in self._subscriptions.all(event.tenant_id)
                  if s.enabled and s.wants(event)]
        self._start([self._new(s, event, delivery_id(event.id)) for s in wanted])

    def deliver_to(self, target: Subscription, event: Event) -> None:
        """A first attempt of ``event`` to one endpoint that is not a subscription (a webhook
        bot), retried on the same schedule; run twice, the second job finds the delivery
        begun and does nothing."""
        self._start([self._new(target, event, delivery_id(event.id))])

    # --- the deliveries queue ---

    def handle(self, job: dict[str, Any]) -> None:
        if job.get("kind") == "replay":
            self._replay_step(job)
        else:
            self._attempt(job)

    # --- the API ---

    def deliveries(self, tenant_id: str, webhook_id: str, limit: int, cursor: str | None,
                   status: str | None, event_type: str | None) -> Page:
        self._subscription(tenant_id, webhook_id)
        return self._log.list(tenant_id, webhook_id, limit, cursor, status, event_type)

    def delivery(self, tenant_id: str, webhook_id: str, delivery_id_: str) -> Delivery:
        delivery = self._log.get(tenant_id, webhook_id, delivery_id_)
        if delivery is None:
            raise NotFound("delivery not found")
        return delivery

    def redeliver(self, tenant_id: str, webhook_id: str, delivery_id_: str) -> Delivery:
        """Deliver again now (with the full retry schedule), same ``webhook-id``."""
        delivery = self.delivery(tenant_id, webhook_id, delivery_id_)
        self._usable(self._subscription(tenant_id, webhook_id))
        count = delivery.attempt_count
        delivery = delivery.model_copy(update={
            "status": DeliveryStatus.PENDING, "next_attempt_at": clock.now_iso(),
            "updated_at": clock.now_iso()})
        if not self._log.save(delivery, count):
            raise Conflict("the delivery is being attempted right now; try again",
                           code="delivery_busy")
        self._queue.send(self._job(delivery, step=0))
        return delivery

    def test(self, tenant_id: str, webhook_id: str) -> Delivery:
        """Send a ``webhook.test`` event to this subscription now; the outcome (no retries)."""
        subscription = self._subscription(tenant_id, webhook_id)
        event = webhook_test(tenant_id, webhook_id)
        delivery = self._new(subscription, event, delivery_id(event.id), origin="test")
        attempt = self._post(subscription, event)
        delivery = self._with(delivery, attempt, DeliveryStatus.SUCCEEDED if attempt.succeeded
                              else DeliveryStatus.FAILED)
        self._log.save(delivery, 0)
        return delivery

    def replay(self, tenant_id: str, webhook_id: str, since: datetime, until: datetime | None,
               event_types: list[str] | None) -> dict[str, Any]:
        """Queue a re-delivery of every event of [since, until) this subscription wants."""
        self._usable(self._subscription(tenant_id, webhook_id))
        now = clock.now()
        until = min(until or now, now)
        oldest = now.timestamp() - self._retention_s
        if since.timestamp() < oldest:
            raise ValidationFailed.field("since", f"is older than the "
                                                  f"{self._retention_s // 86400} days events "
                                                  f"are kept")
        if since >= until:
            raise ValidationFailed.field("until", "must be after since (and since in the past)")
        for i, pattern in enumerate(event_types or []):
            if not valid_pattern(pattern):
                raise ValidationFailed.field(f"event_types[{i}]", "is not an event type, a "
                                                                  "prefix like message.* or *")
        replay = {"kind": "replay", "tenant_id": tenant_id, "webhook_id": webhook_id,
                  "replay_id": f"rpl{ids.secret_token(5)}", "since": clock.iso(since),
                  "until": clock.iso(until), "event_types": event_types or None,
                  "cursor": None, "count": 0}
        self._queue.send(replay)
        return {**{k: replay[k] for k in ("replay_id", "webhook_id", "since", "until",
                                          "event_types")},
                "status": "queued", "max_events": self._replay_max}

    # --- inside ---

    def _subscription(self, tenant_id: str, webhook_id: str) -> Subscription:
        subscription = self._subscriptions.get(tenant_id, webhook_id)
        if subscription is None:
            raise NotFound("webhook not found")
        return subscription

    @staticmethod
    def _usable(subscription: Subscription) -> None:
        if not subscription.enabled:
            raise Conflict("the webhook is disabled: enable it first (PATCH enabled: true)",
                           code="webhook_disabled")

    @staticmethod
    def _new(subscription: Subscription, event: Event, id_: str,
             origin: str = "live") -> Delivery:
        now = clock.now_iso()
        return Delivery(id=id_, tenant_id=subscription.tenant_id, webhook_id=subscription.id,
                        event=event, origin=origin, created_at=now, updated_at=now,
                        next_attempt_at=now)

    @staticmethod
    def _job(delivery: Delivery, step: int, delay_s: int = 0) -> dict[str, Any]:
        """An attempt's queue record: which delivery, the attempts it expects made (``seq``),
        its place in the retry schedule, when it is due, and the event (a first attempt
        writes the delivery's first record from it)."""
        return {"kind": "attempt", "tenant_id": delivery.tenant_id,
                "webhook_id": delivery.webhook_id, "delivery_id": delivery.id,
                "event_id": delivery.event.id, "origin": delivery.origin,
                "seq": delivery.attempt_count, "step": step,
                "due_epoch": clock.now().timestamp() + delay_s,
                "event": delivery.event.model_dump(mode="json")}

    def _start(self, deliveries: list[Delivery]) -> None:
        if deliveries:
            self._queue.send_many([(self._job(d, step=0), 0) for d in deliveries])

    def _attempt(self, job: dict[str, Any]) -> None:
        remaining = float(job["due_epoch"]) - clock.now().timestamp()
        if remaining > 1:  # a long wait, a hop at a time
            self._queue.send(job, delay_seconds=int(min(remaining, MAX_HOP_SECONDS)))
            return
        tenant_id, webhook_id = job["tenant_id"], job["webhook_id"]
        delivery = self._log.get(tenant_id, webhook_id, job["delivery_id"])
        if delivery is None and job["seq"] == 0:  # a first attempt: the record starts here
            now = clock.now_iso()
            delivery = Delivery(id=job["delivery_id"], tenant_id=tenant_id,
                                webhook_id=webhook_id, event=Event.model_validate(job["event"]),
                                origin=job["origin"], created_at=now, updated_at=now)
        if delivery is None or delivery.status not in OPEN or \
                delivery.attempt_count != job["seq"]:
            return  # gone, done, or already attempted (a duplicate or stale job)
        own = self._subscriptions.get(tenant_id, webhook_id)
        subscription = own or (self._targets.target(tenant_id, webhook_id)
                               if self._targets else None)
        if subscription is None:
            return  # deleted: its deliveries went with it
        if not subscription.enabled:  # kept, failed, to redeliver once it is enabled again
            reason = "webhook disabled"
            self._log.save(delivery.model_copy(update={
                "status": DeliveryStatus.FAILED, "next_attempt_at": None,
                "updated_at": clock.now_iso(),
                "attempts": [*delivery.attempts, Attempt(at=clock.now_iso(), latency_ms=0,
                                                         error=f"not sent: {reason}")
                             ][-MAX_ATTEMPTS_KEPT:]
            }), delivery.attempt_count)
            return
        attempt = self._post(subscription, delivery.event)
        self._metrics.count(WEBHOOK_DELIVERIES)
        if attempt.succeeded:
            self._log.save(self._with(delivery, attempt, DeliveryStatus.SUCCEEDED),
                           job["seq"])
            if subscription.failing_since:
                self._subscriptions.set_failing_since(tenant_id, webhook_id, None)
            return
        self._metrics.count(WEBHOOK_DELIVERIES_FAILED)
        delay = None if attempt.http_status == 410 else retry_delay(self._schedule,
                                                                    job["step"] + 1)
        if delay is None:
            self._log.save(self._with(delivery, attempt, DeliveryStatus.FAILED), job["seq"])
        else:
            retrying = self._with(delivery, attempt, DeliveryStatus.RETRYING,
                                  next_at=after(clock.now(), delay))
            # The next job goes out before the record changes: should this run die between
            # the two, the current job comes back and tries again, so nothing is stranded.
            self._queue.send(self._job(retrying, job["step"] + 1, delay),
                             delay_seconds=min(delay, MAX_HOP_SECONDS))
            self._log.save(retrying, job["seq"])
        if own is not None:
            self._after_failure(subscription, attempt)

    def _after_failure(self, subscription: Subscription, attempt: Attempt) -> None:
        """410 Gone disables at once; so does failing every delivery for the window."""
        now = clock.now()
        if attempt.http_status == 410:
            self._subscription_service.disable(subscription.tenant_id, subscription.id, "gone")
        elif subscription.failing_since is None:
            self._subscriptions.set_failing_since(subscription.tenant_id, subscription.id,
                                                  clock.iso(now))
        elif subscription.failing_too_long(now, self._disable_after_s):
            self._subscription_service.disable(subscription.tenant_id, subscription.id,
                                               "failing")

    @staticmethod
    def _with(delivery: Delivery, attempt: Attempt, status: DeliveryStatus,
              next_at: str | None = None) -> Delivery:
        return delivery.model_copy(update={
            "status": status, "attempt_count": delivery.attempt_count + 1,
            "attempts": [*delivery.attempts, attempt][-MAX_ATTEMPTS_KEPT:],
            "next_attempt_at": next_at, "updated_at": clock.now_iso()})

    def _post(self, subscription: Subscription, event: Event) -> Attempt:
        moment = clock.now()
        session = None
        if self._sessions and event.session_id and needs_session(subscription.format):
            session = self._sessions(event.tenant_id, event.session_id)
        body, headers = signed_request(event, subscription.format,
                                       subscription.signing_secrets(moment), moment, session)
        started = time.monotonic()
        status: int | None = None
        answer, error = b"", None
        try:
            status, answer = self._sender.post(subscription.url, body, headers)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except ValidationFailed as exc:  # the SSRF policy refused the URL: nothing was sent
            error = f"refused: {exc.message}"
        except Exception as exc:  # timeouts, refused connections, TLS errors
            error = f"{type(exc).__name__}: {exc}"
        latency_ms = int((time.monotonic() - started) * 1000)
        if error:
            log.info("webhook %s: event %s not delivered: %s", subscription.id, event.id,
                     error[:200])
        return attempt_record(moment, status, latency_ms, answer, error)

    def _replay_step(self, job: dict[str, Any]) -> None:
        """One page of a replay, then the next page after a pause."""
        subscription = self._subscriptions.get(job["tenant_id"], job["webhook_id"])
        if subscription is None or not subscription.enabled:
            log.info("replay %s stopped: webhook %s is gone or disabled", job["replay_id"],
                     job["webhook_id"])
            return
        left = self._replay_max - int(job["count"])
        page = self._events.window(job["tenant_id"], clock.parse(job["since"]),
                                   clock.parse(job["until"]), job["cursor"],
                                   min(REPLAY_PAGE, left))
        types = job.get("event_types")
        chosen = [e for e in page.items if e.type not in DIRECT_ONLY and subscription.wants(e)
                  and (not types or matches(types, e.type.value))]
        # A step run twice queues its jobs twice: the second of each finds its delivery's
        # attempt count moved on and does nothing.
        self._start([self._new(subscription, e, delivery_id(e.id, job["replay_id"]),
                               origin="replay") for e in chosen])
        count = int(job["count"]) + len(page.items)
        if page.next_cursor and count < self._replay_max:
            self._queue.send({**job, "cursor": page.next_cursor, "count": count},
                             delay_seconds=REPLAY_STEP_SECONDS)
