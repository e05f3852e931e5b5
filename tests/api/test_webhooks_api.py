"""/v1/webhooks through the HTTP API on moto: subscriptions, the delivery log, tests,
redelivery, replay and secret rotation; and a session's webhook_url as a subscription."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks import Webhook as Verifier

from chalicelib import resources
from chalicelib.devstack.listen import WebhookReceiver
from tests.conftest import Tenant, assert_error, call, run_worker, wait_for
from tests.workers.test_webhooks import deliver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def subscribe(tenant: Tenant, receiver: WebhookReceiver, **fields: Any) -> dict[str, Any]:
    created = tenant.call("POST", "/v1/webhooks", {"url": receiver.url, **fields})
    assert created.status_code == 201, created.body
    receiver.secret = created.json["secret"]
    return created.json


def test_a_subscription_lives_and_dies_through_the_api(acme: Tenant, receiver: WebhookReceiver):
    created = subscribe(acme, receiver, events=["message.*", "session.status"],
                        description="crm")
    assert created["secret"].startswith("whsec_")
    assert (created["events"], created["enabled"], created["format"]) == (
        ["message.*", "session.status"], True, "standard")
    wid = created["id"]
    shown = acme.call("GET", f"/v1/webhooks/{wid}").json
    assert "secret" not in shown and shown["description"] == "crm"
    assert [w["id"] for w in acme.call("GET", "/v1/webhooks").json["items"]] == [wid]

    patched = acme.call("PATCH", f"/v1/webhooks/{wid}", {"events": ["*"], "enabled": False})
    assert patched.status_code == 200, patched.body
    assert (patched.json["events"], patched.json["enabled"]) == (["*"], False)
    assert acme.call("PATCH", f"/v1/webhooks/{wid}", {"session_ids": None}).status_code == 200

    assert acme.call("DELETE", f"/v1/webhooks/{wid}").json == {"deleted": True, "id": wid}
    assert_error(acme.call("GET", f"/v1/webhooks/{wid}"), 404, "not_found")
    assert_error(acme.call("DELETE", f"/v1/webhooks/{wid}"), 404, "not_found")


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://127.0.0.1/x"}, "url"),
    ({"url": "http://169.254.169.254/latest"}, "url"),
    ({"url": "http://[::ffff:169.254.169.254]/"}, "url"),
    ({"url": "http://127.0.0.1/x", "events": ["message.received", "nope"]}, "events[1]"),
    ({"url": "http://127.0.0.1/x", "events": []}, "events"),
    ({"url": "http://127.0.0.1/x", "session_ids": ["01NOSUCHSESSION"]}, "session_ids[0]"),
    ({"url": "http://127.0.0.1/x", "format": "nope"}, "format"),
    ({"url": "http://127.0.0.1/x", "colour": "red"}, "colour"),
    ({"events": ["*"]}, "url"),
])
def test_bad_subscriptions_are_422_and_store_nothing(acme: Tenant, body: dict, field: str):
    error = assert_error(acme.call("POST", "/v1/webhooks", body), 422)
    assert field in [d["field"] for d in error["details"]], error
    assert acme.call("GET", "/v1/webhooks").json["items"] == []


@pytest.mark.parametrize("field", ["url", "events", "format", "enabled"])
def test_a_patch_cannot_null_a_required_field(acme: Tenant, receiver: WebhookReceiver,
                                              field: str):
    wid = subscribe(acme, receiver)["id"]
    before = acme.call("GET", f"/v1/webhooks/{wid}").json
    error = assert_error(acme.call("PATCH", f"/v1/webhooks/{wid}", {field: None}), 422)
    assert [d["field"] for d in error["details"]] == [field]
    assert acme.call("GET", f"/v1/webhooks/{wid}").json == before


def test_a_tenant_has_at_most_100_webhooks(acme: Tenant):
    for i in range(100):
        assert acme.call("POST", "/v1/webhooks",
                         {"url": f"http://127.0.0.1:9/{i}"}).status_code == 201
    assert_error(acme.call("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/x"}), 409,
                 "webhook_limit")
    assert_error(acme.call("POST", "/v1/sessions", {"name": "s", "start": False,
                                                    "webhook_url": "http://127.0.0.1:9/s"}),
                 409, "webhook_limit")
    assert acme.call("GET", "/v1/sessions").json["items"] == []


def test_members_read_webhooks_but_do_not_change_them(acme: Tenant, receiver: WebhookReceiver):
    wid = subscribe(acme, receiver)["id"]
    member = acme.member()
    assert member.call("GET", f"/v1/webhooks/{wid}").status_code == 200
    assert member.call("GET", "/v1/events").status_code == 200
    for method, path in (("POST", "/v1/webhooks"), ("PATCH", f"/v1/webhooks/{wid}"),
                         ("DELETE", f"/v1/webhooks/{wid}"),
                         ("POST", f"/v1/webhooks/{wid}/rotate-secret"),
                         ("POST", f"/v1/webhooks/{wid}/test")):
        assert_error(member.call(method, path, {"url": receiver.url}), 403, "missing_scope")
    reader = acme.api_key(["webhooks:read"])
    assert call(acme.client, "GET", "/v1/webhooks", reader).status_code == 200
    assert_error(call(acme.client, "GET", "/v1/events", reader), 403, "missing_scope")


def test_test_sends_a_signed_webhook_test_event_now(acme: Tenant, receiver: WebhookReceiver):
    wid = subscribe(acme, receiver)["id"]
    tested = acme.call("POST", f"/v1/webhooks/{wid}/test")
    assert tested.status_code == 200, tested.body
    assert tested.json["status"] == "succeeded" and tested.json["http_status"] == 204
    [event] = receiver.of_type("webhook.test")
    assert event["data"]["webhook_id"] == wid
    delivery = acme.call("GET", f"/v1/webhooks/{wid}/deliveries/"
                                f"{tested.json['delivery_id']}").json
    assert (delivery["origin"], delivery["status"], delivery["event_type"]) == (
        "test", "succeeded", "webhook.test")

    receiver.replies = [500]
    failed = acme.call("POST", f"/v1/webhooks/{wid}/test").json
    assert (failed["status"], failed["http_status"]) == ("failed", 500)
    assert run_worker(resources.WEBHOOK_DELIVERIES) == 0  # a test is never retried
    assert acme.call("GET", "/v1/events?types=webhook.*").json["items"] == []


def _events_happen(acme: Tenant, host: Any) -> str:
    """A session pairs (two session.status events) and gets a message; its id."""
    sid = acme.call("POST", "/v1/sessions", {"name": "shop"}).json["id"]
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {})
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound", {"from": "+4915112345678",
                                                              "text": "hello"})
    host.host.flush()
    return sid


def test_the_delivery_log_filters_and_redelivers_with_the_same_webhook_id(
        acme: Tenant, host: Any, receiver: WebhookReceiver):
    wid = subscribe(acme, receiver)["id"]
    _events_happen(acme, host)
    deliver()
    log = acme.call("GET", f"/v1/webhooks/{wid}/deliveries").json["items"]
    assert {d["status"] for d in log} == {"succeeded"} and len(log) == 3
    received = acme.call("GET", f"/v1/webhooks/{wid}/deliveries?event_type=message.*").json
    assert [d["event_type"] for d in received["items"]] == ["message.received"]
    assert acme.call("GET", f"/v1/webhooks/{wid}/deliveries?status=failed").json["items"] == []
    assert_error(acme.call("GET", f"/v1/webhooks/{wid}/deliveries?status=lost"), 422)

    target = received["items"][0]
    again = acme.call("POST", f"/v1/webhooks/{wid}/deliveries/{target['id']}/redeliver")
    assert again.status_code == 202 and again.json["status"] == "pending", again.body
    run_worker(resources.WEBHOOK_DELIVERIES)
    assert receiver.attempt_ids.count(target["event_id"]) == 2
    after = acme.call("GET", f"/v1/webhooks/{wid}/deliveries/{target['id']}").json
    assert (after["status"], after["attempt_count"]) == ("succeeded", 2)
    assert_error(acme.call("POST", f"/v1/webhooks/{wid}/deliveries/dlv_nope/redeliver"), 404)


def test_replay_sends_the_window_again_once_with_the_same_ids(
        acme: Tenant, host: Any, receiver: WebhookReceiver):
    wid = subscribe(acme, receiver)["id"]
    _events_happen(acme, host)
    deliver()
    first = list(receiver.attempt_ids)
    assert len(first) == 3
    replay = acme.call("POST", f"/v1/webhooks/{wid}/replay",
                       {"since": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime(time.time() - 3600)),
                        "event_types": ["session.*"]})
    assert replay.status_code == 202, replay.body
    assert replay.json["status"] == "queued"
    for _ in range(3):
        run_worker(resources.WEBHOOK_DELIVERIES)
    statuses = [e["id"] for e in acme.call("GET", "/v1/events?types=session.status").json[
        "items"]]
    assert receiver.attempt_ids[3:] == statuses  # the session events again, same ids, in order
    replayed = [d for d in acme.call("GET", f"/v1/webhooks/{wid}/deliveries").json["items"]
                if d["origin"] == "replay"]
    assert len(replayed) == 2 and {d["status"] for d in replayed} == {"succeeded"}

    too_old = acme.call("POST", f"/v1/webhooks/{wid}/replay",
                        {"since": "2020-01-01T00:00:00Z"})
    assert [d["field"] for d in assert_error(too_old, 422)["details"]] == ["since"]
    acme.call("PATCH", f"/v1/webhooks/{wid}", {"enabled": False})
    assert_error(acme.call("POST", f"/v1/webhooks/{wid}/replay",
                           {"since": replay.json["since"]}), 409, "webhook_disabled")


def test_a_rotated_secret_signs_beside_the_old_one(acme: Tenant, receiver: WebhookReceiver):
    created = subscribe(acme, receiver)
    old = created["secret"]
    rotated = acme.call("POST", f"/v1/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.body
    new = rotated.json["secret"]
    assert new != old and rotated.json["previous_secret_until"]
    acme.call("POST", f"/v1/webhooks/{created['id']}/test")
    body, headers = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Verifier(secret).verify(body, headers)["type"] == "webhook.test"


def test_a_sessions_webhook_url_is_a_subscription_it_can_move(acme: Tenant,
                                                               receiver: WebhookReceiver):
    created = acme.call("POST", "/v1/sessions", {"name": "s", "start": False,
                                                 "webhook_url": receiver.url}).json
    sid, secret = created["id"], created["webhook_secret"]
    [hook] = acme.call("GET", "/v1/webhooks").json["items"]
    assert (hook["session_webhook"], hook["session_ids"], hook["url"]) == (
        True, [sid], receiver.url)
    unbound = acme.call("PATCH", f"/v1/webhooks/{hook['id']}", {"session_ids": None})
    assert [d["field"] for d in assert_error(unbound, 422)["details"]] == ["session_ids"]

    other = WebhookReceiver()
    try:
        moved = acme.call("PATCH", f"/v1/sessions/{sid}", {"webhook_url": other.url})
        assert moved.status_code == 200, moved.body
        assert moved.json["webhook_secret"] is None  # the same subscription, the same secret
        assert [w["url"] for w in moved.json["webhooks"]] == [other.url]
        other.secret = secret
        acme.call("POST", f"/v1/webhooks/{hook['id']}/test")
        assert other.types() == ["webhook.test"]
    finally:
        other.close()
    removed = acme.call("PATCH", f"/v1/sessions/{sid}", {"webhook_url": None}).json
    assert removed["webhooks"] == [] and acme.call("GET", "/v1/webhooks").json["items"] == []
    again = acme.call("PATCH", f"/v1/sessions/{sid}", {"webhook_url": receiver.url}).json
    assert again["webhook_secret"].startswith("whsec_")
    assert_error(acme.call("PATCH", f"/v1/sessions/{sid}",
                           {"webhook_url": "http://169.254.169.254/"}), 422)
    acme.call("DELETE", f"/v1/sessions/{sid}")
    assert acme.call("GET", "/v1/webhooks").json["items"] == []
