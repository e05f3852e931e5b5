"""SQS queues and the event publisher."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chalicelib.domain.events import Event

MAX_DELAY_SECONDS = 900
BATCH = 10  # SQS SendMessageBatch takes ten


class SqsQueue:
    def __init__(self, sqs: Any, queue_name: str) -> None:
        self._sqs = sqs
        self._name = queue_name
        self._url: str | None = None
        self._arn: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self._sqs.get_queue_url(QueueName=self._name)["QueueUrl"]
        return self._url

    @property
    def arn(self) -> str:
        if self._arn is None:
            self._arn = self._sqs.get_queue_attributes(
                QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return self._arn

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        """Make a received record visible again after ``seconds`` (a backoff)."""
        self._sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=receipt_handle,
                                            VisibilityTimeout=seconds)

    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(body),
                               DelaySeconds=_delay(delay_seconds))

    def send_many(self, bodies: Sequence[tuple[dict[str, Any], int]]) -> None:
        """Send (body, delay seconds) pairs, ten to a call; raises if SQS refused any."""
        for start in range(0, len(bodies), BATCH):
            entries = [{"Id": str(i), "MessageBody": json.dumps(body),
                        "DelaySeconds": _delay(delay)}
                       for i, (body, delay) in enumerate(bodies[start:start + BATCH])]
            failed = self._sqs.send_message_batch(QueueUrl=self.url,
                                                  Entries=entries).get("Failed") or []
            if failed:
                raise RuntimeError(f"SQS refused {len(failed)} of {len(entries)} records: "
                                   f"{failed[0].get('Code')}")


def _delay(seconds: int) -> int:
    return max(0, min(seconds, MAX_DELAY_SECONDS))


class SqsEventPublisher:
    """Publishes events to the events queue, where the event worker picks them up."""

    def __init__(self, queue: SqsQueue) -> None:
        self._queue = queue

    def publish(self, event: Event) -> None:
        self._queue.send(event.model_dump(mode="json"))
