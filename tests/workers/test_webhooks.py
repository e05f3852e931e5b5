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


def _session_with_hook(acme: Tenant, receiver: WebhookReceiver) -> str:
    created = acme.call("POST", "/v1/sessions", {"name": "shop", "webhook_url": receiver.url})
    receiver.secret = created.json["webhook_secret"]
    sid = created.json["id"]
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {})
    return sid


def _deliveries(tenant_id: str) -> list[dict]:
    return container().deliveries.list(tenant_id, 50, None).items


def test_session_message_and_inbound_events_arrive_signed(acme: Tenant, host,
                                                          receiver: WebhookReceiver):
    sid = _session_with_hook(acme, receiver)
    acme.call("POST", "/v1/messages", {"session_id": sid, "to": "+14155552671", "text": "yo"})
    run_worker(resources.OUTBOUND)
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound", {"from": "+4915112345678",
                                                              "text": "hello back"})
    time.sleep(0.3)  # let the sandbox recipient read it
    run_worker(resources.EVENT_QUEUE)
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
    assert {d["status"] for d in _deliveries(acme.id)} == {"delivered"}


def test_failed_delivery_is_retried_with_the_same_webhook_id(acme: Tenant, host,
                                                             receiver: WebhookReceiver):
    _session_with_hook(acme, receiver)
    receiver.replies = [500, 204, 503]  # the first event fails twice, the second goes through
    run_worker(resources.EVENT_QUEUE)
    assert receiver.types() == ["session.status"]
    retrying = [d for d in _deliveries(acme.id) if d["status"] == "retrying"]
    assert len(retrying) == 1 and retrying[0]["last_error"] == "HTTP 500"

    def retried() -> bool:
        run_worker(resources.WEBHOOK_RETRIES)
        return len(receiver.received) == 2

    wait_for(retried, timeout=10, interval=0.5)
    assert sorted(e["data"]["status"] for e in receiver.of_type("session.status")) == \
        ["SCAN_QR", "WORKING"]
    assert len({r["id"] for r in receiver.received}) == 2
    assert receiver.attempts == 4
    delivered = [d for d in _deliveries(acme.id) if d["status"] == "delivered"]
    assert sorted(d["attempts"] for d in delivered) == [1, 3]
    retried_id = receiver.attempt_ids[0]
    assert receiver.attempt_ids.count(retried_id) == 3  # one event id across its retries


def test_a_webhook_that_never_answers_ends_dead_not_dropped(acme: Tenant, host,
                                                            receiver: WebhookReceiver):
    _session_with_hook(acme, receiver)
    receiver.replies = [500] * 20
    run_worker(resources.EVENT_QUEUE)
    schedule = container().settings.retry_delays
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(
            d["status"] == "retrying" for d in _deliveries(acme.id)):
        run_worker(resources.WEBHOOK_RETRIES)
        time.sleep(0.3)
    deliveries = _deliveries(acme.id)
    assert {d["status"] for d in deliveries} == {"dead"}
    assert all(d["attempts"] == len(schedule) + 1 for d in deliveries)
    assert receiver.attempts == 2 * (len(schedule) + 1)


def test_410_gone_stops_retrying(acme: Tenant, host, receiver: WebhookReceiver):
    _session_with_hook(acme, receiver)
    receiver.replies = [410, 410]
    run_worker(resources.EVENT_QUEUE)
    assert {d["status"] for d in _deliveries(acme.id)} == {"dead"}
    assert run_worker(resources.WEBHOOK_RETRIES) == 0


def set_private_webhooks(monkeypatch: pytest.MonkeyPatch, allowed: bool) -> None:
    """Flip WAGATE_ALLOW_PRIVATE_WEBHOOKS for the rest of the test (rebuilds what reads it)."""
    from chalicelib import bootstrap
    from chalicelib.settings import get_settings

    monkeypatch.setenv("WAGATE_ALLOW_PRIVATE_WEBHOOKS", str(allowed).lower())
    get_settings.cache_clear()
    bootstrap.container().settings = get_settings()
    for built in ("webhooks", "webhook_urls", "session_service"):
        bootstrap.container().__dict__.pop(built, None)


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> Sockets:
    return guard_sockets(monkeypatch)


def test_a_loopback_hook_is_refused_at_delivery_once_private_is_off(
        acme: Tenant, host, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch,
        sockets: Sockets):
    _session_with_hook(acme, receiver)  # registered while the local stack allowed loopback
    set_private_webhooks(monkeypatch, False)
    run_worker(resources.EVENT_QUEUE)
    assert receiver.attempts == 0
    deliveries = _deliveries(acme.id)
    assert len(deliveries) == 2 and {d["status"] for d in deliveries} == {"retrying"}
    assert {d["last_error"] for d in deliveries} == {
        "refused: webhook_url: private or reserved address: 127.0.0.1 is loopback"}
    assert {d["last_status_code"] for d in deliveries} == {0}


def test_a_hook_that_rebinds_to_the_metadata_service_is_never_connected_to(
        acme: Tenant, host, monkeypatch: pytest.MonkeyPatch, sockets: Sockets):
    # Private webhooks are allowed (make run's default): metadata stays refused all the same.
    sockets.names["hooks.example.test"] = [[FAKE_PUBLIC_IP], ["169.254.169.254"]]
    created = acme.call("POST", "/v1/sessions", {"name": "shop", "start": False,
                                                 "webhook_url": "http://hooks.example.test/in"})
    assert created.status_code == 201, created.body
    acme.call("POST", f"/v1/sessions/{created.json['id']}/start")
    run_worker(resources.EVENT_QUEUE)
    deliveries = _deliveries(acme.id)
    assert deliveries and {d["status"] for d in deliveries} == {"retrying"}
    assert {d["last_error"] for d in deliveries} == {
        "refused: webhook_url: private or reserved address: hooks.example.test resolves to "
        "169.254.169.254, which is a cloud metadata address"}
    assert "169.254.169.254" not in sockets.connected
    assert FAKE_PUBLIC_IP not in sockets.connected
