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
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update({**BENCH_ENV, "WAGATE_SEND_INTERVAL_MS": "0",
                   "WAGATE_ALLOW_PRIVATE_WEBHOOKS": "true"})
os.environ.pop("AWS_ENDPOINT_URL", None)

from chalice.test import Client
from moto import mock_aws

from app import app
from bench._support import WRITES, Calls, drain, message_life, send_world
from chalicelib import bootstrap, resources
from chalicelib.adapters import aws
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.domain.governor import MAX_PER_MINUTE


def main() -> None:
    serialize_in_process_moto()
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    calls = Calls()
    with mock_aws(), tempfile.TemporaryDirectory() as state, Client(app) as client:
        calls.install()
        c = bootstrap.container()
        world = send_world(client, Path(state))
        headers, runtime = world.headers, world.runtime
        body = f'{{"session_id": "{world.session_id}", "to": "+14155552671", "text": "hello"}}'
        message_life(world, body, calls.take)  # warm: fills the caches
        api_idem = message_life(world, body, calls.take,
                                {**headers, "Idempotency-Key": "bench-1"})[1]["api"]
        phases = message_life(world, body, calls.take)[1]
        api = phases["api"]
        life = sum(phases.values(), collections.Counter())

        print(f"API path of one send (warm, API key):        {sum(api.values())} AWS calls "
              f"— {dict(api)}")
        print(f"… with an Idempotency-Key:                   {sum(api_idem.values())} AWS calls")
        dynamo_writes = {k: v for k, v in life.items()
                         if k.startswith("dynamodb:") and k.split(":")[1] in WRITES}
        print(f"DynamoDB writes over one message's life:     {sum(dynamo_writes.values())} "
              f"— {dynamo_writes}")
        print(f"All AWS calls over that life:                {sum(life.values())} "
              f"— {dict(life)}")

        # Throughput: N accepted messages through the worker and the host, until "sent", with
        # the session's governor budget at the most (it would spread a burst of sends over
        # minutes: that is not the worker's speed).
        limits = client.http.put(
            f"/v1/sessions/{world.session_id}/limits", headers=headers,
            body=json.dumps({"messages_per_minute": {"normal": MAX_PER_MINUTE}}))
        assert limits.status_code == 200, limits.body
        n = args.messages
        ids = [client.http.post("/v1/messages", headers=headers, body=body).json_body["id"]
               for _ in range(n)]
        started = time.perf_counter()
        drain(runtime, resources.OUTBOUND)
        worker_s = time.perf_counter() - started
        statuses = collections.Counter(c.messages.get("bench", m).status for m in ids)
        assert set(statuses) <= {"sent", "delivered", "read"}, statuses
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
        world.close()


if __name__ == "__main__":
    main()
