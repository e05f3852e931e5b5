"""On Lambda every log line is one JSON object naming what is handled (the API request, its
tenant and session; an SQS record's tenant, session and message), and the metrics of
chalicelib.metrics leave as one EMF record per invocation, on moto."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import app as wagate
from app import app
from chalicelib import bootstrap, metrics, observability, resources
from chalicelib.bootstrap import container
from chalicelib.devstack.runtime import LambdaContext, sqs_event
from chalicelib.domain import clock
from chalicelib.domain.hosts import HostRecord
from chalicelib.domain.sessions import Session, SessionStatus
from chalicelib.workers.batch import process_batch
from tests.conftest import Tenant, run_worker

TO = "+14155552671"
Lines = Callable[[], list[dict[str, Any]]]
SCHEDULED = {"account": "1", "region": "us-east-1", "time": "t", "id": "i",
             "detail-type": "Scheduled Event", "source": "aws.events", "resources": [],
             "detail": {}, "version": "0"}


@pytest.fixture
def on_lambda(aws: None, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Lines]:
    """The app configured as on Lambda; ``lines()``: what it printed since, each line parsed
    as JSON (a line that is not JSON fails the test)."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "wagate-test-fn")
    root = logging.getLogger()
    saved = (root.level, list(app.log.handlers), app.log.propagate,
             logging.getLogRecordFactory())
    bootstrap.reset()
    observability.configure(app)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]

    yield lines
    for handler in [h for h in root.handlers if isinstance(h.formatter, observability._Json)]:
        root.removeHandler(handler)
    root.setLevel(saved[0])
    app.log.handlers[:] = saved[1]
    app.log.propagate = saved[2]
    logging.setLogRecordFactory(saved[3])
    bootstrap.reset()


def emf(lines: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The EMF records among ``lines`` that carry metric ``name``, each checked for the
    namespace, the one dimension and the declared unit."""
    declared = {m.name: m for m in metrics.ALL}
    found = []
    for line in lines:
        if "_aws" not in line or name not in line:
            continue
        [directive] = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "wagate"
        assert directive["Dimensions"] == [["Prefix"]]
        assert line["Prefix"] == "wagate-test"
        assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
            n: declared[n].unit for n in line if n in declared}
        found.append(line)
    return found


def test_an_api_request_logs_json_naming_its_request_tenant_and_session(on_lambda: Lines,
                                                                        acme: Tenant):
    response = acme.call("GET", "/v1/sessions/ses_missing")
    assert response.status_code == 404
    request_id = response.headers["X-Request-Id"]
    [line] = [line for line in on_lambda() if line.get("request_id") == request_id]
    assert line["message"].startswith("GET /v1/sessions/ses_missing -> 404")
    assert line["level"] == "INFO" and line["service"] == "wagate" and line["timestamp"]
    assert line["tenant_id"] == acme.id and line["session_id"] == "ses_missing"
    assert line["function_request_id"]  # the Lambda request id
    assert "message_id" not in line


def test_a_send_batch_logs_each_record_with_its_ids_and_counts_in_one_record(
        on_lambda: Lines, acme: Tenant, working: str):
    sent = [acme.call("POST", "/v1/messages", {"session_id": working, "to": TO,
                                               "text": f"hi {i}"}).json["id"] for i in (1, 2)]
    on_lambda()
    assert run_worker(resources.OUTBOUND) == 2
    lines = on_lambda()
    done = {line["message_id"]: line for line in lines
            if line.get("message", "").startswith("send-normal:")}
    assert set(done) == set(sent)
    for message_id, line in done.items():
        assert line["tenant_id"] == acme.id and line["session_id"] == working
        assert message_id in line["message"] and line["function_request_id"]
    [record] = emf(lines, "MessagesSent")
    assert record["MessagesSent"] == 2  # one record for the batch, not one per message
    assert emf(lines, "MessagesFailed") == []


def test_a_message_that_fails_is_counted_failed(on_lambda: Lines, acme: Tenant, working: str):
    message = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO,
                                                 "text": "hi"}).json["id"]
    acme.call("POST", f"/v1/sessions/{working}/stop")
    run_worker(resources.OUTBOUND)
    assert acme.call("GET", f"/v1/messages/{message}").json["status"] == "failed"
    [record] = emf(on_lambda(), "MessagesFailed")
    assert record["MessagesFailed"] == 1 and "MessagesSent" not in record


def test_ids_are_cleared_after_each_record(on_lambda: Lines):
    log = logging.getLogger("wagate.test")
    once = {"ApproximateReceiveCount": "1"}
    event = sqs_event([{"MessageId": "r1", "ReceiptHandle": "h1", "Attributes": once,
                        "Body": json.dumps({"tenant_id": "acme", "message_id": "M1",
                                            "session_id": "S1"})},
                       {"MessageId": "r2", "ReceiptHandle": "h2", "Attributes": once,
                        "Body": "not json"}],
                      "arn:aws:sqs:us-east-1:000000000000:q", "us-east-1")
    on_lambda()
    process_batch(event, LambdaContext("probe"), "probe", lambda body, _: log.info("handling"))
    log.info("after the batch")
    lines = on_lambda()
    handling = next(line for line in lines if line["message"] == "handling")
    assert (handling["tenant_id"], handling["session_id"], handling["message_id"]) == (
        "acme", "S1", "M1")
    failed = next(line for line in lines if "failed" in line["message"])
    after = next(line for line in lines if line["message"] == "after the batch")
    for line in (failed, after):
        assert not {"tenant_id", "session_id", "message_id"} & set(line)
    assert observability.current() == {}


def test_the_reconciler_publishes_the_fleet_gauges(on_lambda: Lines):
    now = clock.now_iso()
    sessions = container().sessions
    for i, status in enumerate((SessionStatus.FAILED, SessionStatus.FAILED,
                                SessionStatus.WORKING)):
        sessions.create(Session(id=f"s{i}", tenant_id="acme", name="n", engine="sandbox",
                                status=status, created_at=now, updated_at=now))
    sessions.set_desired("acme", "s1", SessionStatus.STARTING, None, running=True)  # restarted
    now_ms = clock.epoch_ms()
    for host_id, deaf, alive_until_ms in (("h1", 2, now_ms + 30_000), ("h2", 1, now_ms + 30_000),
                                          ("gone", 4, now_ms - 1_000)):
        container().hosts.heartbeat(HostRecord(host_id=host_id, address="x", capacity=10,
                                               deaf=deaf, alive_until_ms=alive_until_ms))
    answer = wagate.reconcile(SCHEDULED, LambdaContext("reconcile"))
    assert answer["SessionsFailed"] == 1 and answer["SessionsDeaf"] == 3
    assert answer["HostsStale"] == 1
    [record] = emf(on_lambda(), "SessionsFailed")
    assert (record["SessionsFailed"], record["SessionsDeaf"], record["HostsStale"]) == (1, 3, 1)


def test_ids_bound_outside_a_request_or_record_go_nowhere(on_lambda: Lines):
    observability.bind(tenant_id="acme")
    with observability.scope(request_id="r1"):
        observability.bind(tenant_id="globex")
        assert observability.current() == {"request_id": "r1", "tenant_id": "globex"}
    assert observability.current() == {}
