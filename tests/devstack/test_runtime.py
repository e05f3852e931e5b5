"""The local Lambda runtime of ``make run``: Lambda-shaped events, partial batch failures
honoured (only successes are deleted), schedules fired on their rate, and one log line per
record naming its ids and the reason of a failure."""

from __future__ import annotations

import json
import logging
import sys
import types

from chalice import Chalice, Rate

from chalicelib.adapters import aws as aws_clients
from chalicelib.devstack import runtime as runtime_module
from chalicelib.devstack.embedded_aws import Arrivals
from chalicelib.devstack.runtime import LocalLambdaRuntime
from chalicelib.workers.batch import process_batch
from tests.conftest import wait_for

seen: list[dict] = []
ticks: list[dict] = []


def _fixture_app() -> Chalice:
    """A tiny Chalice app in its own module, as the runtime imports handlers by name."""
    module = types.ModuleType("runtime_fixture_app")
    app = Chalice(app_name="runtime-fixture")

    @app.on_sqs_message(queue="rt-jobs", batch_size=10)
    def jobs(event):
        failures = []
        for record in event:
            body = json.loads(record.body)
            seen.append({"body": body, "message_id": record.to_dict()["messageId"],
                         "source": record.to_dict()["eventSource"]})
            if body.get("fail"):
                failures.append({"itemIdentifier": record.to_dict()["messageId"]})
            if body.get("retry_in") and record.to_dict()["attributes"][
                    "ApproximateReceiveCount"] == "1":  # a backoff, as the send worker's
                sqs = aws_clients.client("sqs")
                sqs.change_message_visibility(
                    QueueUrl=sqs.get_queue_url(QueueName="rt-jobs")["QueueUrl"],
                    ReceiptHandle=record.receipt_handle, VisibilityTimeout=body["retry_in"])
                failures.append({"itemIdentifier": record.to_dict()["messageId"]})
        return {"batchItemFailures": failures}

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def tick(event):
        ticks.append(event.to_dict())

    @app.on_sqs_message(queue="rt-batch", batch_size=10)
    def batch(event):
        def handle(body, _receive_count):
            seen.append({"body": body})
            if body.get("fail"):
                raise ValueError("no such thing")

        return process_batch(event.to_dict(), event.context, "rt-batch", handle)

    @app.on_sqs_message(queue="rt-raise", batch_size=10)
    def explode(event):
        seen.extend({"body": json.loads(record.body)} for record in event)
        raise RuntimeError("boom")

    module.app, module.jobs, module.tick = app, jobs, tick
    module.batch, module.explode = batch, explode
    for source in app.event_sources:
        source.handler_string = f"runtime_fixture_app.{source.name}"
    sys.modules["runtime_fixture_app"] = module
    return app


def _queues() -> dict[str, str]:
    sqs = aws_clients.client("sqs")
    return {name: sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"})[
        "QueueUrl"] for name in ("rt-jobs", "rt-batch", "rt-raise")}


def test_sqs_records_are_invoked_and_only_successes_deleted(aws):
    sqs = aws_clients.client("sqs")
    url = _queues()["rt-jobs"]
    for body in ({"n": 1}, {"n": 2, "fail": True}, {"n": 3}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    seen.clear()
    runtime = LocalLambdaRuntime(_fixture_app(), sqs, "us-east-1", idle_seconds=0.05)
    runtime.start()
    try:
        wait_for(lambda: {s["body"]["n"] for s in seen} == {1, 2, 3}, timeout=10)
    finally:
        runtime.stop()
    assert all(s["source"] == "aws:sqs" for s in seen)
    assert len({s["message_id"] for s in seen}) == len(seen)  # one messageId per record
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # The two successes were deleted; the failure was not: it comes back after its timeout.
    assert counts["ApproximateNumberOfMessages"] == "0"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_with_arrivals_a_poller_wakes_as_a_message_is_sent_its_delay_ends_or_it_is_retried(
        aws, monkeypatch):
    """make run's pollers wait for the embedded SQS to say a message may be there, not asking
    every moment: with no fallback poll at all, each kind of arrival still reaches the handler."""
    monkeypatch.setattr(runtime_module, "ARRIVALS_IDLE_S", 120.0)  # only a ring wakes a poller
    sqs = aws_clients.client("sqs")
    url = _queues()["rt-jobs"]
    arrivals = Arrivals()
    arrivals.listen()
    seen.clear()
    runtime = LocalLambdaRuntime(_fixture_app(), sqs, "us-east-1", arrivals=arrivals)
    runtime.start()
    try:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 1}))
        wait_for(lambda: [s["body"]["n"] for s in seen] == [1], timeout=10)
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 2}), DelaySeconds=1)
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": "0", "MessageBody": json.dumps({"n": 3})}])
        wait_for(lambda: sorted(s["body"]["n"] for s in seen) == [1, 2, 3], timeout=10)
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 4, "retry_in": 1}))
        wait_for(lambda: sorted(s["body"]["n"] for s in seen) == [1, 2, 3, 4, 4], timeout=10)
    finally:
        runtime.stop()
        arrivals.close()
    assert all(not t.is_alive() for t in runtime._threads)  # the stop woke every poller


def test_schedules_fire_on_their_rate(aws, monkeypatch):
    monkeypatch.setitem(runtime_module._RATE_SECONDS, Rate.MINUTES, 0.05)
    ticks.clear()
    _queues()
    runtime = LocalLambdaRuntime(_fixture_app(), aws_clients.client("sqs"), "us-east-1")
    runtime.start()
    try:
        wait_for(lambda: len(ticks) >= 2, timeout=5)
    finally:
        runtime.stop()
    assert ticks[0]["detail-type"] == "Scheduled Event"


def test_each_record_gets_one_line_naming_its_ids_and_the_reason_it_failed(aws, caplog):
    caplog.set_level(logging.INFO)
    sqs, urls = aws_clients.client("sqs"), _queues()
    for body in ({"tenant_id": "t1", "message_id": "m1"},
                 {"tenant_id": "t1", "message_id": "m2", "fail": True}):
        sqs.send_message(QueueUrl=urls["rt-batch"], MessageBody=json.dumps(body))
    sqs.send_message(QueueUrl=urls["rt-raise"], MessageBody=json.dumps({
        "id": "evt_1", "type": "message.status", "tenant_id": "t1", "session_id": "s1",
        "timestamp": "2026-01-01T00:00:00Z", "data": {"message_id": "m3", "status": "read"}}))
    seen.clear()
    runtime = LocalLambdaRuntime(_fixture_app(), sqs, "us-east-1", idle_seconds=0.05)
    runtime.start()
    try:
        wait_for(lambda: {"m1", "m2"} <= {s["body"].get("message_id") for s in seen}
                 and any(s["body"].get("id") == "evt_1" for s in seen), timeout=10)
        wait_for(lambda: len(caplog.records) >= 3, timeout=5)
    finally:
        runtime.stop()

    lines = [r.getMessage() for r in caplog.records]
    assert "rt-batch: message=m1 tenant=t1 done" in lines
    assert "rt-batch: message=m2 tenant=t1 failed (receive 1): ValueError: no such thing" in lines
    assert ("explode: event=evt_1 type=message.status message=m3 session=s1 tenant=t1 "
            "status=read comes back: the handler raised RuntimeError: boom") in lines
    assert len(lines) == len(set(lines)) == 3  # one line each, no batch summaries
    assert not any(r.exc_info for r in caplog.records)  # no traceback at INFO
