"""Bad input of every kind gets a clear 4xx in the error envelope, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import Tenant, assert_error, call


def test_health_answers_without_auth(client):
    response = call(client, "GET", "/v1/health")
    assert response.status_code == 200 and response.json["status"] == "ok"


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "\xff"])
def test_malformed_json_is_400(acme: Tenant, raw):
    assert_error(acme.call("POST", "/v1/sessions", raw), 400, "invalid_json")


def test_unknown_fields_and_wrong_types_are_422_naming_the_field(acme: Tenant):
    error = assert_error(acme.call("POST", "/v1/sessions", {"name": "a", "colour": "red"}), 422)
    assert error["details"][0]["field"] == "colour"
    error = assert_error(acme.call("POST", "/v1/sessions", {"name": 5}), 422)
    assert error["details"][0]["field"] == "name"
    error = assert_error(acme.call("POST", "/v1/sessions", {}), 422)
    assert error["details"][0]["field"] == "name"


def test_form_encoded_json_from_plain_curl_is_accepted(acme: Tenant):
    response = acme.call("POST", "/v1/sessions", '{"name": "curl", "start": false}',
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201


@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=abc", "limit"),
                                          ("limit=1000", "limit"), ("cursor=%%%", "cursor")])
def test_bad_pagination_is_422(acme: Tenant, query, field):
    error = assert_error(acme.call("GET", f"/v1/sessions?{query}"), 422)
    assert error["details"][0]["field"] == field


def test_bad_webhook_url_and_engine_are_422(acme: Tenant):
    error = assert_error(acme.call("POST", "/v1/sessions",
                                   {"name": "a", "webhook_url": "ftp://x"}), 422)
    assert error["details"][0]["field"] == "webhook_url"
    error = assert_error(acme.call("POST", "/v1/sessions", {"name": "a", "engine": "magic"}),
                         422)
    assert error["details"][0]["field"] == "engine"


def test_bad_input_changes_nothing(acme: Tenant):
    acme.call("POST", "/v1/sessions", {"name": "a", "engine": "magic"})
    acme.call("POST", "/v1/sessions", "{broken")
    assert acme.call("GET", "/v1/sessions").json["items"] == []


def test_login_with_bad_body(client):
    assert_error(call(client, "POST", "/v1/auth/login", body={"username": "x"}), 422)
    assert_error(call(client, "POST", "/v1/auth/login", body="nope"), 400)


@pytest.mark.parametrize("content_type", ["application/xml", "multipart/form-data"])
def test_unsupported_media_type_is_415_in_our_shape(acme: Tenant, content_type):
    assert_error(acme.call("POST", "/v1/sessions", '{"name": "x"}',
                           headers={"Content-Type": content_type}), 415, "unsupported_media_type")


def test_wrong_method_is_405_in_our_shape(acme: Tenant):
    assert_error(acme.call("PUT", "/v1/sessions", {"name": "x"}), 405, "method_not_allowed")
