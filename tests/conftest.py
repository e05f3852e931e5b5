"""Shared fixtures: moto-backed AWS with the declared resources, the Chalice test client,
logged-in callers, and an in-process session host with the sandbox engine."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "WAGATE_PREFIX": "wagate-test", "WAGATE_JWT_SECRET": "test-jwt-secret-0123456789abcdef",
    "WAGATE_INTERNAL_SECRET": "test-internal-secret", "WAGATE_FAST_PASSWORD_HASHES": "true",
    "WAGATE_OTP_PEPPER": "test-otp-pepper-0123456789abcdef",
    "WAGATE_SEND_INTERVAL_MS": "0",
    "WAGATE_ALLOW_PRIVATE_WEBHOOKS": "true", "WAGATE_WEBHOOK_RETRY_SCHEDULE": "1,1,1",
    "WAGATE_PUSH_PROVIDER": "sandbox",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

from chalice.test import Client
from hypothesis import settings as hypothesis_settings
from moto import mock_aws

from app import app
from chalicelib import bootstrap, resources
from chalicelib.adapters import aws as aws_clients
from chalicelib.devstack import routing
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.devstack.launch import free_port, wait_until
from chalicelib.domain import clock
from chalicelib.domain.auth import Role
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from chalicelib.sessionhost.host import SessionHost
from chalicelib.sessionhost.server import make_server
from tests.moto_resources import provision_fresh

# Tests never time things: a slow machine (or a loaded CI runner) must not fail an example.
hypothesis_settings.register_profile("wagate", deadline=None)
hypothesis_settings.load_profile("wagate")
serialize_in_process_moto()  # API, workers and hosts share moto from several threads
routing.install()  # unknown paths reach the catch-all route, as on API Gateway
ADMIN_PASSWORD = "admin-password-123"
PASSWORD = "member-password-123"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        bootstrap.reset()
        provision_fresh(os.environ["AWS_DEFAULT_REGION"])
        yield
        bootstrap.reset()


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[float], None]]:
    """Move the gateway's clock: ``later(seconds)`` shifts it forward from then on."""
    real = clock.now
    shift = [timedelta(0)]
    monkeypatch.setattr(clock, "now", lambda: real() + shift[0])

    def move(seconds: float) -> None:
        shift[0] += timedelta(seconds=seconds)

    yield move


