"""The API fuzzed against its own OpenAPI document (schemathesis), in-process.

Every operation of ``/v1/openapi.json`` gets schema-valid and schema-violating requests, as a
tenant owner with a WORKING sandbox session. The suite fails on any 5xx, any undocumented
status, any answer whose body does not match its documented schema (errors included: the
envelope), and any schema-violating request the API accepts.

Bounded: ``FUZZ_EXAMPLES`` per operation and mode (env ``WAGATE_FUZZ_EXAMPLES``, default 12).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from chalice.test import Client
from hypothesis import HealthCheck, settings
from moto import mock_aws
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app import app
from chalicelib import bootstrap
from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.provision import provision
from chalicelib.api.openapi import generate
from chalicelib.domain.auth import Role
from tests.conftest import ADMIN_PASSWORD, PASSWORD, call, start_host, wait_for

FUZZ_EXAMPLES = int(os.environ.get("WAGATE_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


class ChaliceWsgi:
    """The Chalice app behind its local API Gateway, as a WSGI app (what schemathesis calls
    in-process)."""

    client: Client | None = None  # set while the fuzz_world fixture is up


    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        # API Gateway hands the path over still percent-encoded, as the client sent it. A ";"
        # goes encoded: Chalice's local router (not API Gateway) reads the path with urlparse,
        # which cuts ";params" off the last segment (/v1/webhooks/;x would match /v1/webhooks).
        path = quote((environ.get("PATH_INFO") or "/").encode("latin-1"), safe="/%:@!$&'()*+,=")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        assert self.client is not None, "the fuzz_world fixture is not up"
        response = self.client.http.request(environ["REQUEST_METHOD"], path, headers=headers,
                                      body=body)
        start_response(f"{response.status_code} STATUS", list(response.headers.items()))
        return [response.body or b""]


WSGI = ChaliceWsgi()
schema = schemathesis.openapi.from_dict(generate(app.routes))
schema.app = WSGI
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                max_examples=FUZZ_EXAMPLES, deterministic=True,
                                with_security_parameters=False)


@pytest.fixture(scope="module")
def auth_headers() -> Iterator[dict[str, str]]:
    """One tenant (owner token, all scopes) with a WORKING session, for the whole module."""
    with mock_aws(), tempfile.TemporaryDirectory() as state, Client(app) as client:
        bootstrap.reset()
        provision(aws_clients.client("dynamodb"), aws_clients.client("sqs"),
                  bootstrap.container().settings.prefix, aws_clients.client("s3"),
                  aws_clients.client("scheduler"))
        auth = bootstrap.container().auth
        auth.ensure_tenant("default", "Default")
        auth.create_user(None, "default", "admin", ADMIN_PASSWORD, Role.ADMIN)
        admin = call(client, "POST", "/v1/auth/login",
                     body={"username": "admin", "password": ADMIN_PASSWORD}).json["token"]
        tenant = call(client, "POST", "/v1/tenants", admin, {"name": "Fuzz"}).json
        call(client, "POST", f"/v1/tenants/{tenant['id']}/users", admin,
             {"username": "fuzz-owner", "password": PASSWORD, "role": "owner"})
        token = call(client, "POST", "/v1/auth/login",
                     body={"username": "fuzz-owner", "password": PASSWORD}).json["token"]
        host = start_host(Path(state), background=True)
        sid = call(client, "POST", "/v1/sessions", token, {"name": "fuzz"}).json["id"]
        wait_for(lambda: call(client, "GET", f"/v1/sessions/{sid}", token).json["status"]
                 == "SCAN_QR")
        call(client, "POST", f"/v1/sandbox/sessions/{sid}/scan", token,
             {"phone": "+14155550100"})
        WSGI.client = client
        try:
            yield {"Authorization": f"Bearer {token}"}
        finally:
            WSGI.client = None
            host.host.kill()
            host.stop()
            bootstrap.reset()


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_holds_to_its_contract(case: Any, auth_headers: dict[str, str]) -> None:
    if case.operation.path in ("/v1/auth/logout",):
        return  # would revoke the token every other case uses (logout has its own tests)
    case.call_and_validate(headers={**(case.headers or {}), **auth_headers}, checks=CHECKS)
