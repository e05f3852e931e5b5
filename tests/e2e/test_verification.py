"""End to end over real HTTP against the local stack (``make run``'s program): OTP codes read
from the sandbox recipient view, locks, expiry, send limits, reverse OTP on a shared number,
a keyword bot that replies once to an event delivered twice, STOP and a marketing send that
ends ``opted_out`` — and no code in any table but the sandbox's, any log line or any answer."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from chalicelib import resources
from chalicelib.devstack.launch import StackProcess, wait_until
from tests.e2e.stacks import running_stack

pytestmark = pytest.mark.e2e
PASSWORD = "wagate-e2e-pass"
PREFIX = "wagate-e2e-otp"
CODE_LENGTH = 10  # long codes: a scan for them cannot be fooled by a timestamp's digits
TIMEOUT = 20


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    yield from running_stack(tmp_path_factory, "otp-stack", PASSWORD,
                             WAGATE_PREFIX=PREFIX)


class Api:
    """HTTP as one user of the stack; every answer's body is kept for the final scan."""

    answers: list[str] = []

    def __init__(self, stack: StackProcess, http: requests.Session) -> None:
        self.base, self.http = stack.base, http

    def __call__(self, method: str, path: str, body: Any = None,
                 expect: int | None = None) -> requests.Response:
        answer = self.http.request(method, f"{self.base}{path}", json=body, timeout=10)
        Api.answers.append(answer.text)
        if expect is not None:
            assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
        return answer

    def until(self, path: str, check: Any, what: str) -> Any:
        return wait_until(lambda: check(self("GET", path, expect=200).json()), TIMEOUT, what,
                          0.2)


def _aws(stack: StackProcess, service: str) -> Any:
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{stack.ports[1]}",
                        region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local")


def _received(api: Api, phone: str) -> list[dict[str, Any]]:
    return api("GET", f"/sandbox/recipients/{phone}/messages", expect=200).json()["items"]


def _code_for(api: Api, phone: str, seen: set[str]) -> str:
    """The newest code ``phone`` received that was not read before (from the recipient
    view, the one place a code can be read back)."""
    pattern = re.compile(rf"\b(\d{{{CODE_LENGTH}}})\b")

    def fresh() -> str | None:
        for item in _received(api, phone):
            found = pattern.search(item["text"] or "")
            if found and found[1] not in seen:
                return found[1]
        return None

    code: str = wait_until(fresh, TIMEOUT, f"a code on {phone}", 0.2)
    seen.add(code)
    return code


