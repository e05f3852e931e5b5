"""Nobody grants what they do not hold, through the HTTP API: users, roles and API keys."""

from __future__ import annotations

from chalicelib.domain.auth import SCOPES
from tests.conftest import PASSWORD, Tenant, assert_error, call

MEMBER_SCOPES = ["api_keys:read", "api_keys:write", "messages:read", "messages:send",
                 "sessions:read", "sessions:write"]


def login(tenant: Tenant, username: str) -> str:
    response = call(tenant.client, "POST", "/v1/auth/login",
                    body={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.body
    return response.json["token"]


def add_member(tenant: Tenant, username: str) -> str:
    created = tenant.call("POST", f"/v1/tenants/{tenant.id}/users",
                          {"username": username, "password": PASSWORD, "role": "member"})
    assert created.status_code == 201, created.body
    return login(tenant, username)


def test_a_users_write_key_cannot_create_an_owner(client, acme: Tenant):
    key = acme.api_key(["users:write"])
    assert_error(call(client, "POST", f"/v1/tenants/{acme.id}/users", key,
                      {"username": "usurper", "password": PASSWORD, "role": "owner"}), 403)
    assert_error(call(client, "POST", "/v1/auth/login",
                      body={"username": "usurper", "password": PASSWORD}), 401)


def test_a_key_with_every_scope_still_creates_members_only(client, acme: Tenant):
    key = acme.api_key(sorted(SCOPES))
    assert_error(call(client, "POST", f"/v1/tenants/{acme.id}/users", key,
                      {"username": "usurper", "password": PASSWORD, "role": "owner"}), 403)
    made = call(client, "POST", f"/v1/tenants/{acme.id}/users", key,
                {"username": "helper", "password": PASSWORD, "role": "member"})
    assert made.status_code == 201 and made.json["role"] == "member"


def test_a_key_cannot_create_a_user_with_scopes_it_lacks(client, acme: Tenant):
    key = acme.api_key(["users:write", "sessions:read"])
    error = assert_error(call(client, "POST", f"/v1/tenants/{acme.id}/users", key,
                              {"username": "helper", "password": PASSWORD, "role": "member"}),
                         403)
    assert "messages:send" in error["message"]
    assert_error(call(client, "POST", "/v1/auth/login",
                      body={"username": "helper", "password": PASSWORD}), 401)


def test_only_a_logged_in_admin_creates_administrators(client, admin_token: str, acme: Tenant):
    admin_key = call(client, "POST", "/v1/api-keys", admin_token,
                     {"name": "all", "scopes": sorted(SCOPES)}).json["key"]
    root = {"username": "root2", "password": PASSWORD, "role": "admin"}
    assert_error(acme.call("POST", f"/v1/tenants/{acme.id}/users", root), 403)
    assert_error(call(client, "POST", "/v1/tenants/default/users", admin_key, root), 403)
    assert_error(call(client, "POST", "/v1/tenants", admin_key, {"name": "Nope"}), 403)
    made = call(client, "POST", "/v1/tenants/default/users", admin_token, root)
    assert made.status_code == 201 and made.json["role"] == "admin"


def test_a_key_made_by_a_key_carries_no_more_than_the_first(client, acme: Tenant):
    first = acme.api_key(["api_keys:write", "sessions:read"])
    assert_error(call(client, "POST", "/v1/api-keys", first,
                      {"name": "wider", "scopes": ["sessions:read", "messages:send"]}), 403)
    second = call(client, "POST", "/v1/api-keys", first,
                  {"name": "narrower", "scopes": ["sessions:read"]})
    assert second.status_code == 201, second.body
    me = call(client, "GET", "/v1/auth/me", second.json["key"]).json
    assert me["scopes"] == ["sessions:read"]


def test_members_see_and_revoke_only_their_own_keys(client, acme: Tenant):
    owners = acme.call("POST", "/v1/api-keys", {"name": "owner's", "scopes": ["sessions:read"]})
    member = add_member(acme, "acme-member")
    mine = call(client, "POST", "/v1/api-keys", member,
                {"name": "mine", "scopes": ["sessions:read"]}).json
    listed = call(client, "GET", "/v1/api-keys", member).json["items"]
    assert [k["id"] for k in listed] == [mine["id"]]
    member_key = call(client, "POST", "/v1/api-keys", member,
                      {"name": "keys", "scopes": MEMBER_SCOPES}).json
    by_key = call(client, "GET", "/v1/api-keys", member_key["key"]).json["items"]
    assert {k["id"] for k in by_key} == {mine["id"], member_key["id"]}
    for caller in (member, member_key["key"]):
        assert_error(call(client, "DELETE", f"/v1/api-keys/{owners.json['id']}", caller), 404)
    assert call(client, "GET", "/v1/sessions", owners.json["key"]).status_code == 200
    everything = {k["id"] for k in acme.call("GET", "/v1/api-keys").json["items"]}
    assert everything == {owners.json["id"], mine["id"], member_key["id"]}
    assert acme.call("DELETE", f"/v1/api-keys/{mine['id']}").status_code == 200
    assert_error(call(client, "GET", "/v1/sessions", mine["key"]), 401, "invalid_api_key")
