"""The local Lambda runtime of ``make run``: Lambda-shaped events, partial batch failures
honoured (only successes are deleted), schedules fired on their rate."""

from __future__ import annotations

import json
import sys
import types

from chalice import Chalice, Rate

from chalicelib.adapters import aws as aws_clients
from chalicelib.devstack.runtime import LocalLambdaRuntime
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
        return {"batchItemFailures": failures}

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def tick(event):
        ticks.append(event.to_dict())

    module.app, module.jobs, module.tick = app, jobs, tick
    for source in app.event_sources:
        source.handler_string = f"runtime_fixture_app.{source.name}"
    sys.modules["runtime_fixture_app"] = module
    return app


def test_sqs_records_are_invoked_and_only_successes_deleted(aws):
    sqs = aws_clients.client("sqs")
    url = sqs.create_queue(QueueName="rt-jobs", Attributes={"VisibilityTimeout": "30"})[
        "QueueUrl"]
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


def test_schedules_fire_on_their_rate(aws, monkeypatch):
    from chalicelib.devstack import runtime as runtime_module

    monkeypatch.setitem(runtime_module._RATE_SECONDS, Rate.MINUTES, 0.05)
    ticks.clear()
    aws_clients.client("sqs").create_queue(QueueName="rt-jobs")
    runtime = LocalLambdaRuntime(_fixture_app(), aws_clients.client("sqs"), "us-east-1")
    runtime.start()
    try:
        wait_for(lambda: len(ticks) >= 2, timeout=5)
    finally:
        runtime.stop()
    assert ticks[0]["detail-type"] == "Scheduled Event"
