"""Reverse OTP over the HTTP API: shared numbers of the platform tenant, codes approved by
the phone writing them to a shared number, and the code never readable anywhere else."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from chalicelib import bootstrap, resources
from chalicelib.adapters import aws
from tests.conftest import PASSWORD, Tenant, assert_error, call, run_worker, wait_for

SHARED = "+14155550199"
USER = "+14155550123"
STRANGER = "+14155550124"


@pytest.fixture
def platform(client: Any, admin_token: str, host) -> Tenant:
    """The platform tenant (its administrator logged in) with a WORKING sandbox session."""
    return Tenant(client, "default", "admin", admin_token)


@pytest.fixture
def shared(platform: Tenant) -> str:
    """A session of the platform tenant marked as a shared OTP number."""
    sid = platform.call("POST", "/v1/sessions", {"name": "otp"}).json["id"]
    wait_for(lambda: platform.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    platform.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": SHARED})
    marked = platform.call("PATCH", f"/v1/sessions/{sid}", {"shared_otp": True})
    assert marked.status_code == 200 and marked.json["shared_otp"] is True
    return sid


def _write(platform: Tenant, host, sid: str, sender: str, text: str) -> None:
    """The phone ``sender`` writes ``text`` to the shared number; the event worker runs."""
    played = platform.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
                           {"from": sender, "text": text})
    assert played.status_code == 200, played.body
    host.host.flush()
    run_worker(resources.EVENT_QUEUE)


def _status(tenant: Tenant, otp_id: str) -> dict[str, Any]:
    return tenant.call("GET", f"/v1/otp/reverse/{otp_id}").json


def test_shared_numbers_are_listed_for_every_tenant(acme: Tenant, shared: str):
    assert acme.call("GET", "/v1/otp/shared-numbers").json == {"items": [SHARED]}


def test_reverse_otp_is_approved_when_the_phone_writes_the_code(acme: Tenant, platform: Tenant,
                                                               shared: str, host):
    created = acme.call("POST", "/v1/otp/reverse", {"phone": USER, "ttl_seconds": 300})
    assert created.status_code == 201, created.body
    body = created.json
    assert body["send_to"] == SHARED and body["status"] == "pending"
    assert re.fullmatch(r"[A-Z2-9]{8}", body["code"])
    assert body["link"] == f"https://wa.me/{SHARED.lstrip('+')}?text={body['code']}"
    assert "code" not in _status(acme, body["id"])

    _write(platform, host, shared, USER, f"my code is {body['code'].lower()}")
    done = wait_for(lambda: (s := _status(acme, body["id"]))["status"] == "approved" and s)
    assert done["verified_phone"] == USER and done["approved_at"]
    approved = acme.call("GET", "/v1/events?types=otp.*").json["items"]
    assert [(e["type"], e["data"]["id"], e["data"]["verified_phone"]) for e in approved] == \
        [("otp.approved", body["id"], USER)]
    assert platform.call("GET", "/v1/events?types=otp.*").json["items"] == []

    _write(platform, host, shared, USER, body["code"])  # once approved, it stays so
    assert _status(acme, body["id"])["status"] == "approved"
    assert len(acme.call("GET", "/v1/events?types=otp.*").json["items"]) == 1


def test_a_code_from_another_number_does_not_approve(acme: Tenant, platform: Tenant,
                                                     shared: str, host):
    body = acme.call("POST", "/v1/otp/reverse", {"phone": USER}).json
    _write(platform, host, shared, STRANGER, body["code"])
    assert _status(acme, body["id"])["status"] == "pending"
    _write(platform, host, shared, USER, body["code"])
    assert wait_for(lambda: _status(acme, body["id"])["status"] == "approved")


def test_without_a_bound_phone_any_sender_approves_it(acme: Tenant, platform: Tenant,
                                                      shared: str, host):
    body = acme.call("POST", "/v1/otp/reverse", {}).json
    _write(platform, host, shared, STRANGER, f"{body['code']}")
    done = wait_for(lambda: (s := _status(acme, body["id"]))["status"] == "approved" and s)
    assert done["verified_phone"] == STRANGER


def test_a_code_on_an_unshared_session_does_nothing(acme: Tenant, platform: Tenant,
                                                    shared: str, host):
    body = acme.call("POST", "/v1/otp/reverse", {}).json
    platform.call("PATCH", f"/v1/sessions/{shared}", {"shared_otp": False})
    _write(platform, host, shared, USER, body["code"])
    assert _status(acme, body["id"])["status"] == "pending"


def test_tenants_cannot_read_the_shared_numbers_traffic(acme: Tenant, platform: Tenant,
                                                        shared: str, host):
    _write(platform, host, shared, USER, "hello platform")
    assert_error(acme.call("GET", f"/v1/sessions/{shared}"), 404)
    assert acme.call("GET", f"/v1/messages?session_id={shared}").json["items"] == []
    assert_error(acme.call("POST", f"/v1/sandbox/sessions/{shared}/inbound",
                           {"from": USER, "text": "x"}), 404)


def test_only_a_platform_admin_marks_shared_numbers(client: Any, acme: Tenant, admin_token: str,
                                                    working: str):
    assert_error(acme.call("PATCH", f"/v1/sessions/{working}", {"shared_otp": True}), 403)
    added = call(client, "POST", f"/v1/tenants/{acme.id}/users", admin_token,
                 {"username": "acme-admin", "password": PASSWORD, "role": "admin"})
    assert added.status_code == 201, added.body
    token = call(client, "POST", "/v1/auth/login",
                 body={"username": "acme-admin", "password": PASSWORD}).json["token"]
    error = assert_error(call(client, "PATCH", f"/v1/sessions/{working}", token,
                              {"shared_otp": True}), 422)
    assert error["details"][0]["field"] == "shared_otp"
    assert acme.call("GET", f"/v1/sessions/{working}").json["shared_otp"] is False


def test_bad_reverse_input_is_refused(acme: Tenant, shared: str):
    error = assert_error(acme.call("POST", "/v1/otp/reverse", {"phone": "nope"}), 422)
    assert error["details"][0]["field"] == "phone"
    error = assert_error(acme.call("POST", "/v1/otp/reverse", {"ttl_seconds": 10}), 422)
    assert error["details"][0]["field"] == "ttl_seconds"


def test_another_tenant_cannot_read_a_reverse_verification(acme: Tenant, globex: Tenant,
                                                           shared: str):
    body = acme.call("POST", "/v1/otp/reverse", {}).json
    assert_error(globex.call("GET", f"/v1/otp/reverse/{body['id']}"), 404)
    assert_error(acme.call("GET", f"/v1/otp/{body['id']}"), 404)  # not an OTP sent by us


# --- the code is never readable at rest, in logs or in answers ------------------------------


# The one store allowed to hold a code: what the sandbox's recipients received.
WITHOUT_THE_PHONES = tuple(t for t in resources.TABLES if t is not resources.SANDBOX_RECIPIENTS)


def _every_item(tables: tuple[resources.Table, ...] = WITHOUT_THE_PHONES) -> str:
    """Every item of the tables, as text."""
    prefix = bootstrap.container().settings.prefix
    dump = []
    for table in tables:
        pages = aws.client("dynamodb").get_paginator("scan").paginate(
            TableName=table.physical_name(prefix))
        dump += [str(item) for page in pages for item in page["Items"]]
    return "\n".join(dump)


def test_no_code_in_any_table_log_line_or_answer(acme: Tenant, platform: Tenant, shared: str,
                                                 working: str, host,
                                                 caplog: pytest.LogCaptureFixture):
    for ours in ("wagate", "chalicelib", "app"):  # every line our code writes, DEBUG up
        caplog.set_level(logging.DEBUG, logger=ours)
    answers: list[str] = []

    def api(method: str, path: str, body: Any = None) -> Any:
        response = acme.call(method, path, body)
        answers.append(response.body.decode() if isinstance(response.body, bytes)
                       else str(response.body))
        return response

    def texts_with_codes() -> list[str]:
        return [o.content.text for _, _, o in host.engine.outbox
                if re.search(r"\d{10}", o.content.text or "")]

    codes: list[str] = []
    sent = api("POST", "/v1/otp", {"to": USER, "session_id": working, "length": 10}).json
    for i in range(2):
        if i:
            api("POST", "/v1/otp", {"to": USER, "session_id": working, "length": 10})
        run_worker(resources.OUTBOUND_HIGH)
        texts = wait_for(lambda i=i: len(t := texts_with_codes()) > i and t)
        codes.append(re.findall(r"\d{10}", texts[-1])[0])
    api("POST", "/v1/otp/verify", {"id": sent["id"], "code": "0000000000"})
    assert api("POST", "/v1/otp/verify", {"to": USER, "code": codes[-1]}).json["valid"]
    api("GET", f"/v1/otp/{sent['id']}")
    host.host.flush()
    run_worker(resources.EVENT_QUEUE)
    reverse = acme.call("POST", "/v1/otp/reverse", {"phone": USER}).json  # shown by design
    _write(platform, host, shared, USER, reverse["code"])
    api("GET", f"/v1/otp/reverse/{reverse['id']}")
    for page in ("/v1/messages?limit=100", "/v1/events?limit=100"):
        api("GET", page)

    stored, logged, shown = _every_item(), caplog.text, "\n".join(answers)
    assert len(set(codes)) == 2 and _status(acme, reverse["id"])["status"] == "approved"
    for code in codes:
        assert code not in stored and code not in logged and code not in shown
    phones = _every_item((resources.SANDBOX_RECIPIENTS,))
    assert all(code in phones for code in codes)  # the recipient's view: the whole text
    # The reverse code is the user's to send: the shared number's inbound message holds it
    # (the platform's traffic), the verification and its index only its hash.
    assert reverse["code"] not in _every_item((resources.OTPS,))
    assert reverse["code"] not in logged


def test_a_reverse_verification_is_found_by_its_code_until_it_expires(
        acme: Tenant, globex: Tenant, platform: Tenant, shared: str, host, later) -> None:
    body = acme.call("POST", "/v1/otp/reverse", {"ttl_seconds": 300}).json
    found = acme.call("GET", f"/v1/otp/reverse/{body['code'].lower()}")
    assert (found.status_code, found.json["id"]) == (200, body["id"])
    assert_error(globex.call("GET", f"/v1/otp/reverse/{body['code']}"), 404)
    _write(platform, host, shared, USER, body["code"])
    approved = acme.call("GET", f"/v1/otp/reverse/{body['code']}").json
    assert (approved["id"], approved["status"]) == (body["id"], "approved")
    assert acme.call("GET", f"/v1/otp/reverse/{body['id']}").json == approved
    later(301)
    assert_error(acme.call("GET", f"/v1/otp/reverse/{body['code']}"), 404)
