"""Webhooks: every event reaches the session's webhook signed, retried, or ends visibly dead."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from chalicelib import resources
from chalicelib.bootstrap import container
from chalicelib.devstack.listen import WebhookReceiver
from tests.adapters.test_safe_fetch import FAKE_PUBLIC_IP, Sockets, guard_sockets
from tests.conftest import Tenant, run_worker, wait_for


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def _session_with_hook(acme: Tenant, receiver: WebhookReceiver) -> tuple[str, str]:
    """A working session whose webhook_url is the receiver; (session id, webhook id)."""
    created = acme.call("POST", "/v1/sessions", {"name": "shop", "webhook_url": receiver.url})
    receiver.secret = created.json["webhook_secret"]
    sid = created.json["id"]
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {})
    return sid, created.json["webhooks"][0]["id"]


def _deliveries(acme: Tenant, webhook_id: str) -> list[dict]:
    answer = acme.call("GET", f"/v1/webhooks/{webhook_id}/deliveries?limit=100")
    assert answer.status_code == 200, answer.body
    return answer.json["items"]


def deliver() -> None:
    """Events → fan-out → first attempts, like the two workers on AWS."""
    run_worker(resources.EVENT_QUEUE)
    run_worker(resources.WEBHOOK_DELIVERIES)


def work_retries(acme: Tenant, webhook_id: str, timeout: float = 15) -> list[dict]:
    """Work the deliveries queue until no delivery is pending or retrying; the deliveries."""
    deadline = time.monotonic() + timeout
    while True:
        run_worker(resources.WEBHOOK_DELIVERIES)
        deliveries = _deliveries(acme, webhook_id)
        if not any(d["status"] in ("pending", "retrying") for d in deliveries) or \
                time.monotonic() > deadline:
            return deliveries
        time.sleep(0.3)


def test_session_message_and_inbound_events_arrive_signed(acme: Tenant, host,
                                                          receiver: WebhookReceiver):
    sid, wid = _session_with_hook(acme, receiver)
    acme.call("POST", "/v1/messages", {"session_id": sid, "to": "+14155552671", "text": "yo"})
    run_worker(resources.OUTBOUND)
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound", {"from": "+4915112345678",
                                                              "text": "hello back"})
    time.sleep(0.3)  # let the sandbox recipient read it
    deliver()
    assert receiver.rejected == []
    assert [e["data"]["status"] for e in receiver.of_type("session.status")] == \
        ["SCAN_QR", "WORKING"]
    assert [e["data"]["status"] for e in receiver.of_type("message.status")] == \
        ["sent", "delivered", "read"]
    inbound = receiver.of_type("message.received")[0]
    assert inbound["data"]["text"] == "hello back"
    assert inbound["data"]["session_id"] == sid
    assert inbound["data"]["sender_phone"] == "+4915112345678"
    assert all(set(e) == {"type", "timestamp", "data"} for e in
               (r["payload"] for r in receiver.received))
    deliveries = _deliveries(acme, wid)
    assert {d["status"] for d in deliveries} == {"succeeded"}
    assert {d["event_id"] for d in deliveries} == {r["id"] for r in receiver.received}
    assert all(d["attempts"][0]["http_status"] == 204 for d in deliveries)


def test_failed_delivery_is_retried_with_the_same_webhook_id(acme: Tenant, host,
                                                             receiver: WebhookReceiver):
    _, wid = _session_with_hook(acme, receiver)
    receiver.replies = [500, 204, 503]  # the first event fails twice, the second goes through
    deliver()
    assert receiver.types() == ["session.status"]
    retrying = [d for d in _deliveries(acme, wid) if d["status"] == "retrying"]
    assert len(retrying) == 1 and retrying[0]["attempts"][0]["error"] == "HTTP 500"
    assert retrying[0]["next_attempt_at"] is not None

    deliveries = work_retries(acme, wid)
    assert sorted(e["data"]["status"] for e in receiver.of_type("session.status")) == \
        ["SCAN_QR", "WORKING"]
    assert len({r["id"] for r in receiver.received}) == 2
    assert receiver.attempts == 4
    assert {d["status"] for d in deliveries} == {"succeeded"}
    assert sorted(d["attempt_count"] for d in deliveries) == [1, 3]
    retried_id = receiver.attempt_ids[0]
    assert receiver.attempt_ids.count(retried_id) == 3  # one event id across its retries


def test_a_webhook_that_never_answers_ends_failed_not_dropped(acme: Tenant, host,
                                                              receiver: WebhookReceiver):
    _, wid = _session_with_hook(acme, receiver)
    receiver.replies = [500] * 20
    deliver()
    schedule = container().settings.retry_delays
    deliveries = work_retries(acme, wid)
    assert {d["status"] for d in deliveries} == {"failed"}
    assert all(d["attempt_count"] == len(schedule) + 1 for d in deliveries)
    assert receiver.attempts == 2 * (len(schedule) + 1)
    webhook = acme.call("GET", f"/v1/webhooks/{wid}").json
    assert webhook["enabled"] and webhook["failing_since"] is not None


def test_410_gone_disables_the_webhook_and_tells_the_others(acme: Tenant, host,
                                                            receiver: WebhookReceiver):
    other = WebhookReceiver()
    try:
        hook = acme.call("POST", "/v1/webhooks", {"url": other.url,
                                                  "events": ["webhook.*"]}).json
        other.secret = hook["secret"]
        _, wid = _session_with_hook(acme, receiver)
        receiver.replies = [410, 410]
        deliver()
        assert {d["status"] for d in _deliveries(acme, wid)} == {"failed"}
        webhook = acme.call("GET", f"/v1/webhooks/{wid}").json
        assert (webhook["enabled"], webhook["disabled_reason"]) == (False, "gone")
        deliver()
        [disabled] = other.of_type("webhook.disabled")
        assert disabled["data"] == {"webhook_id": wid, "url": receiver.url, "reason": "gone"}
        assert receiver.attempts == 1  # the second event was not sent to a disabled webhook
    finally:
        other.close()


def set_private_webhooks(monkeypatch: pytest.MonkeyPatch, allowed: bool) -> None:
    """Flip WAGATE_ALLOW_PRIVATE_WEBHOOKS for the rest of the test (rebuilds what reads it)."""
    from chalicelib import bootstrap
    from chalicelib.settings import get_settings

    monkeypatch.setenv("WAGATE_ALLOW_PRIVATE_WEBHOOKS", str(allowed).lower())
    get_settings.cache_clear()
    bootstrap.container().settings = get_settings()
    for built in ("webhook_urls", "webhook_sender", "session_service", "subscription_service",
                  "delivery_service"):
        bootstrap.container().__dict__.pop(built, None)


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> Sockets:
    return guard_sockets(monkeypatch)


def test_a_loopback_hook_is_refused_at_delivery_once_private_is_off(
        acme: Tenant, host, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch,
        sockets: Sockets):
    _, wid = _session_with_hook(acme, receiver)  # registered while the stack allowed loopback
    set_private_webhooks(monkeypatch, False)
    deliver()
    assert receiver.attempts == 0
    deliveries = _deliveries(acme, wid)
    assert len(deliveries) == 2 and {d["status"] for d in deliveries} == {"retrying"}
    assert {d["attempts"][0]["error"] for d in deliveries} == {
        "refused: webhook_url: private or reserved address: 127.0.0.1 is loopback"}
    assert {d["attempts"][0]["http_status"] for d in deliveries} == {None}


def test_a_hook_that_rebinds_to_the_metadata_service_is_never_connected_to(
        acme: Tenant, host, monkeypatch: pytest.MonkeyPatch, sockets: Sockets):
    # Private webhooks are allowed (make run's default): metadata stays refused all the same.
    sockets.names["hooks.example.test"] = [[FAKE_PUBLIC_IP], ["169.254.169.254"]]
    created = acme.call("POST", "/v1/sessions", {"name": "shop", "start": False,
                                                 "webhook_url": "http://hooks.example.test/in"})
    assert created.status_code == 201, created.body
    acme.call("POST", f"/v1/sessions/{created.json['id']}/start")
    deliver()
    deliveries = _deliveries(acme, created.json["webhooks"][0]["id"])
    assert deliveries and {d["status"] for d in deliveries} == {"retrying"}
    assert {d["attempts"][0]["error"] for d in deliveries} == {
        "refused: webhook_url: private or reserved address: hooks.example.test resolves to "
        "169.254.169.254, which is a cloud metadata address"}
    assert "169.254.169.254" not in sockets.connected
    assert FAKE_PUBLIC_IP not in sockets.connected
