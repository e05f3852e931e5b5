"""A host per dialect on the custom domain: ``https://cloudwa.<domain>/api/v2/...`` answers as
``/compat/cloudwa/api/v2/...`` does, through the ``dialect_edge`` function that the dialect
hosts' REST API calls (Lambda proxy events as API Gateway sends them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import app as app_module
from chalicelib.api.dialects import NAMES
from chalicelib.api.dialects.hosts import dialect_of
from chalicelib.devstack.runtime import LambdaContext
from tests.conftest import PASSWORD, Tenant, call

DOMAIN = "wa.example.com"


def _edge(method: str, host: str, path: str, body: Any = None,
          token: str | None = None) -> dict[str, Any]:
    """What the dialect hosts' API sends the function for one request (resource /{proxy+})."""
    headers = {"Host": host, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    event = {
        "resource": "/{proxy+}", "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method, "path": path,
                           "stage": "api", "domainName": host, "requestId": "gw-1",
                           "apiId": "edge", "identity": {"sourceIp": "127.0.0.1"}},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }
    return app_module.dialect_edge(event, LambdaContext("wagate-test-dialect_edge"))


@pytest.fixture
def domain(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WAGATE_DIALECT_DOMAIN", DOMAIN)
    return DOMAIN


def test_a_product_keeps_its_exact_paths_on_its_own_host(acme: Tenant, domain: str) -> None:
    host = f"cloudwa.{domain}"
    login = _edge("POST", host, "/api/v2/auth/login",
                  {"username": acme.username, "password": PASSWORD})
    assert login["statusCode"] == 200, login
    token = json.loads(login["body"])["access_token"]
    user = _edge("GET", host, "/api/v2/auth/user", token=token)
    assert user["statusCode"] == 200
    same = call(acme.client, "GET", "/compat/cloudwa/api/v2/auth/user", token)
    assert json.loads(user["body"]) == same.json
    refused = _edge("GET", host, "/api/v2/auth/user", token="nope")
    assert (refused["statusCode"], json.loads(refused["body"])) == (
        401, {"message": "Unauthenticated."})  # CloudWA's own shape, as under /compat


@pytest.mark.parametrize("name", NAMES)
def test_every_dialect_serves_its_document_at_its_host(name: str, domain: str) -> None:
    answer = _edge("GET", f"{name}.{domain}", "/openapi.json")
    assert answer["statusCode"] == 200
    assert "paths" in json.loads(answer["body"])


@pytest.mark.parametrize("host", [f"nosuch.{DOMAIN}", "cloudwa.elsewhere.com", DOMAIN,
                                  f"x.cloudwa.{DOMAIN}"])
def test_a_host_that_names_no_dialect_is_our_404(host: str, domain: str) -> None:
    answer = _edge("GET", host, "/openapi.json")
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"]["code"] == "route_not_found"


def test_without_a_domain_no_host_is_a_dialect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAGATE_DIALECT_DOMAIN", raising=False)
    assert _edge("GET", f"cloudwa.{DOMAIN}", "/openapi.json")["statusCode"] == 404
    assert dialect_of(f"CloudWA.{DOMAIN.upper()}.", DOMAIN) == "cloudwa"
    assert dialect_of(f"cloudwa.{DOMAIN}", "") is None