@pytest.mark.slow
def test_verification_codes_bots_and_opt_outs_over_http(stack: StackProcess):
    admin = Api(stack, stack.login(PASSWORD))
    codes: set[str] = set()

    # The operator's shared number for reverse OTP: a platform admin's session, marked.
    shared = stack.pair(admin.http, "otp-shared")
    admin("PATCH", f"/sessions/{shared}", {"shared_otp": True}, expect=200)
    shared_phone = admin("GET", f"/sessions/{shared}", expect=200).json()["phone"]

    # A customer tenant with its own paired session, the tenant's OTP session.
    tenant = admin("POST", "/tenants", {"name": "Shop"}, expect=201).json()["id"]
    admin("POST", f"/tenants/{tenant}/users", {"username": "shop-owner", "password": PASSWORD,
                                               "role": "owner"}, expect=201)
    shop = Api(stack, stack.login(PASSWORD, "shop-owner"))
    sid = stack.pair(shop.http, "shop")
    shop("PUT", "/otp/settings", {"session_id": sid}, expect=200)
    short = shop("POST", "/otp", {"to": "+14155552674", "length": CODE_LENGTH,
                                  "ttl_seconds": 60}, expect=201).json()

    # A code read from the recipient view verifies once.
    sent = shop("POST", "/otp", {"to": "+14155552671", "length": CODE_LENGTH},
                expect=201).json()
    assert sent["status"] == "pending" and sent["attempts_left"] == 5
    code = _code_for(shop, "14155552671", codes)
    approved = shop("POST", "/otp/verify", {"id": sent["id"], "code": code}, expect=200).json()
    assert approved["status"] == "approved" and approved["valid"] is True
    again = shop("POST", "/otp/verify", {"id": sent["id"], "code": code}, expect=200).json()
    assert again["valid"] is False

    # Five wrong codes lock it: the right one is refused after that.
    locked = shop("POST", "/otp", {"to": "+14155552672", "length": CODE_LENGTH},
                  expect=201).json()
    right = _code_for(shop, "14155552672", codes)
    wrong = "0" * CODE_LENGTH if right != "0" * CODE_LENGTH else "1" * CODE_LENGTH
    answers = [shop("POST", "/otp/verify", {"to": "+14155552672", "code": wrong},
                    expect=200).json() for _ in range(5)]
    assert [a["attempts_left"] for a in answers] == [4, 3, 2, 1, 0]
    assert answers[-1]["status"] == "max_attempts_reached"
    after = shop("POST", "/otp/verify", {"id": locked["id"], "code": right}, expect=200).json()
    assert after["valid"] is False and after["status"] == "max_attempts_reached"

    # The sixth send to one number within ten minutes is refused with Retry-After.
    for _ in range(5):
        shop("POST", "/otp", {"to": "+14155552673", "length": CODE_LENGTH}, expect=201)
    refused = shop("POST", "/otp", {"to": "+14155552673", "length": CODE_LENGTH}, expect=429)
    assert int(refused.headers["Retry-After"]) > 0

    # Reverse OTP: the user writes the code to the shared number from the named phone.
    reverse = shop("POST", "/otp/reverse", {"phone": "+4915112345678"}, expect=201).json()
    assert reverse["send_to"] == shared_phone
    assert reverse["link"] == f"https://wa.me/{shared_phone.lstrip('+')}?text={reverse['code']}"
    admin("POST", f"/sandbox/sessions/{shared}/inbound",
          {"from": "+4915112345678", "text": reverse["code"]}, expect=200)
    shop.until(f"/otp/reverse/{reverse['id']}", lambda r: r["status"] == "approved",
               "the reverse OTP to be approved")
    shop_numbers = shop("GET", "/otp/shared-numbers", expect=200).json()
    assert shared_phone in json.dumps(shop_numbers)

    # A keyword bot replies once, even when its inbound event is consumed twice.
    shop("POST", "/bots", {"name": "hours", "match": "exact", "keywords": ["hours"],
                           "action": {"type": "reply", "message": {
                               "type": "text", "text": "Open 9-5, {{name}}"}}}, expect=201)
    shop("POST", f"/sandbox/sessions/{sid}/inbound",
         {"from": "+4915112340001", "text": "hours", "push_name": "Ada"}, expect=200)
    replies = wait_until(lambda: _received(shop, "4915112340001"), TIMEOUT, "the bot's reply",
                         0.2)
    assert [r["text"] for r in replies] == ["Open 9-5, Ada"]
    (event,) = [e for e in shop("GET", "/events?types=message.received&limit=100",
                                expect=200).json()["items"]
                if e["data"]["text"] == "hours"]
    sqs = _aws(stack, "sqs")
    queue = sqs.get_queue_url(QueueName=resources.EVENT_QUEUE.physical_name(PREFIX))["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))  # SQS delivers it again
    consumed = re.compile(rf"events: event={event['id']} .* done")
    wait_until(lambda: len(consumed.findall(stack.text())) >= 2, TIMEOUT, "the redelivery", 0.2)
    time.sleep(1)  # a second reply, if one were made, would reach the phone within this
    assert [r["text"] for r in _received(shop, "4915112340001")] == ["Open 9-5, Ada"]

    # STOP opts the number out; a marketing send to it ends opted_out and never goes out.
    shop("POST", f"/sandbox/sessions/{sid}/inbound",
         {"from": "+4915112340002", "text": "STOP"}, expect=200)
    shop.until("/opt-outs", lambda page: any(o["phone"] == "+4915112340002"
                                             for o in page["items"]), "the opt-out")
    confirmations = wait_until(lambda: _received(shop, "4915112340002"), TIMEOUT,
                               "the STOP confirmation", 0.2)
    marketing = shop("POST", "/messages", {"session_id": sid, "to": "+4915112340002",
                                           "text": "Sale!", "category": "marketing"},
                     expect=202).json()
    ended = shop.until(f"/messages/{marketing['id']}", lambda m: m["status"] == "failed" and m,
                       "the marketing send to fail")
    assert ended["error"]["code"] == "opted_out"
    assert _received(shop, "4915112340002") == confirmations

    # An expired code is refused (the shortest TTL is a minute: it was sent first).
    late = _code_for(shop, "14155552674", codes)
    wait_until(lambda: shop("GET", f"/otp/{short['id']}", expect=200).json()["status"] ==
               "expired" or None, 75, "the code to expire", 1)
    refused_late = shop("POST", "/otp/verify", {"id": short["id"], "code": late},
                        expect=200).json()
    assert refused_late["status"] == "expired" and refused_late["valid"] is False

    # No code the recipients received is in any table but the sandbox's, any log line, or
    # any answer but the recipient view's.
    dynamodb = _aws(stack, "dynamodb")
    for table in resources.TABLES:
        if table is resources.SANDBOX_RECIPIENTS:
            continue
        pages = dynamodb.get_paginator("scan").paginate(TableName=table.physical_name(PREFIX))
        dumped = json.dumps([page["Items"] for page in pages])
        assert not [c for c in codes if c in dumped], table.key
    log = stack.text()
    assert not [c for c in codes if c in log]
    views = [a for a in Api.answers if '"received_at"' in a]
    assert not [c for c in codes if any(c in a for a in Api.answers if a not in views)]
