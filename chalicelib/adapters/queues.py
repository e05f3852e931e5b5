"""SQS queues and the event publisher."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.events import Event

MAX_DELAY_SECONDS = 900


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
                               DelaySeconds=max(0, min(delay_seconds, MAX_DELAY_SECONDS)))


class SqsEventPublisher:
    """Publishes events to the events queue, where the event worker picks them up."""

    def __init__(self, queue: SqsQueue) -> None:
        self._queue = queue

    def publish(self, event: Event) -> None:
        self._queue.send(event.model_dump(mode="json"))
