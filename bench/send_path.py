"""AWS calls per send, and the send worker's throughput against a floor.

    .venv/bin/python bench/send_path.py [--messages 200]

Everything runs in-process on moto (API through chalice.test.Client with an API key, the send
worker fed Lambda-shaped events, one session host on the sandbox engine, the event worker
delivering to a local webhook). Prints:
- AWS calls on the API path of one accepted text send (warm: caches filled by a first send),
  with and without an Idempotency-Key;
- DynamoDB writes over one message's whole life (accept → sent → delivered → read, plus the
  webhook delivery log), by operation;
- the send worker's throughput (API-accepted messages delivered through the host until
  "sent") as a ratio to bare DynamoDB PutItem calls measured in the same run.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.update({
    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1", "WAGATE_PREFIX": "wagate-bench",
    "WAGATE_JWT_SECRET": "bench-secret-bench-secret-bench-secret",
    "WAGATE_INTERNAL_SECRET": "bench",
    "WAGATE_FAST_PASSWORD_HASHES": "true", "WAGATE_SEND_INTERVAL_MS": "0",
    "WAGATE_ALLOW_PRIVATE_WEBHOOKS": "true",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

from chalice.test import Client
from moto import mock_aws

from app import app
from bench._support import WRITES, Calls, drain
from chalicelib import bootstrap, resources
from chalicelib.adapters import aws
from chalicelib.adapters.provision import provision
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.devstack.runtime import LocalLambdaRuntime
from chalicelib.domain.auth import Role
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from chalicelib.sessionhost.host import SessionHost
from chalicelib.sessionhost.server import make_server


def main() -> None:
    serialize_in_process_moto()
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    calls = Calls()
    with mock_aws(), tempfile.TemporaryDirectory() as state, Client(app) as client:
        calls.install()
        c = bootstrap.container()
        provision(aws.client("dynamodb"), aws.client("sqs"), c.settings.prefix,
                  aws.client("s3"), aws.client("scheduler"))
        c.auth.ensure_tenant("bench", "Bench")
        c.auth.create_user(None, "bench", "bench-admin", "bench-password-1", Role.OWNER)
        token = c.auth.login("bench-admin", "bench-password-1")[0]
        principal = c.auth.authenticate(token)
        key = c.auth.create_api_key(principal, "bench", ["sessions:write", "sessions:read",
                                                         "messages:send", "messages:read"])[1]
        headers = {"X-Api-Key": key, "Content-Type": "application/json"}

        engine = SandboxEngine(delivery_ms=20, read_ms=40)
        host = SessionHost("bench-host", "http://127.0.0.1:0", 50, c.sessions, c.messages,
                           c.hosts, c.events, {"sandbox": engine}, Path(state),
                           media=c.media_store, chats=c.chat_repo)
        server = make_server(host, c.internal_secret, "127.0.0.1", 0)
        host.address = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host.run_background(heartbeat=False)
        host.register()
        receiver = WebhookReceiver()
        created = client.http.post("/v1/sessions", headers=headers, body=(
            f'{{"name": "bench", "webhook_url": "{receiver.url}"}}')).json_body
        receiver.secret = created["webhook_secret"]
        sid = created["id"]
        while c.sessions.get("bench", sid).status != "SCAN_QR":
            time.sleep(0.01)
        host.live("bench", sid, "sandbox.scan", {"phone": None})
        runtime = LocalLambdaRuntime(app, aws.client("sqs"), "us-east-1")
        body = f'{{"session_id": "{sid}", "to": "+14155552671", "text": "hello"}}'

        warm = client.http.post("/v1/messages", headers=headers, body=body).json_body["id"]
        calls.take()
        idem = client.http.post("/v1/messages", body=body,
                                headers={**headers, "Idempotency-Key": "bench-1"}).json_body
        api_idem = calls.take()
        drain(runtime, resources.OUTBOUND)
        for mid in (warm, idem["id"]):  # let the warm-up messages finish their lives first
            while c.messages.get("bench", mid).status != "read":
                time.sleep(0.01)
        host.flush()
        drain(runtime, resources.EVENT_QUEUE)
        drain(runtime, resources.WEBHOOK_DELIVERIES)
        calls.take()

        accepted = client.http.post("/v1/messages", headers=headers, body=body).json_body
        api = calls.take()

        life = collections.Counter(api)
        drain(runtime, resources.OUTBOUND)
        while c.messages.get("bench", accepted["id"]).status != "read":
            time.sleep(0.01)
        host.flush()
        drain(runtime, resources.EVENT_QUEUE)
        drain(runtime, resources.WEBHOOK_DELIVERIES)
        life += calls.take()
        receiver.close()

        print(f"API path of one send (warm, API key):        {sum(api.values())} AWS calls "
              f"— {dict(api)}")
        print(f"… with an Idempotency-Key:                   {sum(api_idem.values())} AWS calls")
        dynamo_writes = {k: v for k, v in life.items()
                         if k.startswith("dynamodb:") and k.split(":")[1] in WRITES}
        print(f"DynamoDB writes over one message's life:     {sum(dynamo_writes.values())} "
              f"— {dynamo_writes}")
        print(f"All AWS calls over that life:                {sum(life.values())} "
              f"— {dict(life)}")

        # Throughput: N accepted messages through the worker and the host, until "sent".
        n = args.messages
        ids = [client.http.post("/v1/messages", headers=headers, body=body).json_body["id"]
               for _ in range(n)]
        started = time.perf_counter()
        drain(runtime, resources.OUTBOUND)
        worker_s = time.perf_counter() - started
        assert all(c.messages.get("bench", m).status in ("sent", "delivered", "read")
                   for m in ids)
        name = resources.MESSAGES.physical_name(c.settings.prefix)
        table = aws.dynamodb().Table(name)
        started = time.perf_counter()
        for i in range(n):
            table.put_item(Item={"pk": "floor", "sk": f"F#{i}", "v": i})
        floor_s = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(n):
            aws.dynamodb().meta.client.transact_write_items(TransactItems=[{"Put": {
                "TableName": name, "Item": {"pk": "floor", "sk": f"T#{i}", "v": i}}}])
        txn_s = time.perf_counter() - started
        print(f"send worker (accepted → sent through the host): {n / worker_s:8.1f} msg/s")
        print(f"floor, bare PutItem (same run):                 {n / floor_s:8.1f} /s "
              f"→ ratio {floor_s / worker_s:.3f}")
        print(f"floor, bare one-item TransactWriteItems:        {n / txn_s:8.1f} /s "
              f"→ ratio {txn_s / worker_s:.3f}")
        host.kill()
        server.shutdown()


if __name__ == "__main__":
    main()