@pytest.fixture
def client(aws: None) -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def call(client: Client, method: str, path: str, token: str | None = None,
         body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """One API call; returns the response with ``.json`` (None when the body is not JSON)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, str | bytes) else (json.dumps(body) if body is not None
                                                      else None)
    response = getattr(client.http, method.lower())(path, headers=all_headers, body=raw)
    try:
        response.json = json.loads(response.body) if response.body else None
    except (ValueError, UnicodeDecodeError):
        response.json = None
    return response


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is our error envelope with this status (and code)."""
    assert response.status_code == status, (response.status_code, response.body)
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"}
    if code:
        assert error["code"] == code, error
    return error


class Tenant:
    """A tenant with an owner logged in, and helpers to act as it."""

    def __init__(self, client: Client, tenant_id: str, username: str, token: str) -> None:
        self.client, self.id, self.username, self.token = client, tenant_id, username, token

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        return call(self.client, method, path, self.token, body, **kwargs)

    def member(self, username: str | None = None) -> Tenant:
        """A member of this tenant, logged in."""
        username = username or f"{self.username}-member"
        added = self.call("POST", f"/v1/tenants/{self.id}/users",
                          {"username": username, "password": PASSWORD, "role": "member"})
        assert added.status_code == 201, added.body
        token = call(self.client, "POST", "/v1/auth/login",
                     body={"username": username, "password": PASSWORD}).json["token"]
        return Tenant(self.client, self.id, username, token)

    def api_key(self, scopes: list[str]) -> str:
        response = self.call("POST", "/v1/api-keys", {"name": "k", "scopes": scopes})
        assert response.status_code == 201, response.body
        return response.json["key"]


@pytest.fixture
def admin_token(client: Client) -> str:
    tenancy = bootstrap.container().tenancy
    tenancy.ensure_tenant("default", "Default")
    tenancy.create_user(None, "default", "admin", ADMIN_PASSWORD, Role.ADMIN)
    return call(client, "POST", "/v1/auth/login", body={"username": "admin",
                                                         "password": ADMIN_PASSWORD}).json["token"]


@pytest.fixture
def make_tenant(client: Client, admin_token: str) -> Callable[[str], Tenant]:
    def make(name: str) -> Tenant:
        tenant = call(client, "POST", "/v1/tenants", admin_token, {"name": name}).json
        username = f"{name.lower()}-owner"
        created = call(client, "POST", f"/v1/tenants/{tenant['id']}/users", admin_token,
                       {"username": username, "password": PASSWORD, "role": "owner"})
        assert created.status_code == 201, created.body
        token = call(client, "POST", "/v1/auth/login",
                     body={"username": username, "password": PASSWORD}).json["token"]
        return Tenant(client, tenant["id"], username, token)

    return make


@pytest.fixture
def acme(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


@pytest.fixture
def globex(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Globex")


class RunningHost:
    """An in-process session host serving its internal API on a free loopback port."""

    def __init__(self, host: SessionHost, server: Any, engine: SandboxEngine) -> None:
        self.host, self.server, self.engine = host, server, engine

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_host(state_dir: Path, host_id: str = "host-1", lease_ttl_s: float = 30,
               background: bool = False, reconnect_attempts: int = 3,
               self_check_s: float = 0) -> RunningHost:
    c = bootstrap.container()
    port = free_port()
    engine = SandboxEngine(delivery_ms=50, read_ms=120, qr_rotate_s=20)
    engine.recipients = c.sandbox_recipients
    host = SessionHost(host_id, f"http://127.0.0.1:{port}", 50, c.sessions, c.messages, c.hosts,
                       c.events, {"sandbox": engine}, state_dir, lease_ttl_s,
                       reconnect_attempts=reconnect_attempts, reconnect_base_s=0.02,
                       reconnect_cap_s=0.1, media=c.media_store, self_check_s=self_check_s,
                       contacts=c.contacts, chats=c.chat_repo)
    server = make_server(host, c.internal_keys, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()  # stop() waits one poll: keep it short
    host.heartbeat()
    host.run_background(heartbeat=background)
    return RunningHost(host, server, engine)


@pytest.fixture
def working(acme: Tenant, host: RunningHost) -> str:
    """A paired, WORKING sandbox session of acme (phone +14155550100)."""
    sid = acme.call("POST", "/v1/sessions", {"name": "shop"}).json["id"]
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550100"})
    return sid


@pytest.fixture
def host(aws: None, tmp_path: Path) -> Iterator[RunningHost]:
    running = start_host(tmp_path / "state")
    yield running
    running.host.kill()
    running.stop()


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; its value, or an AssertionError when it never is
    (the bound is generous: it only ends a wait that would otherwise hang)."""
    try:
        return wait_until(predicate, timeout, "the condition", interval)
    except TimeoutError as timed_out:
        raise AssertionError(str(timed_out)) from None


def queue_url(queue: resources.Queue, dlq: bool = False) -> str:
    prefix = bootstrap.container().settings.prefix
    name = queue.dlq_physical_name(prefix) if dlq else queue.physical_name(prefix)
    return aws_clients.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def receive(queue: resources.Queue, max_messages: int = 10) -> list[dict[str, Any]]:
    """Raw SQS messages waiting in a queue (with their attributes)."""
    return aws_clients.client("sqs").receive_message(
        QueueUrl=queue_url(queue), MaxNumberOfMessages=max_messages, WaitTimeSeconds=0,
        AttributeNames=["All"], VisibilityTimeout=0).get("Messages", [])


def run_worker(queue: resources.Queue, rounds: int = 20) -> int:
    """Feed a queue's records to its handler like Lambda does, until the queue is empty.

    Uses the local Lambda runtime of ``make run``; returns how many records were handled.
    """
    from chalicelib.devstack.runtime import LocalLambdaRuntime

    sqs = aws_clients.client("sqs")
    runtime = LocalLambdaRuntime(app, sqs, "us-east-1")
    source = next(s for s in app.event_sources
                  if getattr(s, "queue", None) == queue.physical_name(
                      bootstrap.container().settings.prefix))
    url = queue_url(queue)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    handled = 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       AttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        handled += len(messages)
        runtime.invoke_sqs(source, url, arn, messages)
    return handled


@contextlib.contextmanager
def static_site(pages: dict[str, tuple[bytes, str]]) -> Iterator[str]:
    """A loopback web server answering GET with ``pages`` (path -> body, MIME type), 404
    otherwise; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, mime = pages.get(self.path, (b"", "text/plain"))
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", mime)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()  # stop() waits one poll: keep it short
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def held_session(tenant_id: str, session_id: str, host_id: str) -> int:
    """A WORKING session stored and leased to ``host_id`` for an hour; its fencing token."""
    from chalicelib.domain.sessions import Session, SessionStatus

    sessions = bootstrap.container().sessions
    now = clock.now_iso()
    sessions.create(Session(id=session_id, tenant_id=tenant_id, name="held", engine="sandbox",
                            status=SessionStatus.WORKING, created_at=now, updated_at=now))
    fence = sessions.claim(tenant_id, session_id, host_id, 3_600_000, int(time.time() * 1000))
    assert fence is not None
    return fence


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests (minutes of an end-to-end stack, mostly waiting) first: each xdist
    worker starts one at once and the others run beside them, so the suite takes about as
    long as the slowest, not their sum."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)
