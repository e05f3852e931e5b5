"""Login, tokens, logout, tenants, users and API keys through the HTTP API."""

from __future__ import annotations

from tests.conftest import ADMIN_PASSWORD, PASSWORD, Tenant, assert_error, call


def test_login_returns_a_token_that_works(client, admin_token):
    me = call(client, "GET", "/v1/auth/me", admin_token)
    assert me.status_code == 200
    assert me.json["tenant_id"] == "default"
    assert me.json["role"] == "admin"
    login = call(client, "POST", "/v1/auth/login",
                 body={"username": "ADMIN", "password": ADMIN_PASSWORD})
    assert login.json["expires_at"].endswith("Z")
    assert login.json["token_type"] == "Bearer"


def test_wrong_password_and_unknown_user_get_the_same_401(client, admin_token):
    wrong = call(client, "POST", "/v1/auth/login", body={"username": "admin", "password": "nope"})
    unknown = call(client, "POST", "/v1/auth/login",
                   body={"username": "ghost", "password": "nope"})
    assert assert_error(wrong, 401, "invalid_credentials")["message"] == \
        assert_error(unknown, 401, "invalid_credentials")["message"]


def test_missing_garbage_and_tampered_credentials_are_401(client, admin_token):
    assert_error(call(client, "GET", "/v1/auth/me"), 401)
    assert_error(call(client, "GET", "/v1/auth/me", "garbage"), 401, "invalid_token")
    tampered = admin_token[:-4] + ("AAAA" if not admin_token.endswith("AAAA") else "BBBB")
    assert_error(call(client, "GET", "/v1/auth/me", tampered), 401)
    assert_error(call(client, "GET", "/v1/auth/me", "wg_default_01X_deadbeef"), 401,
                 "invalid_api_key")


def test_logout_revokes_only_the_presented_token(client, acme: Tenant):
    other = call(client, "POST", "/v1/auth/login",
                 body={"username": acme.username, "password": PASSWORD}).json["token"]
    assert call(client, "POST", "/v1/auth/logout", acme.token, {}).status_code == 200
    assert_error(call(client, "GET", "/v1/auth/me", acme.token), 401, "token_revoked")
    assert call(client, "GET", "/v1/auth/me", other).status_code == 200


def test_logout_from_all_revokes_every_token_of_the_user(client, acme: Tenant):
    other = call(client, "POST", "/v1/auth/login",
                 body={"username": acme.username, "password": PASSWORD}).json["token"]
    out = call(client, "POST", "/v1/auth/logout", acme.token, {"from_all": True})
    assert out.json == {"logged_out": True, "from_all": True}
    assert_error(call(client, "GET", "/v1/auth/me", acme.token), 401, "token_revoked")
    assert_error(call(client, "GET", "/v1/auth/me", other), 401, "token_revoked")
    fresh = call(client, "POST", "/v1/auth/login",
                 body={"username": acme.username, "password": PASSWORD}).json["token"]
    assert call(client, "GET", "/v1/auth/me", fresh).status_code == 200


def test_only_platform_admin_creates_tenants(client, acme: Tenant, admin_token):
    assert_error(acme.call("POST", "/v1/tenants", {"name": "Nope"}), 403)
    key = acme.api_key(["sessions:read"])
    assert_error(call(client, "POST", "/v1/tenants", key, {"name": "Nope"}), 403)
    created = call(client, "POST", "/v1/tenants", admin_token, {"name": "Initech"})
    assert created.status_code == 201 and created.json["name"] == "Initech"


def test_owner_adds_members_to_own_tenant_only(client, acme: Tenant, globex: Tenant):
    added = acme.call("POST", f"/v1/tenants/{acme.id}/users",
                      {"username": "acme-member", "password": PASSWORD, "role": "member"})
    assert added.status_code == 201
    assert added.json["role"] == "member" and "password_hash" not in added.json
    assert_error(acme.call("POST", f"/v1/tenants/{globex.id}/users",
                           {"username": "intruder", "password": PASSWORD}), 404)
    assert_error(acme.call("POST", f"/v1/tenants/{acme.id}/users",
                           {"username": "boss", "password": PASSWORD, "role": "admin"}), 403)
    member = call(client, "POST", "/v1/auth/login",
                  body={"username": "acme-member", "password": PASSWORD}).json["token"]
    assert_error(call(client, "POST", f"/v1/tenants/{acme.id}/users", member,
                      {"username": "x-user", "password": PASSWORD}), 403, "missing_scope")


def test_usernames_are_unique_and_passwords_checked(acme: Tenant, globex: Tenant):
    assert_error(globex.call("POST", f"/v1/tenants/{globex.id}/users",
                             {"username": acme.username, "password": PASSWORD}),
                 409, "username_taken")
    error = assert_error(acme.call("POST", f"/v1/tenants/{acme.id}/users",
                                   {"username": "shorty", "password": "short"}), 422)
    assert error["details"][0]["field"] == "password"
    error = assert_error(acme.call("POST", f"/v1/tenants/{acme.id}/users",
                                   {"username": "bad name!", "password": PASSWORD}), 422)
    assert error["details"][0]["field"] == "username"


def test_api_key_is_shown_once_works_as_bearer_and_header_and_dies_on_delete(client,
                                                                               acme: Tenant):
    created = acme.call("POST", "/v1/api-keys", {"name": "ci", "scopes": ["sessions:read"]})
    assert created.status_code == 201
    key = created.json["key"]
    assert key.startswith("wg_")
    listed = acme.call("GET", "/v1/api-keys").json["items"]
    assert [k["id"] for k in listed] == [created.json["id"]]
    assert "key" not in listed[0] and "secret_hash" not in listed[0]
    assert call(client, "GET", "/v1/sessions", key).status_code == 200
    assert call(client, "GET", "/v1/sessions", headers={"X-Api-Key": key}).status_code == 200
    assert acme.call("DELETE", f"/v1/api-keys/{created.json['id']}").status_code == 200
    assert_error(call(client, "GET", "/v1/sessions", key), 401, "invalid_api_key")
    assert_error(acme.call("DELETE", f"/v1/api-keys/{created.json['id']}"), 404)


def test_api_key_scopes_are_enforced(client, acme: Tenant):
    key = acme.api_key(["sessions:read"])
    assert call(client, "GET", "/v1/sessions", key).status_code == 200
    assert_error(call(client, "POST", "/v1/sessions", key, {"name": "x"}), 403, "missing_scope")
    assert_error(call(client, "GET", "/v1/messages", key), 403, "missing_scope")
    assert_error(call(client, "POST", "/v1/api-keys", key,
                      {"name": "escalate", "scopes": ["sessions:write"]}), 403)


def test_api_key_bad_scopes_are_422(acme: Tenant):
    error = assert_error(acme.call("POST", "/v1/api-keys", {"name": "k", "scopes": ["root"]}),
                         422)
    assert error["details"][0]["field"] == "scopes"
    assert_error(acme.call("POST", "/v1/api-keys", {"name": "k", "scopes": []}), 422)


def test_a_tampered_api_key_secret_is_refused(client, acme: Tenant):
    key = acme.api_key(["sessions:read"])
    assert_error(call(client, "GET", "/v1/sessions", key[:-1] + ("0" if key[-1] != "0" else "1")),
                 401, "invalid_api_key")
