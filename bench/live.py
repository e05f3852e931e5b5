"""Live operations: AWS calls per call, and round trips per second against a floor.

    .venv/bin/python bench/live.py [--calls 300]

Everything runs in-process on moto (the API through chalice.test.Client with an API key, one
session host on the sandbox engine serving its internal API on loopback). Prints:
- the AWS calls of one live operation on the API path (warm: the host registry cached), with
  the number check (``POST /v1/sessions/{id}/check-numbers``) as the example;
- live operations per second through the whole path (API → fleet client → signed internal
  HTTP → host guard → engine → typed result), as a ratio to the floor measured in the same run:
  bare keep-alive HTTP GETs of the host's health route.
"""

from __future__ import annotations

import argparse
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
    "WAGATE_INTERNAL_SECRET": "bench", "WAGATE_FAST_PASSWORD_HASHES": "true",
})
os.environ.pop("AWS_ENDPOINT_URL", None)

import requests
from chalice.test import Client
from moto import mock_aws

from app import app
from bench._support import Calls
from chalicelib import bootstrap
from chalicelib.adapters import aws
from chalicelib.adapters.provision import provision
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.domain.auth import Role
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from chalicelib.sessionhost.host import SessionHost
from chalicelib.sessionhost.server import make_server


def main() -> None:
    serialize_in_process_moto()
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    calls = Calls()
    with mock_aws(), tempfile.TemporaryDirectory() as state, Client(app) as client:
        calls.install()
        c = bootstrap.container()
        provision(aws.client("dynamodb"), aws.client("sqs"), c.settings.prefix,
                  aws.client("s3"), aws.client("scheduler"))
        c.auth.ensure_tenant("bench", "Bench")
        c.auth.create_user(None, "bench", "bench-admin", "bench-password-1", Role.OWNER)
        principal = c.auth.authenticate(c.auth.login("bench-admin", "bench-password-1")[0])
        key = c.auth.create_api_key(principal, "bench", ["sessions:write", "sessions:read"])[1]
        headers = {"X-Api-Key": key, "Content-Type": "application/json"}

        host = SessionHost("bench-host", "http://127.0.0.1:0", 10, c.sessions, c.messages,
                           c.hosts, c.events, {"sandbox": SandboxEngine()}, Path(state))
        server = make_server(host, c.internal_secret, "127.0.0.1", 0)
        host.address = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host.run_background(heartbeat=False)
        host.register()
        sid = client.http.post("/v1/sessions", headers=headers,
                               body='{"name": "bench"}').json_body["id"]
        while c.sessions.get("bench", sid).status != "SCAN_QR":
            time.sleep(0.01)
        host.live("bench", sid, "sandbox.scan", {})
        path, body = f"/v1/sessions/{sid}/check-numbers", '{"phones": ["+14155552671"]}'

        assert client.http.post(path, headers=headers, body=body).status_code == 200
        calls.take()
        assert client.http.post(path, headers=headers, body=body).status_code == 200
        one = calls.take()

        started = time.perf_counter()
        for _ in range(args.calls):
            client.http.post(path, headers=headers, body=body)
        rate = args.calls / (time.perf_counter() - started)

        http = requests.Session()
        started = time.perf_counter()
        for _ in range(args.calls):
            http.get(f"{host.address}/internal/health", timeout=5)
        floor = args.calls / (time.perf_counter() - started)
        host.kill()
        server.shutdown()

        print(f"AWS calls of one live operation (warm, API key): {sum(one.values())} "
              f"— {dict(one)}")
        print(f"live operations through the whole path:   {rate:8.1f}/s")
        print(f"floor, bare keep-alive GET of the host (same run): {floor:8.1f}/s "
              f"→ ratio {rate / floor:.3f}")


if __name__ == "__main__":
    main()
