"""When and how messages go: scheduling, cancel, expiry, priority lanes, typing, idempotency,
quotas, the reconciler and poison records."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import app as wagate
from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.bootstrap import container
from chalicelib.devstack.runtime import LambdaContext, LocalLambdaRuntime
from chalicelib.domain.messages import MessageStatus
from chalicelib.services.idempotency import fingerprint
from tests.conftest import Tenant, assert_error, queue_url, receive, run_worker, wait_for

TO = "+14155552671"


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def _send(tenant: Tenant, sid: str, **body) -> dict:
    response = tenant.call("POST", "/v1/messages", {"session_id": sid, "to": TO, "text": "hi",
                                                    **body})
    assert response.status_code == 202, response.body
    return response.json


def _get(tenant: Tenant, mid: str) -> dict:
    return tenant.call("GET", f"/v1/messages/{mid}").json


def test_schedule_within_15_minutes_rides_an_sqs_delay(acme: Tenant, working: str):
    accepted = _send(acme, working, schedule_at=_iso(timedelta(seconds=2)))
    assert accepted["status"] == "scheduled" and _get(acme, accepted["id"])["status_letter"] == "U"
    assert run_worker(resources.OUTBOUND) == 0  # not visible before its time
    time.sleep(2.2)
    run_worker(resources.OUTBOUND)
    wait_for(lambda: _get(acme, accepted["id"])["status"] == "read")


def test_schedule_further_ahead_uses_eventbridge_scheduler(acme: Tenant, working: str):
    at = datetime.now(UTC) + timedelta(days=3)
    accepted = _send(acme, working, schedule_at=at.isoformat(), priority="bulk")
    group = resources.MESSAGE_SCHEDULES.physical_name(container().settings.prefix)
    scheduler = aws.client("scheduler")
    schedule = scheduler.get_schedule(Name=f"msg-{accepted['id']}", GroupName=group)
    # The scheduler counts whole seconds: the next one, never the one before.
    fires = at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)
    assert schedule["ScheduleExpression"] == f"at({fires.strftime('%Y-%m-%dT%H:%M:%S')})"
    assert schedule["Target"]["Arn"].endswith(":wagate-test-outbound-bulk")
    assert json.loads(schedule["Target"]["Input"]) == {"tenant_id": acme.id,
                                                       "message_id": accepted["id"]}
    # The local stack fires due schedules the way EventBridge would.
    runtime = LocalLambdaRuntime(wagate.app, aws.client("sqs"), "us-east-1",
                                 scheduler=scheduler, schedule_groups=(group,))
    assert runtime.fire_due_schedules(now=at - timedelta(minutes=1)) == 0
    assert runtime.fire_due_schedules(now=fires) == 1
    assert [json.loads(m["Body"])["message_id"] for m in receive(resources.OUTBOUND_BULK)] == \
        [accepted["id"]]


def test_cancel_a_scheduled_message_removes_its_schedule(acme: Tenant, working: str):
    accepted = _send(acme, working, schedule_at=_iso(timedelta(hours=2)))
    canceled = acme.call("DELETE", f"/v1/messages/{accepted['id']}")
    assert canceled.json["status"] == "canceled" and canceled.json["status_letter"] == "A"
    group = resources.MESSAGE_SCHEDULES.physical_name(container().settings.prefix)
    assert aws.client("scheduler").list_schedules(GroupName=group)["Schedules"] == []
    assert_error(acme.call("DELETE", f"/v1/messages/{accepted['id']}"), 409, "not_cancelable")


def test_a_canceled_queued_message_is_never_sent(acme: Tenant, working: str, host):
    accepted = _send(acme, working)
    acme.call("DELETE", f"/v1/messages/{accepted['id']}")
    run_worker(resources.OUTBOUND)
    assert _get(acme, accepted["id"])["status"] == "canceled"
    assert host.engine.outbox == []


def test_expired_messages_are_never_sent_late(acme: Tenant, working: str, host):
    accepted = _send(acme, working, ttl_seconds=1)
    assert accepted["expires_at"]
    time.sleep(1.2)
    run_worker(resources.OUTBOUND)
    expired = _get(acme, accepted["id"])
    assert expired["status"] == "expired" and expired["ack"] == -1
    assert host.engine.outbox == []


def test_high_priority_has_its_own_lane(acme: Tenant, working: str):
    bulk = [_send(acme, working, priority="bulk")["id"] for _ in range(3)]
    urgent = _send(acme, working, priority="high")["id"]
    assert [json.loads(m["Body"])["message_id"] for m in receive(resources.OUTBOUND_HIGH)] == \
        [urgent]
    assert len(receive(resources.OUTBOUND_BULK)) == len(bulk)
    run_worker(resources.OUTBOUND_HIGH)  # the high lane's worker never reads the bulk lane
    wait_for(lambda: _get(acme, urgent)["status"] == "read")
    assert {_get(acme, m)["status"] for m in bulk} == {"queued"}


def test_typing_shows_before_the_message(acme: Tenant, working: str, host):
    accepted = _send(acme, working, typing_ms=400)
    run_worker(resources.OUTBOUND)
    message = wait_for(lambda: (m := _get(acme, accepted["id"]))["status"] == "read" and m)
    assert ("typing", "14155552671@s.whatsapp.net", 400) in [a[1:] for a in host.engine.actions]
    sending = datetime.fromisoformat(message["timestamps"]["sending"].replace("Z", "+00:00"))
    sent = datetime.fromisoformat(message["timestamps"]["sent"].replace("Z", "+00:00"))
    assert sent - sending >= timedelta(milliseconds=400)


def test_idempotency_key_replays_refuses_reuse_and_in_progress(acme: Tenant, working: str):
    headers = {"Idempotency-Key": "order-42"}
    first = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO, "text": "a"},
                      headers=headers)
    again = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO, "text": "a"},
                      headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(acme.call("GET", "/v1/messages").json["items"]) == 1
    assert len(receive(resources.OUTBOUND)) == 1
    assert_error(acme.call("POST", "/v1/messages", {"session_id": working, "to": TO,
                                                    "text": "b"}, headers=headers),
                 422, "idempotency_key_reused")
    body = {"session_id": working, "to": TO, "text": "a"}
    # A first request with this key is still running (same request, so same fingerprint).
    container().idempotency._store.begin(
        acme.id, "busy", fingerprint("POST", "/v1/messages", json.dumps(body).encode()))
    assert_error(acme.call("POST", "/v1/messages", body, headers={"Idempotency-Key": "busy"}),
                 409, "idempotency_key_in_progress")


def test_idempotency_keys_belong_to_a_tenant(acme: Tenant, globex: Tenant, working: str):
    body = {"name": "same"}
    a = acme.call("POST", "/v1/sessions", body, headers={"Idempotency-Key": "k1"})
    b = globex.call("POST", "/v1/sessions", body, headers={"Idempotency-Key": "k1"})
    assert a.status_code == b.status_code == 201 and a.json["id"] != b.json["id"]


def test_a_rejected_request_does_not_burn_its_key(acme: Tenant, working: str):
    headers = {"Idempotency-Key": "retry-me"}
    assert_error(acme.call("POST", "/v1/messages", {"session_id": working, "to": "nope",
                                                    "text": "a"}, headers=headers), 422)
    fixed = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO, "text": "a"},
                      headers=headers)
    assert fixed.status_code == 202


def test_daily_quota_answers_429_with_retry_after(acme: Tenant, working: str, admin_token,
                                                  client):
    from tests.conftest import call
    limits = {"messages_per_day": 2, "messages_per_month": 100, "sessions": 5}
    assert call(client, "PUT", f"/v1/tenants/{acme.id}/limits", admin_token,
                limits).status_code == 200
    container().account._cache.clear()
    _send(acme, working)
    _send(acme, working)
    refused = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO, "text": "3"})
    assert_error(refused, 429, "quota_exceeded")
    assert 0 < int(refused.headers["Retry-After"]) <= 86_400
    account = acme.call("GET", "/v1/account").json
    assert account["usage"]["messages_today"] == 2
    assert account["limits"] == limits
    assert account["balance"] == {"counter": 2, "limit": 100}
    assert len(acme.call("GET", "/v1/messages").json["items"]) == 2  # nothing half-accepted


def test_session_quota(acme: Tenant, admin_token, client):
    from tests.conftest import call
    call(client, "PUT", f"/v1/tenants/{acme.id}/limits", admin_token,
         {"messages_per_day": 10, "messages_per_month": 10, "sessions": 1})
    container().account._cache.clear()
    first = acme.call("POST", "/v1/sessions", {"name": "one", "start": False})
    assert first.status_code == 201
    assert_error(acme.call("POST", "/v1/sessions", {"name": "two", "start": False}), 429)
    acme.call("DELETE", f"/v1/sessions/{first.json['id']}")
    assert acme.call("POST", "/v1/sessions", {"name": "two", "start": False}).status_code == 201
    assert_error(acme.call("PUT", f"/v1/tenants/{acme.id}/limits",
                           {"messages_per_day": 1, "messages_per_month": 1, "sessions": 1}), 403)


def test_templates_fill_messages_and_missing_variables_are_422(acme: Tenant, working: str, host):
    template = acme.call("POST", "/v1/templates", {
        "name": "otp", "body": "Hi {{name}}, your code is @{{code}}"}).json
    assert template["variables"] == ["name", "code"]
    preview = acme.call("POST", f"/v1/templates/{template['id']}/preview",
                        {"variables": {"name": "Ann", "code": "123456"}})
    assert preview.json["text"] == "Hi Ann, your code is 123456"
    error = assert_error(acme.call("POST", "/v1/messages", {
        "session_id": working, "to": TO, "template_id": template["id"],
        "variables": {"name": "Ann"}}), 422)
    assert error["details"] == [{"field": "variables.code",
                                 "message": "is required by the template"}]
    accepted = acme.call("POST", "/v1/messages", {
        "session_id": working, "to": TO, "template_id": template["id"],
        "variables": {"name": "Ann", "code": "654321"}})
    assert _get(acme, accepted.json["id"])["text"] == "Hi Ann, your code is 654321"
    updated = acme.call("PUT", f"/v1/templates/{template['id']}", {"body": "Code {{code}}"})
    assert updated.json["variables"] == ["code"]
    assert len(acme.call("GET", "/v1/templates").json["items"]) == 1
    assert acme.call("DELETE", f"/v1/templates/{template['id']}").status_code == 200
    assert_error(acme.call("GET", f"/v1/templates/{template['id']}"), 404)
    assert_error(acme.call("POST", "/v1/messages", {
        "session_id": working, "to": TO, "template_id": template["id"]}), 422)


def test_timing_validation(acme: Tenant, working: str):
    cases = [
        ({"schedule_at": _iso(-timedelta(hours=1))}, "schedule_at"),
        ({"schedule_at": _iso(timedelta(days=36))}, "schedule_at"),
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"expires_at": _iso(-timedelta(minutes=1))}, "expires_at"),
        ({"ttl_seconds": 60, "expires_at": _iso(timedelta(hours=1))}, "ttl_seconds"),
        ({"schedule_at": _iso(timedelta(hours=2)), "ttl_seconds": 60}, "ttl_seconds"),
        ({"priority": "urgent"}, "priority"),
        ({"typing_ms": 5001}, "typing_ms"),
    ]
    for extra, field in cases:
        error = assert_error(acme.call("POST", "/v1/messages", {
            "session_id": working, "to": TO, "text": "x", **extra}), 422)
        assert error["details"][0]["field"] == field, (extra, error)
    assert acme.call("GET", "/v1/messages").json["items"] == []


def test_the_reconciler_ends_messages_stuck_in_sending(acme: Tenant, working: str, host):
    """Stuck in "sending" for long: one that an engine may have sent (it holds a send token)
    fails as outcome_unknown; one that no engine was handed goes back to the queue."""
    handed, never_handed = _send(acme, working)["id"], _send(acme, working)["id"]
    for record in receive(resources.OUTBOUND):
        aws.client("sqs").delete_message(QueueUrl=queue_url(resources.OUTBOUND),
                                         ReceiptHandle=record["ReceiptHandle"])
    messages = container().messages
    for mid in (handed, never_handed):
        messages.transition(acme.id, mid, MessageStatus.SENDING)
    session = container().sessions.get(acme.id, working)
    assert messages.begin_send(acme.id, working, handed, "token-1", None, session.owner,
                               session.fence)
    assert wagate.reconcile({"account": "1", "region": "us-east-1", "time": "t", "id": "i",
                             "detail-type": "Scheduled Event", "source": "aws.events",
                             "resources": [], "detail": {}, "version": "0"},
                            LambdaContext("reconcile")) == {  # not old enough
        "resolved": 0, "campaigns_woken": 0,
        "SessionsFailed": 0, "SessionsDeaf": 0, "HostsStale": 0}
    old = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    for mid in (handed, never_handed):
        messages._table.update_item(Key={"pk": acme.id, "sk": f"MSG#{mid}"},
                                    UpdateExpression="SET updated_at = :old",
                                    ExpressionAttributeValues={":old": old})
    assert container().messaging.reconcile() == 2
    failed = _get(acme, handed)
    assert failed["status"] == "failed" and failed["error"]["code"] == "outcome_unknown"
    assert _get(acme, never_handed)["status"] == "queued"
    run_worker(resources.OUTBOUND)
    wait_for(lambda: _get(acme, never_handed)["status"] == "read")
    assert [out.content.text for _, _, out in host.engine.outbox] == ["hi"]


def test_a_poison_record_ends_in_the_dlq_and_its_message_failed(acme: Tenant, working: str,
                                                                monkeypatch):
    accepted = _send(acme, working)
    record = receive(resources.OUTBOUND)[0]
    aws.client("sqs").delete_message(QueueUrl=queue_url(resources.OUTBOUND),
                                     ReceiptHandle=record["ReceiptHandle"])

    def explode(*_args, **_kwargs):
        raise RuntimeError("host protocol mismatch")

    monkeypatch.setattr(container().fleet, "send", explode)
    event = {"Records": [{"messageId": "m1", "receiptHandle": "r", "body": record["Body"],
                          "attributes": {"ApproximateReceiveCount": str(
                              resources.OUTBOUND.max_receive_count)},
                          "messageAttributes": {}, "md5OfBody": "x", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
                          "awsRegion": "us-east-1"}]}
    result = wagate.send_worker(event, LambdaContext("send_worker"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}  # → DLQ after this
    failed = _get(acme, accepted["id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "poison"
    assert "host protocol mismatch" in failed["error"]["message"]


def test_the_reconciler_requeues_a_scheduled_message_whose_schedule_was_lost(acme: Tenant,
                                                                             working: str):
    accepted = _send(acme, working, schedule_at=_iso(timedelta(hours=1)))
    group = resources.MESSAGE_SCHEDULES.physical_name(container().settings.prefix)
    aws.client("scheduler").delete_schedule(Name=f"msg-{accepted['id']}", GroupName=group)
    long_ago = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    container().messages._table.update_item(
        Key={"pk": acme.id, "sk": f"MSG#{accepted['id']}"},
        UpdateExpression="SET schedule_at = :t", ExpressionAttributeValues={":t": long_ago})
    assert container().messaging.reconcile() == 1
    run_worker(resources.OUTBOUND)
    wait_for(lambda: _get(acme, accepted["id"])["status"] == "read")


def test_a_malformed_idempotency_key_is_a_422_and_changes_nothing(acme: Tenant, working: str):
    error = assert_error(acme.call("POST", "/v1/messages", {"session_id": working, "to": TO,
                                                            "text": "a"},
                                   headers={"Idempotency-Key": "k" * 256}), 422)
    assert error["details"][0]["field"] == "Idempotency-Key"
    assert acme.call("GET", "/v1/messages").json["items"] == []
