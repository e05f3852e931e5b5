"""What the fuzz tests share: the app as a WSGI app (what schemathesis calls in-process), and
a world to fuzz in (one tenant owner with every scope and a WORKING sandbox session)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib import bootstrap
from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.provision import provision
from chalicelib.domain.auth import Role
from tests.conftest import ADMIN_PASSWORD, PASSWORD, call, start_host, wait_for


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


@dataclass(frozen=True)
class World:
    client: Client
    tenant_id: str
    token: str  # the owner's login token (every scope)
    session_id: str


@contextmanager
def fuzz_world() -> Iterator[World]:
    """One tenant (owner, all scopes) with a WORKING session; WSGI serves while it is up."""
    with mock_aws(), tempfile.TemporaryDirectory() as state, Client(app) as client:
        bootstrap.reset()
        provision(aws_clients.client("dynamodb"), aws_clients.client("sqs"),
                  bootstrap.container().settings.prefix, aws_clients.client("s3"),
                  aws_clients.client("scheduler"))
        tenancy = bootstrap.container().tenancy
        tenancy.ensure_tenant("default", "Default")
        tenancy.create_user(None, "default", "admin", ADMIN_PASSWORD, Role.ADMIN)
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
            yield World(client, tenant["id"], token, sid)
        finally:
            WSGI.client = None
            host.host.kill()
            host.stop()
            bootstrap.reset()
