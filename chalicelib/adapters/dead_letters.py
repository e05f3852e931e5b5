"""The queues' dead-letter queues on SQS: count, peek (records stay where they are) and
redrive (back onto their own queue, sent before deleted)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from chalicelib import resources
from chalicelib.domain import clock
from chalicelib.domain.dead_letters import DeadLetter

_BATCH = 10  # SQS receives, sends and deletes ten at a time
_PEEK_VISIBILITY_S = 5  # how long a peeked record hides before it is shown again at once
_MOVE_VISIBILITY_S = 60


class SqsDeadLetters:
    def __init__(self, sqs: Any, prefix: str, queues: Sequence[resources.Queue]) -> None:
        self._sqs = sqs
        self._prefix = prefix
        self._queues = {q.key: q for q in queues}
        self._urls: dict[str, str] = {}

    @property
    def names(self) -> list[str]:
        return list(self._queues)

    def _url(self, name: str) -> str:
        if name not in self._urls:
            self._urls[name] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return self._urls[name]

    def _dlq(self, queue: str) -> str:
        return self._url(self._queues[queue].dlq_physical_name(self._prefix))

    def count(self, queue: str) -> int:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self._dlq(queue), AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"].get("ApproximateNumberOfMessages", 0))

    def peek(self, queue: str, limit: int) -> list[DeadLetter]:
        """Up to ``limit`` records, left in the dead-letter queue (visible again at once)."""
        url, handles = self._dlq(queue), []
        seen: dict[str, DeadLetter] = {}
        for _ in range(-(-limit // _BATCH)):
            records = self._receive(url, min(_BATCH, limit - len(seen)), _PEEK_VISIBILITY_S)
            fresh = [r for r in records if r["MessageId"] not in seen]
            handles += [r["ReceiptHandle"] for r in records]
            for record in fresh:
                seen[record["MessageId"]] = _letter(record)
            if not fresh or len(seen) >= limit:
                break
        for start in range(0, len(handles), _BATCH):
            self._sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(handles[start:start + _BATCH])])
        return list(seen.values())

    def redrive(self, queue: str, limit: int) -> int:
        """Move up to ``limit`` records back onto ``queue``: each is sent there first and
        deleted here only once SQS took it (a crash in between repeats one, never loses it)."""
        dlq, target = self._dlq(queue), self._url(self._queues[queue].physical_name(self._prefix))
        moved = 0
        while moved < limit:
            records = self._receive(dlq, min(_BATCH, limit - moved), _MOVE_VISIBILITY_S)
            if not records:
                break
            sent = self._sqs.send_message_batch(QueueUrl=target, Entries=[
                {"Id": str(i), "MessageBody": r["Body"]} for i, r in enumerate(records)])
            done = [records[int(s["Id"])] for s in sent.get("Successful", [])]
            if done:
                self._sqs.delete_message_batch(QueueUrl=dlq, Entries=[
                    {"Id": str(i), "ReceiptHandle": r["ReceiptHandle"]}
                    for i, r in enumerate(done)])
            moved += len(done)
            if len(done) < len(records):
                break  # SQS refused some: they show up in the dead-letter queue again
        return moved

    def _receive(self, url: str, count: int, visibility_s: int) -> list[dict[str, Any]]:
        return self._sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=count, VisibilityTimeout=visibility_s,
            WaitTimeSeconds=0, AttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
        ).get("Messages", [])


def _letter(record: dict[str, Any]) -> DeadLetter:
    attributes = record.get("Attributes", {})
    sent_ms = attributes.get("SentTimestamp")
    return DeadLetter.shown(
        record["MessageId"], record["Body"],
        clock.iso(datetime.fromtimestamp(int(sent_ms) / 1000, UTC)) if sent_ms else None,
        int(attributes.get("ApproximateReceiveCount", 0)))
