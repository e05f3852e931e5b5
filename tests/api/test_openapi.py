"""The API describes itself: the OpenAPI document covers every route, is valid, and the docs
page renders it with assets the gateway serves itself."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from app import app
from chalicelib.api.docs import ASSETS
from tests.conftest import assert_error, call


def _spec(client) -> dict:
    response = call(client, "GET", "/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_the_document_is_valid_openapi_3_1(client):
    spec = _spec(client)
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_route_of_the_app_is_in_the_document_and_nothing_else(client):
    """The catch-all is not an operation; a dialect's routes are in its own document."""
    spec = _spec(client)
    routes = {(path, method.lower()) for path, methods in app.routes.items()
              for method in methods if not path.startswith(("/{proxy", "/compat/"))}
    documented = {(path, method) for path, operations in spec["paths"].items()
                  for method in operations}
    assert documented == routes


def test_every_operation_documents_its_errors_in_the_envelope(client):
    spec = _spec(client)
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            for code, response in responses.items():
                if int(code) >= 400:
                    assert response["content"]["application/json"]["schema"] == \
                        {"$ref": "#/components/schemas/Error"}, (method, path, code)
            if operation["security"]:
                assert "401" in responses and "403" in responses, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses), (method, path)


def test_the_document_names_the_base_path_it_was_served_from(client):
    assert _spec(client)["servers"][0]["url"] == "/"


def test_the_docs_page_loads_only_what_the_gateway_serves(client):
    page = call(client, "GET", "/docs")
    assert page.status_code == 200
    html = page.body.decode()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script: the CSP allows none
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from another origin
    for asset in re.findall(r"(?:src|href)=\"(docs/[^\"]+)\"", html):
        served = call(client, "GET", "/" + asset, headers={"Accept": "*/*"})
        assert served.status_code == 200, asset
        assert served.headers["Content-Type"] == ASSETS[asset.rsplit("/", 1)[1]]
        assert len(served.body) > 0
    assert_error(call(client, "GET", "/docs/../../etc/passwd"), 404)
    assert_error(call(client, "GET", "/docs/app.py"), 404)
