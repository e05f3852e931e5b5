"""The send worker: outbound queue records (one lane per priority) → the owning host;
and the reconciler for messages stuck in "sending"."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib import resources
from chalicelib.bootstrap import container
from chalicelib.services.messaging import RetryLater, retry_delay
from chalicelib.workers.batch import process_batch

log = logging.getLogger("wagate.workers")


def handle(event: dict[str, Any], context: Any, lane: str) -> dict[str, Any]:
    messaging = container().messaging
    last_receive = resources.OUTBOUND_LANES[lane].max_receive_count

    def deliver(body: dict[str, Any], receive_count: int) -> None:
        try:
            messaging.deliver(body["tenant_id"], body["message_id"], receive_count, lane,
                              attempt=int(body.get("attempt", 1)),
                              waiting_since=body.get("waiting_since"))
        except RetryLater:
            raise
        except Exception as exc:
            if receive_count >= last_receive:  # this record goes to the DLQ now
                messaging.fail_poison(body["tenant_id"], body["message_id"],
                                      f"{type(exc).__name__}: {exc}"[:300])
            raise

    return process_batch(event, context, f"send-{lane}", deliver,
                         backoff=lambda arn, handle, count: container().lanes[lane].retry_in(
                             handle, retry_delay(count)))


def reconcile() -> dict[str, Any]:
    resolved = container().messaging.reconcile()
    if resolved:
        log.warning("reconciler: %d message(s) overdue or stuck in sending resolved", resolved)
    return {"resolved": resolved}
