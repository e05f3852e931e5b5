"""SQS batches with partial failures (powertools' BatchProcessor): a failed record comes back,
the others are deleted. One log line per record, naming the ids its body carries; every line
written while a record is handled names its tenant, session and message (``observability``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib import observability
from chalicelib.services.messaging import RetryLater

log = logging.getLogger("wagate.workers")
_ID_CHARS = 64  # a poison record cannot flood the log


def log_ids(body: Any) -> dict[str, Any]:
    """The tenant, session and message a record's body names (a webhook job's: its event's),
    which every log line of the record names."""
    if not isinstance(body, dict):
        return {}
    event = body["event"] if isinstance(body.get("event"), dict) else body
    data = event["data"] if isinstance(event.get("data"), dict) else {}
    return {"tenant_id": body.get("tenant_id"),
            "session_id": body.get("session_id") or event.get("session_id"),
            "message_id": body.get("message_id") or data.get("message_id") or (
                data.get("id") if event.get("type") == "message.received" else None)}


def describe(body: Any) -> str:
    """The ids a record's body names (event, type, message, session, tenant; a webhook job's
    webhook, delivery or replay and its retry step) and, for status events, the status and its
    reason: ``event=evt_… type=message.status …``."""
    if not isinstance(body, dict):
        return "body=(not a JSON object)"
    data = body["data"] if isinstance(body.get("data"), dict) else {}
    fields = {
        "event": body.get("id") if "type" in body else body.get("event_id"),
        "type": body.get("type"),
        "message": log_ids(body)["message_id"],
        "session": body.get("session_id"),
        "tenant": body.get("tenant_id"),
        "webhook": body.get("webhook_id"),
        "delivery": body.get("delivery_id"),
        "replay": body.get("replay_id"),
        "step": body.get("step"),
        "status": data.get("status"),
        "reason": data.get("reason"),
    }
    return " ".join(f"{name}={str(value)[:_ID_CHARS]}" for name, value in fields.items()
                    if value not in (None, ""))


def process_batch(event: dict[str, Any], context: Any, name: str,
                  handle: Callable[[dict[str, Any], int], None],
                  backoff: Callable[[str, str, int], None] | None = None) -> dict[str, Any]:
    """Run ``handle(body, receive_count)`` on each record; returns ``batchItemFailures``.

    A record whose handler raises ``RetryLater`` comes back after ``backoff(queue arn,
    receipt handle, receive count)`` has set its visibility (instead of the queue's full
    visibility timeout)."""

    def record_handler(record: SQSRecord) -> None:
        with observability.scope(sqs_message_id=record.message_id):
            handle_record(record)

    def handle_record(record: SQSRecord) -> None:
        receive_count = int(record.attributes.approximate_receive_count or 1)
        ids = f"record={record.message_id}"
        try:
            body = json.loads(record.body)
            ids = describe(body)
            observability.bind(**log_ids(body))
            handle(body, receive_count)
        except RetryLater as exc:
            wait = ""
            if backoff is not None:
                try:
                    backoff(record.event_source_arn, record.receipt_handle, receive_count)
                except Exception as backoff_exc:  # the queue's visibility timeout still works
                    wait = f"; its wait stays the queue's ({type(backoff_exc).__name__})"
            log.info("%s: %s comes back later (receive %d): %s%s", name, ids, receive_count,
                     exc, wait)
            raise
        except Exception as exc:
            log.warning("%s: %s failed (receive %d): %s: %s", name, ids, receive_count,
                        type(exc).__name__, exc)
            raise
        log.info("%s: %s done", name, ids)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=processor, context=context)
