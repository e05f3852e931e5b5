"""The WAChat dialect: its documented examples through ``/compat/wachat/wachat_api/1.0``,
its envelope, its FastAPI-style 422s, its status letters, and its inbox push as a form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from chalicelib import resources
from chalicelib.devstack.listen import WebhookReceiver
from tests.conftest import RunningHost, Tenant, call, run_worker, static_site, wait_for
from tests.samples import PDF, b64, png

BASE = "/compat/wachat/wachat_api/1.0"
DEST = "6281234567890"  # the document's 628xxxxxxxxxx, made a real number
ALL = ["sessions:read", "messages:send", "messages:read"]


def wachat(tenant: Tenant, method: str, path: str, key: str | None, body: Any = None,
           headers: dict[str, str] | None = None) -> Any:
    """A call as WAChat's own samples make it: the key in ``APIKey``."""
    return call(tenant.client, method, f"{BASE}{path}", None, body,
                headers={"Accept": "application/json", **({"APIKey": key} if key else {}),
                         **(headers or {})})


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    """The success envelope's ``data``."""
    assert response.status_code == status, (response.status_code, response.body)
    assert response.json["error"] is False and isinstance(response.json["message"], str)
    return response.json["data"]  # type: ignore[no-any-return]


def failed(response: Any, status: int) -> str:
    """The error envelope (FastAPI's ``detail`` beside the product's ``error``); its text."""
    assert response.status_code == status, (response.status_code, response.body)
    assert response.json["error"] is True and response.json["data"] is None
    assert response.json["detail"] == response.json["message"]
    return response.json["message"]  # type: ignore[no-any-return]


def invalid(response: Any) -> list[dict[str, Any]]:
    """FastAPI's HTTPValidationError: ``{"detail": [{"loc", "msg", "type"}]}``."""
    assert response.status_code == 422, (response.status_code, response.body)
    assert set(response.json) == {"detail"}
    assert all(set(d) == {"loc", "msg", "type"} for d in response.json["detail"])
    return response.json["detail"]  # type: ignore[no-any-return]



def test_user_by_key_answers_integer_ids_in_the_envelope(acme: Tenant, globex: Tenant) -> None:
    key = acme.api_key(["events:read"])
    data = ok(wachat(acme, "GET", "/auth/api_key", key))
    me = acme.call("GET", "/v1/auth/me").json
    assert data == {"userid": me["user_id"], "idPerson": 1, "idClient": 1}
    assert ok(wachat(acme, "GET", "/auth/api_key", key)) == data  # the numbers are kept
    assert "key" in failed(wachat(acme, "GET", "/auth/api_key", None), 401).lower()
    failed(wachat(acme, "GET", "/auth/api_key", "wg_not-a-key"), 401)
    theirs = ok(wachat(globex, "GET", "/auth/api_key", globex.api_key(["events:read"])))
    assert theirs["userid"] != data["userid"] and theirs["idClient"] == 1


def test_gateway_balance_names_the_device_by_id_name_or_number(acme: Tenant, globex: Tenant,
                                                               working: str) -> None:
    key = acme.api_key(ALL)
    wachat(acme, "POST", "/message", key, {"queue": working, "destination": DEST,
                                           "message": "one"})
    limit = acme.call("GET", "/v1/account").json["limits"]["messages_per_month"]
    for sender in (working, "shop", "14155550100", "+14155550100", "14155550100@c.us"):
        assert ok(wachat(acme, "GET", f"/sender/{sender}", key)) == {
            "idClient": 1, "name": "shop", "counter": 1, "limit": limit}, sender
    failed(wachat(acme, "GET", "/sender/nobody", key), 404)
    failed(wachat(globex, "GET", f"/sender/{working}", globex.api_key(ALL)), 404)
    assert "sessions:read" in failed(
        wachat(acme, "GET", f"/sender/{working}", acme.api_key(["messages:send"])), 403)


