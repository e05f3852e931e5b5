"""What the in-process benchmarks share: provisioning moto with a tenant and its API key, a
session host serving on loopback, counting AWS calls, and working a queue the way the local
Lambda runtime does."""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from chalice.test import Client

from app import app
from chalicelib import bootstrap, resources
from chalicelib.adapters import aws
from chalicelib.adapters.provision import provision
from chalicelib.bootstrap import Container
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.devstack.runtime import LocalLambdaRuntime
from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal, Role
from chalicelib.domain.sessions import Session, SessionStatus
from chalicelib.sessionhost.engines.base import EngineBase
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from chalicelib.sessionhost.host import SessionHost
from chalicelib.sessionhost.server import make_server

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
# What Lambda's event source mapping does on AWS (not the function): receive and delete.
POLLER = {"sqs:ReceiveMessage", "sqs:DeleteMessageBatch"}


def _tables(operation: str, params: dict[str, Any]) -> list[str]:
    """The tables a DynamoDB write names (one entry per item for the batch operations)."""
    if operation == "BatchWriteItem":
        return [table for table, items in params.get("RequestItems", {}).items()
                for _ in items]
    if operation == "TransactWriteItems":
        return [next(iter(item.values()))["TableName"] for item in params["TransactItems"]]
    return [params.get("TableName", "?")]


class Calls:
    """Counts every AWS API call made by clients built after ``install``; ``writes`` counts
    DynamoDB writes by ``"Operation table"`` (the table without the stack's prefix)."""

    def __init__(self, prefix: str = "") -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.writes: collections.Counter[str] = collections.Counter()
        self.items: collections.Counter[str] = collections.Counter()
        self._prefix = prefix

    def install(self) -> None:
        aws.reset()
        bootstrap.reset()
        events = aws._session()._session
        events.register("before-call", self._count)
        events.register("before-parameter-build.dynamodb", self._tables)

    def _count(self, model: Any, **_: object) -> None:
        self.counts[f"{model.service_model.service_name}:{model.name}"] += 1

    def _tables(self, model: Any, params: dict[str, Any], **_: object) -> None:
        if model.name in WRITES:
            tables = _tables(model.name, params)
            for table in set(tables):
                self.writes[f"{model.name} {table.removeprefix(self._prefix + '-')}"] += 1
            for table in tables:
                self.items[f"{model.name} {table.removeprefix(self._prefix + '-')}"] += 1

    def take(self) -> collections.Counter[str]:
        """The calls since the last take (and forget the writes' breakdown too)."""
        taken, self.counts = self.counts, collections.Counter()
        self.writes, self.items = collections.Counter(), collections.Counter()
        return taken

    def take_all(self) -> tuple[collections.Counter[str], collections.Counter[str],
                                collections.Counter[str]]:
        """(calls, writes by operation and table, items written by operation and table)."""
        writes, items = self.writes, self.items
        return self.take(), writes, items


def without_poller(calls: collections.Counter[str]) -> collections.Counter[str]:
    """The calls the function itself made (not the event source mapping's)."""
    return collections.Counter({k: v for k, v in calls.items() if k not in POLLER})


_urls: dict[str, str] = {}


def queue_url(name: str) -> str:
    """A queue's URL, looked up once (what Lambda's event source mapping knows already)."""
    if name not in _urls:
        _urls[name] = aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
    return _urls[name]


def drain(runtime: LocalLambdaRuntime, queue: resources.Queue,
          max_records: int | None = None) -> int:
    """Feed ``queue``'s visible records to its handler, ten at a time, until it is empty (or
    ``max_records`` were handled); returns how many were handled."""
    sqs = aws.client("sqs")
    prefix = bootstrap.container().settings.prefix
    url = queue_url(queue.physical_name(prefix))
    source = next(s for s in app.event_sources
                  if getattr(s, "queue", None) == queue.physical_name(prefix))
    handled = 0
    while max_records is None or handled < max_records:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       AttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        runtime.invoke_sqs(source, url, "arn:aws:sqs:us-east-1:000000000000:q", messages)
        handled += len(messages)
    return handled


def provision_tenant(scopes: list[str]) -> dict[str, str]:
    """Create every resource on moto and tenant "bench" with an owner; the headers of an API
    key of that tenant with ``scopes``."""
    c = bootstrap.container()
    provision(aws.client("dynamodb"), aws.client("sqs"), c.settings.prefix, aws.client("s3"),
              aws.client("scheduler"))
    c.tenancy.ensure_tenant("bench", "Bench")
    c.tenancy.create_user(None, "bench", "bench-admin", "bench-password-1", Role.OWNER)
    principal = c.auth.authenticate(c.auth.login("bench-admin", "bench-password-1")[0])
    key = c.auth.create_api_key(principal, "bench", scopes)[1]
    return {"X-Api-Key": key, "Content-Type": "application/json"}


