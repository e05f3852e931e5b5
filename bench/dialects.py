"""What a dialect costs over the native API: AWS calls and time of the same send and status read.

    .venv/bin/python bench/dialects.py [--requests 40]

In-process on moto (chalice.test.Client, an API key in each product's header, a WORKING sandbox
session stored as a host leaves it; no host runs, so sends stay queued). For a text send and
for reading that message back, prints the AWS calls of one request (warm) through ``/v1`` and
through each dialect, and each dialect's time per request as a ratio to ``/v1``'s, measured
in the same run. (WhatsCloud shows no message to read back: its "read" lists the templates.)
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update(BENCH_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)

from chalice.test import Client
from moto import mock_aws

from app import app
from bench._support import Calls, provision_tenant, show, stored_working_session
from chalicelib.devstack import routing
from chalicelib.devstack.embedded_aws import serialize_in_process_moto

TO = "+6281234567890"
Send = Callable[[int], str]  # the i-th send; the message's id
Read = Callable[[str], None]


def routes(client: Client, key: str, sid: str) -> dict[str, tuple[Send, Read]]:
    """Each API's send and read of one message."""
    def post(path: str, headers: dict[str, str], body: dict[str, Any], pick: Callable[[Any], str],
             ) -> str:
        answer = client.http.post(path, headers={**headers, "Content-Type": "application/json"},
                                  body=json.dumps(body))
        assert answer.status_code in (200, 201, 202), (path, answer.body)
        return pick(answer.json_body)

    def get(path: str, headers: dict[str, str]) -> None:
        answer = client.http.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.body)

    native, wacloud = {"X-Api-Key": key}, {"X-Api-Key": key}
    wachat, whatscloud = {"APIKey": key}, {"Authorization": f"Bearer {key}"}
    wwebjs = {"x-api-key": key}
    chat = "/compat/wachat/wachat_api/1.0"
    cloud = "/compat/whatscloud/api/v1/bench"
    return {
        "/v1": (lambda i: post("/v1/messages", native, {"session_id": sid, "to": TO,
                                                        "text": f"hi {i}"}, lambda b: b["id"]),
                lambda m: get(f"/v1/messages/{m}", native)),
        "wacloud": (lambda i: post("/compat/wacloud/api/v1/messages", wacloud,
                                   {"device_id": sid, "to": TO[1:], "message_type": "text",
                                    "text": f"hi {i}"}, lambda b: b["data"]["message_id"]),
                    lambda m: get(f"/compat/wacloud/api/v1/messages/{m}", wacloud)),
        "wachat": (lambda i: post(f"{chat}/message", wachat, {"queue": sid, "destination": TO[1:],
                                                              "message": f"hi {i}"},
                                  lambda b: b["data"]["ref_no"]),
                   lambda m: get(f"{chat}/status/{m}", wachat)),
        "whatscloud": (lambda i: post(f"{cloud}/messages/send", whatscloud,
                                      {"phone_number": TO, "message_body": f"hi {i}",
                                       "from_phone_number_id": sid},
                                      lambda b: b["data"]["message_id"]),
                       lambda m: get(f"{cloud}/templates", whatscloud)),
        "cloudwa": (lambda i: post("/compat/cloudwa/api/v2/messages/send-message", whatscloud,
                                   {"session_uuid": sid, "chat_id": TO[1:], "type": "TEXT",
                                    "schedule_at": "2022-09-24T12:00:17", "urgency": 1,
                                    "message": f"hi {i}"}, lambda b: b["uuid"]),
                    lambda m: get(f"/compat/cloudwa/api/v2/messages/show/{m}", whatscloud)),
        "wwebjs": (lambda i: post(f"/compat/wwebjs/client/sendMessage/{sid}", wwebjs,
                                  {"chatId": f"{TO[1:]}@c.us", "contentType": "string",
                                   "content": f"hi {i}"}, lambda b: b["message"]["id"]["id"]),
                   lambda m: post(f"/compat/wwebjs/message/getClassInfo/{sid}", wwebjs,
                                  {"chatId": f"{TO[1:]}@c.us", "messageId": m},
                                  lambda b: b["message"]["id"]["id"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    n = parser.parse_args().requests
    serialize_in_process_moto()
    routing.install()  # greedy routes, as API Gateway matches them
    calls = Calls()
    with mock_aws(), Client(app) as client:
        calls.install()
        key = provision_tenant(["sessions:read", "messages:read", "messages:send",
                                "contacts:read", "contacts:write"])["X-Api-Key"]
        sid = stored_working_session().id
        seconds: dict[str, float] = {}
        counted: dict[str, tuple[collections.Counter[str], collections.Counter[str]]] = {}
        for name, (send, read) in routes(client, key, sid).items():
            read(send(0))  # warm: caches, first imports, the dialect's modules
            calls.take()
            message = send(1)
            sent = calls.take()
            read(message)
            counted[name] = (sent, calls.take())
            started = time.perf_counter()
            for i in range(n):
                read(send(i + 2))
            seconds[name] = (time.perf_counter() - started) / n
        for name, (sent, got) in counted.items():
            print(f"{name:<11} send: {show(sent)}")
            print(f"{'':<11} read: {show(got)}")
        floor = seconds["/v1"]
        print(f"time per send + read, as a ratio to /v1's ({floor * 1000:.1f} ms, {n} each): "
              + ", ".join(f"{k} {v / floor:.2f}" for k, v in seconds.items() if k != "/v1"))


if __name__ == "__main__":
    main()
