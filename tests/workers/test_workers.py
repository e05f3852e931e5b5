"""The workers as Lambda runs them: hand-built SQS events, one messageId per record."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import app as wagate
from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.bootstrap import container
from chalicelib.devstack.runtime import LambdaContext
from chalicelib.services.messaging import SESSION_WAIT, retry_delay
from tests.conftest import Tenant, queue_url, receive, wait_for


def record(body: Any, receive_count: int = 1) -> dict[str, Any]:
    return {"messageId": str(uuid.uuid4()), "receiptHandle": str(uuid.uuid4()),
            "body": body if isinstance(body, str) else json.dumps(body),
            "attributes": {"ApproximateReceiveCount": str(receive_count),
                           "SentTimestamp": "1700000000000"},
            "messageAttributes": {}, "md5OfBody": "x", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}


def invoke(handler: Any, *records: dict[str, Any]) -> dict[str, Any]:
    return handler({"Records": list(records)}, LambdaContext("test"))


def _queued(acme: Tenant, sid: str) -> str:
    mid = acme.call("POST", "/v1/messages", {"session_id": sid, "to": "+14155552671",
                                             "text": "hi"}).json["id"]
    # Take the record off the queue: the tests below deliver it by hand.
    for message in receive(resources.OUTBOUND):
        aws.client("sqs").delete_message(QueueUrl=queue_url(resources.OUTBOUND),
                                         ReceiptHandle=message["ReceiptHandle"])
    return mid


def test_send_worker_delivers_and_a_redelivered_record_is_a_no_op(acme: Tenant, working: str,
                                                                  host):
    mid = _queued(acme, working)
    body = {"tenant_id": acme.id, "message_id": mid}
    assert invoke(wagate.send_worker, record(body)) == {"batchItemFailures": []}
    assert invoke(wagate.send_worker, record(body, receive_count=2)) == {"batchItemFailures": []}
    message = wait_for(lambda: (m := container().messages.get(acme.id, mid)).status == "read"
                       and m)
    assert [h.status for h in message.history].count("sent") == 1


def test_partial_batch_failure_reports_only_the_bad_record(acme: Tenant, working: str):
    good = record({"tenant_id": acme.id, "message_id": _queued(acme, working)})
    poison = record("{this is not json")
    result = invoke(wagate.send_worker, good, poison)
    assert result == {"batchItemFailures": [{"itemIdentifier": poison["messageId"]}]}


def test_no_host_puts_the_message_back_soon_then_fails_it_after_the_wait(acme: Tenant,
                                                                       working: str, host,
                                                                       monkeypatch):
    mid = _queued(acme, working)
    host.host.kill()  # the session's host dies; its lease is still in the table
    container().hosts.remove(host.host.host_id)
    queued: list[tuple[dict[str, Any], int]] = []
    monkeypatch.setattr(container().lanes["normal"], "send",
                        lambda body, delay_seconds=0: queued.append((body, delay_seconds)))
    first = record({"tenant_id": acme.id, "message_id": mid})
    assert invoke(wagate.send_worker, first) == {"batchItemFailures": []}
    assert container().messages.get(acme.id, mid).status == "queued"
    # The next try is a new record, due in a second (not after a long backoff), and the
    # tries after it come quickly too while a dead host's lease runs out.
    ((body, delay),) = queued
    assert body["attempt"] == 2 and body["waiting_since"] and delay == 1
    assert [retry_delay(n) for n in range(1, 10)] == [1, 1, 2, 3, 5, 8, 13, 15, 15]
    # Waiting has a bound: past it, the message fails with a clear reason.
    long_ago = (datetime.now(UTC) - SESSION_WAIT - timedelta(seconds=1)).isoformat()
    last = record({**body, "attempt": 9, "waiting_since": long_ago})
    assert invoke(wagate.send_worker, last) == {"batchItemFailures": []}
    failed = container().messages.get(acme.id, mid)
    assert failed.status == "failed" and failed.error["code"] == "session_unavailable"
    assert "gave up after" in failed.error["message"]
    assert [h.status for h in failed.history] == ["queued", "sending", "queued", "sending",
                                                  "queued", "failed"]


def test_failing_records_end_in_the_dlq_after_max_receives(aws):
    sqs = aws_client = __import__("chalicelib.adapters.aws", fromlist=["client"]).client("sqs")
    from chalicelib.devstack.runtime import LocalLambdaRuntime

    url = queue_url(resources.OUTBOUND)
    sqs.send_message(QueueUrl=url, MessageBody="{poison")
    source = next(s for s in wagate.app.event_sources if s.name == "send_worker")
    runtime = LocalLambdaRuntime(wagate.app, aws_client, "us-east-1")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    for _ in range(resources.OUTBOUND.max_receive_count + 1):
        messages = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0,
                                       AttributeNames=["All"]).get("Messages", [])
        if messages:
            assert runtime.invoke_sqs(source, url, arn, messages) == 1
    dead = sqs.receive_message(QueueUrl=queue_url(resources.OUTBOUND, dlq=True)).get(
        "Messages", [])
    assert [m["Body"] for m in dead] == ["{poison"]