def test_a_device_name_two_sessions_share_means_the_working_one_else_the_oldest(
        acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    for name in ("shop", "spare", "spare"):
        assert acme.call("POST", "/v1/sessions", {"name": name, "start": False}).json["id"]
    assert ok(wachat(acme, "GET", "/sender/shop", key))["name"] == "shop"  # the WORKING one
    assert ok(wachat(acme, "GET", "/sender/spare", key))["name"] == "spare"  # the oldest
    failed(wachat(acme, "POST", "/message", key, {"queue": "spare", "destination": DEST,
                                                  "message": "later"}), 409)  # not paired
    sent = ok(wachat(acme, "POST", "/message", key, {"destination": DEST, "message": "hi"}),
              201)
    assert sent["queue"] == working  # without a queue: the one WORKING session


def test_send_message_as_documented_reaches_read_with_its_dates(acme: Tenant, working: str,
                                                                host: RunningHost) -> None:
    key = acme.api_key(ALL)
    # The document's curl sample, byte for byte but for the number.
    sent = ok(wachat(acme, "POST", "/message", key, f'{{\n"queue": "{working}",\n'
                     f'"destination": "{DEST}",\n"message": "Message text"\n}}'), 201)
    assert sent == {"sender": "14155550100", "queue": working, "destination": DEST,
                    "message": "Message text", "ref_no": sent["ref_no"]}
    queued = ok(wachat(acme, "GET", f"/status/{sent['ref_no']}", key))
    assert queued["status"] == "Q" and queued["sent_date"] is None
    run_worker(resources.OUTBOUND)
    read = wait_for(lambda: (d := ok(wachat(acme, "GET", f"/status/{sent['ref_no']}", key)))[
        "status"] == "R" and d)
    assert read == {"destination": DEST, "sender": "14155550100", "is_group": False,
                    "create_date": read["create_date"], "sent_date": read["sent_date"],
                    "read_date": read["read_date"], "delivered_date": read["delivered_date"],
                    "ref_no": sent["ref_no"], "status": "R", "message": "Message text",
                    "caption": None, "media_url": None}
    dates = [read[k] for k in ("create_date", "sent_date", "delivered_date", "read_date")]
    assert all(len(d) == 20 and d.endswith("Z") for d in dates) and dates == sorted(dates)
    native = acme.call("GET", f"/v1/messages/{sent['ref_no']}").json
    assert native["status"] == "read" and native["to"] == f"{DEST}@s.whatsapp.net"
    assert native["expires_at"]  # the default timeout of 86400 s


def test_every_phone_form_and_the_queue_by_name_or_number(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    for queue, destination in (("shop", f"+{DEST}"), ("+14155550100", f"{DEST}@c.us"),
                               ("14155550100", f"{DEST}@s.whatsapp.net"), (None, DEST)):
        body = {"destination": destination, "message": "hi", "timeout": "60"}
        if queue:
            body["queue"] = queue
        ref = ok(wachat(acme, "POST", "/message", key, body), 201)["ref_no"]
        assert acme.call("GET", f"/v1/messages/{ref}").json["to"] == f"{DEST}@s.whatsapp.net"
    by_sender = ok(wachat(acme, "POST", "/message", key, {
        "sender": "14155550100", "destination": DEST, "message": "hi"}), 201)
    assert by_sender["queue"] == working


def test_a_group_destination_with_is_group(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    group = "120363025246125486"
    ref = ok(wachat(acme, "POST", "/message", key, {
        "queue": working, "destination": group, "is_group": True, "message": "hi all"}),
        201)["ref_no"]
    assert acme.call("GET", f"/v1/messages/{ref}").json["chat"] == f"{group}@g.us"
    info = ok(wachat(acme, "GET", f"/status/{ref}", key))
    assert info["is_group"] is True and info["destination"] == group
    for person in (f"+{DEST}", f"{DEST}@c.us"):
        detail = invalid(wachat(acme, "POST", "/message", key, {
            "queue": working, "destination": person, "is_group": True, "message": "hi"}))
        assert detail[0]["loc"] == ["body", "destination"], person


def test_a_timeout_that_passes_in_the_queue_aborts_the_message(
        acme: Tenant, working: str, host: RunningHost, later: Any) -> None:
    key = acme.api_key(ALL)
    ref = ok(wachat(acme, "POST", "/message", key, {
        "queue": working, "destination": DEST, "message": "too late", "timeout": 30}),
        201)["ref_no"]
    later(31)
    run_worker(resources.OUTBOUND)
    aborted = ok(wachat(acme, "GET", f"/status/{ref}", key))
    assert aborted["status"] == "A" and aborted["sent_date"] is None
    assert host.engine.outbox == []


def test_send_media_by_url_and_by_base64(acme: Tenant, working: str,
                                         host: RunningHost) -> None:
    key = acme.api_key(ALL)
    with static_site({"/image_name.png": (png(), "image/png")}) as site:
        url = f"{site}/image_name.png"
        sent = ok(wachat(acme, "POST", "/media", key, {
            "queue": working, "destination": DEST, "caption": "Caption text",
            "media_url": url}), 201)
    assert sent == {"sender": "14155550100", "queue": working, "destination": DEST,
                    "caption": "Caption text", "media_url": url, "ref_no": sent["ref_no"]}
    assert acme.call("GET", f"/v1/messages/{sent['ref_no']}").json["type"] == "image"
    # The document's Python sample: a base64 file with its name.
    document = ok(wachat(acme, "POST", "/media", key, {
        "destination": DEST, "queue": working,
        "media_base64": b64(PDF), "file_name": "invoice.pdf",
        "caption": "Caption text"}), 201)
    assert document["media_url"] is None
    native = acme.call("GET", f"/v1/messages/{document['ref_no']}").json
    assert native["type"] == "document" and native["content"]["filename"] == "invoice.pdf"
    run_worker(resources.OUTBOUND)
    info = wait_for(lambda: (d := ok(wachat(acme, "GET", f"/status/{sent['ref_no']}", key)))[
        "status"] == "R" and d)
    assert info["caption"] == "Caption text" and info["message"] is None
    assert info["media_url"].startswith("http")
    assert sorted(o[2].content.type for o in host.engine.outbox) == ["document", "image"]


def test_bad_input_is_a_fastapi_422_and_sends_nothing(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    cases: list[tuple[Any, list[Any], str | None]] = [
        ({"queue": working, "message": "hi"}, ["body", "destination"], "missing"),
        ({"queue": working, "destination": DEST}, ["body", "message"], "missing"),
        ({"queue": working, "destination": "12", "message": "hi"}, ["body", "destination"],
         None),
        ({"queue": working, "destination": DEST, "message": "hi", "timeout": 0},
         ["body", "timeout"], "greater_than_equal"),
        ({"queue": working, "destination": DEST, "message": "hi", "timeout": "soon"},
         ["body", "timeout"], "int_parsing"),
        ({"queue": "nobody", "destination": DEST, "message": "hi"}, ["body", "queue"], None),
        ({"queue": working, "sender": "+4915112345678", "destination": DEST, "message": "hi"},
         ["body", "sender"], None),
        ("{not json", ["body"], "json_invalid"),
    ]
    for body, loc, kind in cases:
        detail = invalid(wachat(acme, "POST", "/message", key, body))
        assert detail[0]["loc"] == loc, (body, detail)
        if kind:
            assert detail[0]["type"] == kind, (body, detail)
    media_cases: list[tuple[Any, list[Any]]] = [
        ({"queue": working, "destination": DEST}, ["body"]),
        ({"queue": working, "destination": DEST, "media_url": "ftp://x/y.png"},
         ["body", "media_url"]),
        ({"queue": working, "destination": DEST, "media_base64": "!!!"},
         ["body", "media_base64"]),
    ]
    for body, loc in media_cases:
        assert invalid(wachat(acme, "POST", "/media", key, body))[0]["loc"] == loc, body
    assert acme.call("GET", "/v1/messages").json["items"] == []


def test_scopes_tenants_and_unknown_paths_in_the_products_shapes(
        acme: Tenant, globex: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    body = {"queue": working, "destination": DEST, "message": "hi"}
    reader = acme.api_key(["sessions:read", "messages:read"])
    assert "messages:send" in failed(wachat(acme, "POST", "/message", reader, body), 403)
    failed(wachat(acme, "POST", "/media", reader, {**body, "media_url": "https://x.test/a"}),
           403)
    ref = ok(wachat(acme, "POST", "/message", key, body), 201)["ref_no"]
    failed(wachat(acme, "GET", f"/status/{ref}", acme.api_key(["messages:send"])), 403)
    outsider = globex.api_key(ALL)
    failed(wachat(globex, "GET", f"/status/{ref}", outsider), 404)
    assert invalid(wachat(globex, "POST", "/message", outsider, body))[0]["loc"] == \
        ["body", "queue"]
    failed(wachat(acme, "GET", "/status/", key), 404)
    failed(wachat(acme, "DELETE", "/message", key), 405)


def test_the_dialects_document_lists_the_products_routes(acme: Tenant) -> None:
    document = call(acme.client, "GET", "/compat/wachat/openapi.json").json
    assert set(document["paths"]) == {
        "/openapi.json", "/wachat_api/1.0/auth/api_key", "/wachat_api/1.0/sender/{sender}",
        "/wachat_api/1.0/message", "/wachat_api/1.0/media",
        "/wachat_api/1.0/status/{message_ref_no}"}
    assert document["components"]["securitySchemes"]["key"] == {
        "type": "apiKey", "in": "header", "name": "APIKey"}


class FormReceiver(WebhookReceiver):
    """Takes every post (forms are not Standard Webhooks JSON): 200."""

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        self.requests.append((body, headers))
        return 200


@pytest.fixture
def forms() -> Iterator[FormReceiver]:
    server = FormReceiver()
    yield server
    server.close()


def test_the_inbox_push_posts_inbound_messages_as_a_form(acme: Tenant, working: str,
                                                         host: RunningHost,
                                                         forms: FormReceiver) -> None:
    made = acme.call("POST", "/v1/webhooks", {"url": forms.url, "format": "wachat"})
    assert made.status_code == 201, made.body
    assert made.json["events"] == ["message.received"]
    refused = acme.call("POST", "/v1/webhooks", {"url": forms.url, "format": "wachat",
                                                 "events": ["message.status"]})
    assert refused.status_code == 422
    key = acme.api_key(ALL)
    wachat(acme, "POST", "/message", key, {"queue": working, "destination": DEST,
                                           "message": "outbound, not pushed"})
    run_worker(resources.OUTBOUND)
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": "+4915112345678", "text": "Halo, ada stok?"})
    wait_for(lambda: acme.call("GET", "/v1/messages?limit=5").json["items"][0]["direction"]
             == "inbound")
    run_worker(resources.EVENT_QUEUE)
    run_worker(resources.WEBHOOK_DELIVERIES)
    assert len(forms.requests) == 1
    body, headers = forms.requests[0]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    inbound = acme.call("GET", "/v1/messages?limit=1").json["items"][0]
    assert fields == {"id": inbound["id"], "gateway_number": "14155550100",
                      "originator": "4915112345678",
                      "receive_date": fields["receive_date"], "msg": "Halo, ada stok?"}
    assert fields["receive_date"].endswith("Z") and len(fields["receive_date"]) == 20
    assert headers["webhook-signature"].startswith("v1,")
