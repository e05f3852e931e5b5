"""The HTTP edge: unknown routes and methods, body and JSON limits, inputs that once answered
500, security headers, request ids, how media are served, CORS."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import Tenant, assert_error, call

TO = "+14155552671"


@pytest.mark.parametrize("path", ["/v1", "/v1/nope", "/nope/deeper/still", "/v1/sessions/x/y/z",
                                  "/compat/nothing/here"])
def test_unknown_routes_are_404_in_our_envelope(client, path):
    for method in ("GET", "POST", "DELETE"):
        error = assert_error(call(client, method, path), 404, "route_not_found")
        assert path in error["message"]


def test_the_index_points_to_the_docs(client):
    index = call(client, "GET", "/")
    assert index.status_code == 200
    assert index.json == {"service": "wagate", "api": "v1", "docs": "docs",
                          "openapi": "v1/openapi.json"}


def test_known_routes_with_another_method_are_405_in_our_envelope(client):
    assert_error(call(client, "PATCH", "/v1/health"), 405, "method_not_allowed")
    assert_error(call(client, "OPTIONS", "/v1/messages"), 405, "method_not_allowed")
    assert_error(call(client, "POST", "/"), 405, "method_not_allowed")


def test_a_body_over_10_mb_is_413(acme: Tenant):
    body = json.dumps({"name": "x" * (10 * 1024 * 1024)})
    assert_error(acme.call("POST", "/v1/sessions", body), 413, "payload_too_large")
    assert acme.call("GET", "/v1/sessions").json["items"] == []


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_400_even_without_credentials(client, depth):
    body = "[" * depth + "]" * depth
    assert_error(call(client, "POST", "/v1/auth/login", body=body), 400, "invalid_json")
    nested = '{"username": "a", "password": ' + "[" * depth + "]" * depth + "}"
    assert_error(call(client, "POST", "/v1/auth/login", body=nested), 400, "invalid_json")


def _send(tenant: Tenant, sid: str, **body):
    return tenant.call("POST", "/v1/messages", {"session_id": sid, "to": TO, **body})


@pytest.mark.parametrize(("body", "field"), [
    ({"text": "hi", "metadata": {"ref": "x" * (1024 * 1024)}}, "metadata.ref"),
    ({"text": "hi", "metadata": {"x" * 65: "v"}}, "metadata"),
    ({"type": "poll", "poll": {"question": "q", "options": ["a", "b" * (1024 * 1024)]}},
     "poll.options[1]"),
    ({"text": "hi", "schedule_at": "0001-01-01T00:00:00+14:00"}, "schedule_at"),
    ({"text": "hi", "schedule_at": "9999-12-31T23:59:59-14:00"}, "schedule_at"),
    ({"type": "image", "image": {"url": "http://[::1"}}, "image.url"),
    ({"type": "image", "image": {"url": "http://example.com:99999/x.png"}}, "image.url"),
    ({"type": "location", "location": {"latitude": 1, "longitude": 2, "name": "\ud800"}},
     "location.name"),
    ({"text": "\ud800"}, "text"),
    ({"text": "hi", "variables": {"x": "y"}, "metadata": {"k\ud800": "v"}}, "metadata.k\ud800"),
    ({"text": "hi", "typing_ms": 10**38}, "typing_ms"),
    ({"text": "hi", "ttl_seconds": "60"}, "ttl_seconds"),
    ({"text": "hi", "priority": True}, "priority"),
])
def test_inputs_that_once_answered_500_are_422_naming_the_field(acme: Tenant, working: str,
                                                               body, field):
    error = assert_error(_send(acme, working, **body), 422)
    assert error["details"][0]["field"] == field, error
    assert acme.call("GET", "/v1/messages").json["items"] == []


@pytest.mark.parametrize("name", ["a\x00b", "line\nbreak", "tab\there", "x" * 101, ""])
def test_names_refuse_control_characters_and_length(acme: Tenant, name):
    error = assert_error(acme.call("POST", "/v1/sessions", {"name": name, "start": False}), 422)
    assert error["details"][0]["field"] == "name"


def test_an_emoji_name_with_joiners_is_fine(acme: Tenant):
    created = acme.call("POST", "/v1/sessions", {"name": "Shop 👨‍👩‍👧", "start": False})
    assert created.status_code == 201, created.body


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("payload", [
    "float", "dict", "list", "int", "empty",
])
def test_forged_cursors_are_422(acme: Tenant, payload):
    forged = {"float": {"pk": acme.id, "sk": 1.5}, "dict": {"pk": acme.id, "sk": {"S": "x"}},
              "list": [acme.id], "int": {"pk": acme.id, "sk": "SESSION#x", "n": 10**38},
              "empty": {"pk": acme.id, "sk": ""}}[payload]
    for path in ("/v1/sessions", "/v1/messages", "/v1/api-keys", "/v1/templates"):
        error = assert_error(acme.call("GET", f"{path}?cursor={_cursor(forged)}"), 422)
        assert error["details"][0]["field"] == "cursor"


@pytest.mark.parametrize("query", ["limit=100000000000000000000000000000000000000",
                                   "limit=0", "limit=-1", "limit=1.5", "limit=%F0%9F%98%80",
                                   "session_id=" + "x" * 65, "cursor=" + "x" * 2049])
def test_bad_query_parameters_are_422(acme: Tenant, query):
    assert_error(acme.call("GET", f"/v1/messages?{query}"), 422)


def test_limits_beyond_any_use_are_422(client, admin_token, acme: Tenant):
    response = call(client, "PUT", f"/v1/tenants/{acme.id}/limits", admin_token,
                    {"messages_per_day": 10**38, "messages_per_month": 1, "sessions": 1})
    assert assert_error(response, 422)["details"][0]["field"] == "messages_per_day"


def test_an_overlong_path_parameter_is_404(acme: Tenant):
    assert_error(acme.call("GET", "/v1/messages/" + "x" * 2000), 404)
    assert_error(acme.call("GET", "/v1/sessions/%00"), 404)


def test_every_answer_has_a_request_id_and_security_headers(acme: Tenant, client, caplog):
    caplog.set_level(logging.INFO)
    answers = [acme.call("GET", "/v1/sessions"), call(client, "GET", "/v1/nope"),
               call(client, "PATCH", "/v1/health"), acme.call("POST", "/v1/sessions", "{"),
               call(client, "GET", "/v1/health")]
    ids = set()
    for response in answers:
        headers = {k.lower(): v for k, v in response.headers.items()}
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"
        ids.add(headers["x-request-id"])
    assert len(ids) == len(answers)  # one per request
    for request_id in ids:  # and each request's log line names it
        assert any(request_id in record.getMessage() for record in caplog.records)


def test_secrets_are_never_cached(acme: Tenant):
    created = acme.call("POST", "/v1/api-keys", {"name": "k", "scopes": ["sessions:read"]})
    assert created.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("mime", "payload", "served_as", "disposition"), [
    ("image/png", None, "image/png", "inline"),
    ("text/html", b"<html><script>alert(1)</script></html>", "application/octet-stream",
     "attachment"),
    ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
     "application/octet-stream", "attachment"),
])
def test_media_a_browser_could_run_are_downloads(acme: Tenant, working: str, host, mime, payload,
                                                 served_as, disposition):
    from tests.samples import png

    data = payload or png()
    accepted = _send(acme, working, type="document", document={
        "base64": base64.b64encode(data).decode(), "mime_type": mime, "filename": "f"})
    assert accepted.status_code == 202, accepted.body
    served = acme.call("GET", f"/v1/messages/{accepted.json['id']}/media",
                       headers={"Accept": "*/*"})
    assert served.status_code == 200
    assert served.headers["Content-Type"] == served_as
    assert served.headers["Content-Disposition"].startswith(disposition)
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


CORS_PROBE = textwrap.dedent("""
    import json, os, sys
    from chalice.test import Client
    from app import app
    with Client(app) as client:
        response = client.http.get("/v1/health", headers={"Origin": "https://app.example"})
        print(json.dumps({k.lower(): v for k, v in response.headers.items()}))
""")


@pytest.mark.parametrize("origin", [None, "https://app.example"])
def test_cors_is_off_unless_configured(origin):
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"}
    if origin:
        env["WAGATE_CORS_ORIGIN"] = origin
    output = subprocess.run([sys.executable, "-c", CORS_PROBE], env=env, capture_output=True,
                            text=True, check=True, timeout=60)
    headers = json.loads(output.stdout.strip().splitlines()[-1])
    assert headers.get("access-control-allow-origin") == origin
