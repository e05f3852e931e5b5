"""Live operations: AWS calls per call, and round trips per second against a floor.

    .venv/bin/python bench/live.py [--calls 300]

Everything runs in-process on moto (the API through chalice.test.Client with an API key, one
session host on the sandbox engine serving its internal API on loopback). Prints:
- the AWS calls of one live operation on the API path (warm: the host registry cached): a
  contact's about text (``GET …/contacts/{id}/about``: nothing stored) and the number check
  (``POST …/contacts/check``: what it learns is recorded);
- live operations per second through the whole path (API → fleet client → signed internal
  HTTP → host guard → engine → typed result), as a ratio to the floor measured in the same run:
  bare keep-alive HTTP GETs of the host's health route.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update({**BENCH_ENV})
os.environ.pop("AWS_ENDPOINT_URL", None)

import requests
from chalice.test import Client
from moto import mock_aws

from app import app
from bench._support import Calls, provision_tenant, serve_host
from chalicelib import bootstrap
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.sessionhost.engines.sandbox import SandboxEngine


def main() -> None:
    serialize_in_process_moto()
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    calls = Calls()
    with mock_aws(), tempfile.TemporaryDirectory() as state, Client(app) as client:
        calls.install()
        c = bootstrap.container()
        headers = provision_tenant(["sessions:write", "sessions:read", "contacts:read"])
        host, server = serve_host(SandboxEngine(), Path(state))
        sid = client.http.post("/v1/sessions", headers=headers,
                               body='{"name": "bench"}').json_body["id"]
        while c.sessions.get("bench", sid).status != "SCAN_QR":
            time.sleep(0.01)
        host.live("bench", sid, "sandbox.scan", {})
        about = f"/v1/sessions/{sid}/contacts/14155552671@s.whatsapp.net/about"
        path, body = f"/v1/sessions/{sid}/contacts/check", '{"phones": ["+14155552671"]}'

        assert client.http.get(about, headers=headers).status_code == 200
        assert client.http.post(path, headers=headers, body=body).status_code == 200
        calls.take()
        assert client.http.get(about, headers=headers).status_code == 200
        read = calls.take()
        assert client.http.post(path, headers=headers, body=body).status_code == 200
        check = calls.take()

        started = time.perf_counter()
        for _ in range(args.calls):
            client.http.get(about, headers=headers)
        rate = args.calls / (time.perf_counter() - started)

        http = requests.Session()
        started = time.perf_counter()
        for _ in range(args.calls):
            http.get(f"{host.address}/internal/health", timeout=5)
        floor = args.calls / (time.perf_counter() - started)
        host.kill()
        server.shutdown()

        print(f"AWS calls of a live read (about, warm, API key): {sum(read.values())} "
              f"— {dict(read)}")
        print(f"… of a number check (recorded):                 {sum(check.values())} "
              f"— {dict(check)}")
        print(f"live reads through the whole path:   {rate:8.1f}/s")
        print(f"floor, bare keep-alive GET of the host (same run): {floor:8.1f}/s "
              f"→ ratio {rate / floor:.3f}")


if __name__ == "__main__":
    main()
