"""The dialect edge: one greedy route per product, its own router, the product's credential
header, shapes and errors (here with a small stand-in product, "wacloud" mounted)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from chalicelib.api import dialects
from chalicelib.api.dialects.edge import Call, Profile, Router, header_credential
from chalicelib.domain.errors import AppError, NotFound
from tests.conftest import Tenant, assert_error, call


def _error(error: AppError) -> tuple[int, Any]:
    return error.status, {"ok": False, "why": error.message, "kind": error.code}


PROFILE = Profile(name="wacloud", title="Stand-in", base="/api",
                  credential=header_credential("X-Key"),
                  envelope=lambda data: {"ok": True, "result": data}, error=_error,
                  security={"type": "apiKey", "in": "header", "name": "X-Key"})
ROUTER = Router(PROFILE)


class Echo(BaseModel):
    text: str
    count: int = 1


@ROUTER.route("GET", "/api/things/{thing_id}", scope="sessions:read")
def get_thing(call: Call, thing_id: str) -> dict[str, Any]:
    """Read one thing."""
    if thing_id == "missing":
        raise NotFound("no such thing")
    return {"id": thing_id, "tenant": call.tenant_id}


@ROUTER.route("GET", "/api/things/special", scope="sessions:read")
def special(call: Call) -> str:
    """The fixed segment wins over the parameter."""
    return "special"


@ROUTER.route("POST", "/api/echo", scope="messages:send", body=Echo, form=True, status=201)
def echo(call: Call) -> dict[str, Any]:
    """Echo the body."""
    body = call.body()
    return {"text": body.text * body.count}


@ROUTER.route("GET", "/api/boom", auth=False)
def boom(call: Call) -> None:
    """Fail unexpectedly."""
    raise RuntimeError("unexpected")


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(dialects, "router", lambda name: ROUTER)
    yield


def product(tenant: Tenant, method: str, path: str, key: str | None, body: Any = None,
            headers: dict[str, str] | None = None) -> Any:
    return call(tenant.client, method, f"/compat/wacloud{path}", None, body,
                headers={**({"X-Key": key} if key else {}), **(headers or {})})


def test_a_route_answers_in_the_products_envelope_with_the_products_key(
        acme: Tenant, stand_in: None) -> None:
    key = acme.api_key(["sessions:read"])
    response = product(acme, "GET", "/api/things/t1", key)
    assert response.status_code == 200
    assert response.json == {"ok": True, "result": {"id": "t1", "tenant": acme.id}}
    assert product(acme, "GET", "/api/things/t1", None,
                   headers={"X-Key": f"Bearer {key}"}).status_code == 200
    assert product(acme, "GET", "/api/things/special", key).json["result"] == "special"
    assert response.headers["X-Request-Id"]


def test_errors_come_in_the_products_shape(acme: Tenant, stand_in: None) -> None:
    key = acme.api_key(["sessions:read"])
    assert product(acme, "GET", "/api/things/t1", None).status_code == 401
    unknown = product(acme, "GET", "/api/things/t1", "wg_nope")
    assert unknown.status_code == 401 and unknown.json["ok"] is False
    refused = product(acme, "POST", "/api/echo", key, {"text": "a"})
    assert refused.status_code == 403 and refused.json["kind"] == "missing_scope"
    missing = product(acme, "GET", "/api/things/missing", key)
    assert missing.status_code == 404 and missing.json == {
        "ok": False, "why": "no such thing", "kind": "not_found"}
    assert product(acme, "GET", "/api/nowhere", key).json["kind"] == "route_not_found"
    wrong = product(acme, "DELETE", "/api/things/t1", key)
    assert wrong.status_code == 405 and wrong.json["kind"] == "method_not_allowed"
    crashed = product(acme, "GET", "/api/boom", None)
    assert crashed.status_code == 500 and crashed.json["kind"] == "internal"
    # Outside the dialects, our own envelope.
    assert_error(call(acme.client, "GET", "/compatible/x"), 404, "route_not_found")


def test_bodies_come_as_json_or_as_forms_and_bad_ones_are_refused(
        acme: Tenant, stand_in: None) -> None:
    key = acme.api_key(["messages:send"])
    sent = product(acme, "POST", "/api/echo", key, {"text": "ab", "count": "2"})
    assert sent.status_code == 201 and sent.json["result"] == {"text": "abab"}
    form = product(acme, "POST", "/api/echo", key, "text=hi&count=3",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.json["result"] == {"text": "hihihi"}
    for bad, status in (("{", 400), ("[1]", 400), ({"count": 2}, 422),
                        ({"text": "a", "count": "x"}, 422)):
        answer = product(acme, "POST", "/api/echo", key, bad)
        assert answer.status_code == status and answer.json["ok"] is False, answer.body


def test_each_dialect_serves_its_openapi_document(acme: Tenant, stand_in: None) -> None:
    document = call(acme.client, "GET", "/compat/wacloud/openapi.json").json
    assert document["servers"] == [{"url": "/compat/wacloud"}]
    assert set(document["paths"]) == {"/openapi.json", "/api/things/{thing_id}",
                                      "/api/things/special", "/api/echo", "/api/boom"}
    operation = document["paths"]["/api/echo"]["post"]
    assert "messages:send" in operation["description"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json", "application/x-www-form-urlencoded"}
    assert document["components"]["securitySchemes"]["key"]["name"] == "X-Key"


def test_the_native_document_leaves_the_dialects_to_theirs(acme: Tenant) -> None:
    paths = call(acme.client, "GET", "/v1/openapi.json").json["paths"]
    assert not [p for p in paths if p.startswith("/compat")]