def serve_host(engine: EngineBase, state: Path, capacity: int = 50) -> tuple[SessionHost, Any]:
    """A session host on ``engine`` serving its internal API on a free loopback port, its
    worker running (no heartbeat: the bench drives it), registered in the fleet."""
    c = bootstrap.container()
    host = SessionHost("bench-host", "http://127.0.0.1:0", capacity, c.sessions, c.messages,
                       c.hosts, c.events, {engine.name: engine}, state, media=c.media_store,
                       contacts=c.contacts, chats=c.chat_repo)
    server = make_server(host, c.internal_keys, "127.0.0.1", 0)
    host.address = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host.run_background(heartbeat=False)
    host.register()
    return host, server


def show(calls: collections.Counter[str], per: int = 1) -> str:
    """``total (API count, …)``, per ``per`` operations."""
    parts = ", ".join(f"{name} {count / per:g}" for name, count in sorted(calls.items()))
    return f"{sum(calls.values()) / per:g} ({parts})"


def bench_owner(*scopes: str, tenant_id: str = "bench") -> Principal:
    return Principal(tenant_id=tenant_id, user_id="bench-owner", role=Role.OWNER,
                     scopes=frozenset(scopes))


@dataclass(frozen=True)
class OwnerWorld:
    calls: Calls
    container: Container
    owner: Principal
    session: Session


def owner_world(*scopes: str) -> OwnerWorld:
    """Inside ``mock_aws``: AWS calls counted (by table, under the stack's prefix), every
    resource provisioned, tenant "bench" whose owner holds ``scopes`` (and messages:send),
    and a stored WORKING session."""
    calls = Calls(os.environ["WAGATE_PREFIX"])
    calls.install()
    provision_tenant(list(scopes))
    return OwnerWorld(calls, bootstrap.container(), bench_owner(*scopes, "messages:send"),
                      stored_working_session())


def stored_working_session(tenant_id: str = "bench") -> Session:
    """A paired, WORKING sandbox session stored as a host would leave it (no host runs)."""
    now = clock.now_iso()
    session = Session(id=ids.new_id(), tenant_id=tenant_id, name="bench", engine="sandbox",
                      status=SessionStatus.WORKING, phone="+14155550100", created_at=now,
                      updated_at=now)
    bootstrap.container().sessions.create(session)
    return session


@dataclass
class SendWorld:
    """A tenant with a paired sandbox session on an in-process host, its webhook a loopback
    receiver that verifies every signature, and the local Lambda runtime to feed the workers."""

    client: Client
    headers: dict[str, str]
    host: SessionHost
    server: Any
    receiver: WebhookReceiver
    runtime: LocalLambdaRuntime
    session_id: str

    def close(self) -> None:
        self.receiver.close()
        self.host.kill()
        self.server.shutdown()


def send_world(client: Client, state: Path) -> SendWorld:
    """Inside ``mock_aws`` (calls already counted): provision, serve a sandbox host, create a
    session with a webhook and pair it."""
    c = bootstrap.container()
    headers = provision_tenant(["sessions:write", "sessions:read", "messages:send",
                                "messages:read"])
    host, server = serve_host(SandboxEngine(delivery_ms=20, read_ms=40), state)
    receiver = WebhookReceiver()
    created = client.http.post("/v1/sessions", headers=headers, body=(
        f'{{"name": "bench", "webhook_url": "{receiver.url}"}}')).json_body
    receiver.secret = created["webhook_secret"]
    sid = created["id"]
    while c.sessions.get("bench", sid).status != "SCAN_QR":
        time.sleep(0.01)
    host.live("bench", sid, "sandbox.scan", {})
    return SendWorld(client, headers, host, server, receiver,
                     LocalLambdaRuntime(app, aws.client("sqs"), "us-east-1"), sid)


T = TypeVar("T")
# The phases of one message's life, in order, as ``message_life`` reports them.
LIFE_PHASES = ("api", "send worker", "host", "event worker", "webhook worker")


def message_life(world: SendWorld, body: str, take: Callable[[], T],
                 headers: dict[str, str] | None = None) -> tuple[str, dict[str, T]]:
    """Send one message through the API and follow it to "read" with its events delivered;
    ``take()`` is called after each phase (see ``LIFE_PHASES``: the API request; the send
    worker, with the host's hand-over to WhatsApp; the host's status updates; the event
    worker; the webhook delivery worker). Returns the message id and what each take gave."""
    c = bootstrap.container()
    take()
    mid = world.client.http.post("/v1/messages", headers=headers or world.headers,
                                 body=body).json_body["id"]
    taken = {"api": take()}
    drain(world.runtime, resources.OUTBOUND)
    taken["send worker"] = take()
    while c.messages.get("bench", mid).status != "read":
        time.sleep(0.01)
    world.host.flush()
    taken["host"] = take()
    drain(world.runtime, resources.EVENT_QUEUE)
    taken["event worker"] = take()
    drain(world.runtime, resources.WEBHOOK_DELIVERIES)
    taken["webhook worker"] = take()
    return mid, taken
