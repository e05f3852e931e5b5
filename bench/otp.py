"""AWS calls on the API path of a verification code's send and of its check.

    .venv/bin/python bench/otp.py

In-process on moto (API through chalice.test.Client with an API key, one session host on
the sandbox engine). Prints, warm (caches filled by a first send and check), the AWS calls of:
- ``POST /v1/otp`` to a new number (a new verification) and again to it (a resend);
- ``POST /v1/otp/verify`` by id with the right code, with a wrong one, and by number.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update({**BENCH_ENV, "WAGATE_SEND_INTERVAL_MS": "0"})
os.environ.pop("AWS_ENDPOINT_URL", None)

from chalice.test import Client
from moto import mock_aws

from app import app
from bench._support import Calls, drain, provision_tenant, serve_host
from chalicelib import bootstrap, resources
from chalicelib.adapters import aws
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.devstack.runtime import LocalLambdaRuntime
from chalicelib.sessionhost.engines.sandbox import SandboxEngine


def main() -> None:
    serialize_in_process_moto()
    calls = Calls()
    with mock_aws(), tempfile.TemporaryDirectory() as state, Client(app) as client:
        calls.install()
        c = bootstrap.container()
        headers = provision_tenant(["sessions:write", "sessions:read", "otp:send",
                                    "otp:verify"])
        # Receipts far off: the host writes nothing while the API path is counted.
        engine = SandboxEngine(delivery_ms=600_000, read_ms=600_000)
        host, server = serve_host(engine, Path(state))
        sid = client.http.post("/v1/sessions", headers=headers,
                               body='{"name": "bench"}').json_body["id"]
        while c.sessions.get("bench", sid).status != "SCAN_QR":
            time.sleep(0.01)
        host.live("bench", sid, "sandbox.scan", {})
        runtime = LocalLambdaRuntime(app, aws.client("sqs"), "us-east-1")

        def send(to: str) -> dict:
            body = json.dumps({"to": to, "session_id": sid})
            answer = client.http.post("/v1/otp", headers=headers, body=body)
            assert answer.status_code == 201, answer.body
            return answer.json_body

        def code_of(to: str) -> str:
            drain(runtime, resources.OUTBOUND_HIGH)
            while not [o for _, _, o in engine.outbox if o.to.user == to.lstrip("+")]:
                time.sleep(0.01)
            text = [o for _, _, o in engine.outbox if o.to.user == to.lstrip("+")][-1]
            host.flush()
            return re.findall(r"\d{6}", text.content.text or "")[0]

        def verify(**body: str) -> dict:
            answer = client.http.post("/v1/otp/verify", headers=headers, body=json.dumps(body))
            assert answer.status_code == 200, answer.body
            return answer.json_body

        warm = send("+14155550100")
        verify(id=warm["id"], code=code_of("+14155550100"))
        calls.take()

        first = send("+14155550101")
        new = calls.take()
        send("+14155550101")
        again = calls.take()
        code = code_of("+14155550101")
        calls.take()
        verify(id=first["id"], code="000000" if code != "000000" else "111111")
        wrong = calls.take()
        verify(id=first["id"], code=code)
        right = calls.take()
        send("+14155550102")
        code = code_of("+14155550102")
        calls.take()
        verify(to="+14155550102", code=code)
        by_number = calls.take()
        host.kill()
        server.shutdown()

        def line(label: str, counted: dict) -> None:
            print(f"{label:<44}{sum(counted.values())} AWS calls — {dict(counted)}")

        line("POST /v1/otp, a new verification (warm):", new)
        line("POST /v1/otp, a resend to the same number:", again)
        line("POST /v1/otp/verify by id, right code:", right)
        line("POST /v1/otp/verify by id, wrong code:", wrong)
        line("POST /v1/otp/verify by number, right code:", by_number)


if __name__ == "__main__":
    main()
