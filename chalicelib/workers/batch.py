"""SQS batches with partial failures (powertools' BatchProcessor): a failed record comes back,
the others are deleted."""

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

from chalicelib.services.messaging import RetryLater

log = logging.getLogger("wagate.workers")


def process_batch(event: dict[str, Any], context: Any, name: str,
                  handle: Callable[[dict[str, Any], int], None],
                  backoff: Callable[[str, str, int], None] | None = None) -> dict[str, Any]:
    """Run ``handle(body, receive_count)`` on each record; returns ``batchItemFailures``.

    A record whose handler raises ``RetryLater`` comes back after ``backoff(queue arn,
    receipt handle, receive count)`` has set its visibility (instead of the queue's full
    visibility timeout)."""

    def record_handler(record: SQSRecord) -> None:
        receive_count = int(record.attributes.approximate_receive_count or 1)
        try:
            handle(json.loads(record.body), receive_count)
        except RetryLater:
            if backoff is not None:
                try:
                    backoff(record.event_source_arn, record.receipt_handle, receive_count)
                except Exception:  # the queue's own visibility timeout still brings it back
                    log.warning("%s: could not shorten the wait of %s", name, record.message_id)
            raise
        except Exception as exc:
            log.warning("%s: record %s failed (receive %d): %s", name, record.message_id,
                        receive_count, exc)
            raise
        log.info("%s: record %s done", name, record.message_id)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=processor, context=context)
