"""A small local Lambda runtime: polls each SQS queue the Chalice app listens on and
invokes the very handler Lambda would, with a Lambda-shaped event; deletes only the records
that did not fail (``batchItemFailures``); fires ``@app.schedule`` handlers on their rate.

It logs only what the handlers do not: a handler that raised (one line per record that comes
back, with the reason), a schedule fired, a queue that cannot be polled. The handlers log one
line per record themselves (``chalicelib.workers.batch``)."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Chalice
from chalice.app import Rate, ScheduledEventConfig, SQSEventConfig

from chalicelib.workers.batch import describe

if TYPE_CHECKING:
    from chalicelib.devstack.embedded_aws import Arrivals

log = logging.getLogger("wagate.runtime")
_AT = re.compile(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")
_RATE_SECONDS = {Rate.MINUTES: 60, Rate.HOURS: 3600, Rate.DAYS: 86400}
ARRIVALS_IDLE_S = 1.0  # the longest a poller waits for a ring: records nothing rings come back


class LambdaContext:
    """The attributes of Lambda's context object that handlers and powertools read."""

    def __init__(self, name: str, timeout_s: int = 60) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """Lambda's SQS event for messages from ``receive_message``."""
    return {"Records": [{
        "messageId": m["MessageId"],
        "receiptHandle": m["ReceiptHandle"],
        "body": m["Body"],
        "attributes": m.get("Attributes", {}),
        "messageAttributes": m.get("MessageAttributes", {}),
        "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    } for m in messages]}


def _describe(body: str) -> str:
    try:
        return describe(json.loads(body))
    except ValueError:
        return describe(None)


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _handler(config: Any) -> Any:
    module_name, _, attr = config.handler_string.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


class LocalLambdaRuntime:
    def __init__(self, app: Chalice, sqs: Any, region: str, idle_seconds: float = 0.2,
                 scheduler: Any = None, schedule_groups: tuple[str, ...] = (),
                 arrivals: Arrivals | None = None) -> None:
        self._app = app
        self._sqs = sqs
        self._scheduler = scheduler
        self._groups = schedule_groups
        self._region = region
        # Short polls with a pause when idle: a long poll would hold the embedded AWS, which
        # serves one request at a time (see embedded_aws). With its arrivals, a poller pauses
        # until a message may be there, and at most ARRIVALS_IDLE_S.
        self._idle = idle_seconds
        self._arrivals = arrivals
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for source in self._app.event_sources:
            if isinstance(source, SQSEventConfig):
                target, args = self._poll, (source,)
            elif isinstance(source, ScheduledEventConfig):
                target, args = self._tick, (source,)
            else:
                continue
            thread = threading.Thread(target=target, args=args, name=f"lambda-{source.name}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        if self._scheduler is not None and self._groups:
            thread = threading.Thread(target=self._fire_schedules, name="eventbridge-scheduler",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def fire_due_schedules(self, now: datetime | None = None) -> int:
        """Do what EventBridge Scheduler does for due one-time ``at()`` schedules that
        target SQS: send their input to the queue, then delete them. Returns how many."""
        moment = (now or datetime.now(UTC)).replace(tzinfo=None)
        fired = 0
        for group in self._groups:
            for summary in self._scheduler.list_schedules(GroupName=group).get("Schedules", []):
                schedule = self._scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                match = _AT.fullmatch(schedule.get("ScheduleExpression", ""))
                if not match or datetime.fromisoformat(match[1]) > moment:
                    continue
                target = schedule["Target"]
                url = self._sqs.get_queue_url(QueueName=target["Arn"].rsplit(":", 1)[1])[
                    "QueueUrl"]
                self._sqs.send_message(QueueUrl=url, MessageBody=target.get("Input", "{}"))
                self._scheduler.delete_schedule(Name=summary["Name"], GroupName=group)
                log.info("scheduler: fired %s: %s", summary["Name"],
                         _describe(target.get("Input", "{}")))
                fired += 1
        return fired

    def _fire_schedules(self) -> None:
        while not self._stop.wait(1):
            try:
                self.fire_due_schedules()
            except Exception as exc:
                log.error("firing schedules failed: %s", _failure(exc))
                log.debug("firing schedules failed", exc_info=True)

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop polling; give handlers in flight ``grace_s`` in all to finish (an unfinished
        record simply comes back, as after a Lambda timeout)."""
        self._stop.set()
        if self._arrivals:
            for source in self._app.event_sources:
                if isinstance(source, SQSEventConfig):
                    self._arrivals.ring(source.queue)  # a waiting poller sees the stop now
        deadline = time.monotonic() + grace_s
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def invoke_sqs(self, source: SQSEventConfig, url: str, arn: str,
                   messages: list[dict[str, Any]]) -> int:
        """Invoke the handler once; delete what succeeded. Returns the number of failures."""
        event = sqs_event(messages, arn, self._region)
        try:
            result = _handler(source)(event, LambdaContext(source.name)) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception as exc:
            for message in messages:
                log.error("%s: %s comes back: the handler raised %s", source.name,
                          _describe(message["Body"]), _failure(exc))
            log.debug("%s raised", source.name, exc_info=True)
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        log.debug("%s: %d record(s), %d failed", source.name, len(messages), len(failed))
        return len(failed)

    def _poll(self, source: SQSEventConfig) -> None:
        url = self._sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        while not self._stop.is_set():
            seen = self._arrivals.seen(source.queue) if self._arrivals else 0
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=min(source.batch_size, 10),
                    WaitTimeSeconds=0, AttributeNames=["All"],
                    MessageAttributeNames=["All"]).get("Messages", [])
            except Exception as exc:
                if self._stop.is_set():
                    return
                log.error("polling %s failed: %s", source.queue, _failure(exc))
                self._stop.wait(1)
                continue
            if messages:
                self.invoke_sqs(source, url, arn, messages)
            elif self._arrivals:
                self._arrivals.wait(source.queue, seen, ARRIVALS_IDLE_S)
            else:
                self._stop.wait(self._idle)

    def _tick(self, source: ScheduledEventConfig) -> None:
        expression = source.schedule_expression
        if not isinstance(expression, Rate):
            log.warning("%s: only rate() schedules run locally", source.name)
            return
        interval = expression.value * _RATE_SECONDS[expression.unit]
        while not self._stop.wait(interval):
            event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                     "account": "000000000000",
                     "source": "aws.events", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                   time.gmtime()),
                     "region": self._region, "resources": [], "detail": {}}
            try:
                _handler(source)(event, LambdaContext(source.name))
                log.debug("%s: fired", source.name)
            except Exception as exc:
                log.error("%s: schedule %s raised %s", source.name, event["id"], _failure(exc))
                log.debug("%s raised", source.name, exc_info=True)
