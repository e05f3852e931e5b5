"""Operators' routes for tenants and users: list tenants, list and remove a tenant's users,
reset a user's password, change your own."""

from __future__ import annotations

from tests.conftest import PASSWORD, Tenant, assert_error, call

NEW_PASSWORD = "a-new-password-2"


def login(client, username: str, password: str = PASSWORD):
    return call(client, "POST", "/v1/auth/login", body={"username": username,
                                                         "password": password})


def user_id(tenant: Tenant, username: str) -> str:
    users = tenant.call("GET", f"/v1/tenants/{tenant.id}/users").json["items"]
    return next(u["id"] for u in users if u["username"] == username)


def test_a_platform_admin_pages_through_every_tenant(client, admin_token, acme: Tenant,
                                                     globex: Tenant):
    first = call(client, "GET", "/v1/tenants?limit=2", admin_token)
    assert first.status_code == 200, first.body
    rest = call(client, "GET", f"/v1/tenants?limit=2&cursor={first.json['next_cursor']}",
                admin_token)
    names = [t["name"] for t in first.json["items"] + rest.json["items"]]
    assert names == ["Default", "Acme", "Globex"]  # oldest first
    assert rest.json["next_cursor"] is None
    assert set(first.json["items"][1]) == {"id", "name", "created_at", "limits"}


def test_only_a_platform_admin_lists_tenants(acme: Tenant):
    assert_error(acme.call("GET", "/v1/tenants"), 403)
    key = acme.api_key(["users:read", "users:write"])
    assert_error(call(acme.client, "GET", "/v1/tenants", key), 403)


def test_an_owner_lists_its_users_and_a_member_may_not(acme: Tenant):
    member = acme.member()
    listed = acme.call("GET", f"/v1/tenants/{acme.id}/users")
    assert listed.status_code == 200, listed.body
    assert [(u["username"], u["role"]) for u in listed.json["items"]] in (
        [(acme.username, "owner"), (member.username, "member")],
        [(member.username, "member"), (acme.username, "owner")])
    assert all("password" not in str(u) for u in listed.json["items"])
    assert_error(member.call("GET", f"/v1/tenants/{acme.id}/users"), 403)
    paged = acme.call("GET", f"/v1/tenants/{acme.id}/users?limit=1")
    assert len(paged.json["items"]) == 1 and paged.json["next_cursor"]


def test_removing_a_user_ends_their_logins_and_keys(client, acme: Tenant):
    member = acme.member()
    key = member.api_key(["sessions:read"])
    assert call(client, "GET", "/v1/sessions", key).status_code == 200
    removed = acme.call("DELETE", f"/v1/tenants/{acme.id}/users/{user_id(acme, member.username)}")
    assert removed.status_code == 200, removed.body
    assert removed.json["deleted"] is True
    assert_error(member.call("GET", "/v1/auth/me"), 401, "token_revoked")
    assert_error(call(client, "GET", "/v1/sessions", key), 401, "invalid_api_key")
    assert_error(login(client, member.username), 401, "invalid_credentials")
    assert [u["username"] for u in acme.call("GET", f"/v1/tenants/{acme.id}/users").json[
        "items"]] == [acme.username]
    # The name is free again.
    assert acme.member(member.username).call("GET", "/v1/auth/me").status_code == 200


def test_nobody_removes_themselves_and_members_remove_nobody(acme: Tenant):
    member = acme.member()
    owner_id = user_id(acme, acme.username)
    assert_error(acme.call("DELETE", f"/v1/tenants/{acme.id}/users/{owner_id}"), 409,
                 "cannot_delete_self")
    assert_error(member.call("DELETE", f"/v1/tenants/{acme.id}/users/{owner_id}"), 403)
    assert_error(acme.call("DELETE", f"/v1/tenants/{acme.id}/users/01NOSUCHUSER"), 404)
    assert acme.call("GET", "/v1/auth/me").status_code == 200


def test_a_platform_admin_manages_any_tenants_users(client, admin_token, acme: Tenant):
    member = acme.member()
    member_id = user_id(acme, member.username)
    reset = call(client, "PUT", f"/v1/tenants/{acme.id}/users/{member_id}/password",
                 admin_token, {"new_password": NEW_PASSWORD})
    assert reset.status_code == 200, reset.body
    assert reset.json["username"] == member.username
    removed = call(client, "DELETE", f"/v1/tenants/{acme.id}/users/{member_id}", admin_token)
    assert removed.status_code == 200, removed.body


def test_an_owner_resets_a_members_password(client, acme: Tenant):
    member = acme.member()
    path = f"/v1/tenants/{acme.id}/users/{user_id(acme, member.username)}/password"
    assert_error(acme.call("PUT", path, {"new_password": "short"}), 422)
    assert member.call("GET", "/v1/auth/me").status_code == 200  # nothing changed
    reset = acme.call("PUT", path, {"new_password": NEW_PASSWORD})
    assert reset.status_code == 200, reset.body
    assert_error(member.call("GET", "/v1/auth/me"), 401, "token_revoked")
    assert_error(login(client, member.username), 401)
    assert login(client, member.username, NEW_PASSWORD).status_code == 200


def test_a_member_resets_nobodys_password(client, acme: Tenant):
    member = acme.member()
    owner_path = f"/v1/tenants/{acme.id}/users/{user_id(acme, acme.username)}/password"
    assert_error(member.call("PUT", owner_path, {"new_password": NEW_PASSWORD}), 403)
    assert login(client, acme.username).status_code == 200


def test_changing_your_own_password_revokes_your_other_tokens(client, acme: Tenant):
    other = login(client, acme.username).json["token"]
    changed = acme.call("POST", "/v1/auth/password",
                        {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.body
    assert changed.json["token_type"] == "Bearer"
    assert call(client, "GET", "/v1/auth/me", changed.json["token"]).status_code == 200
    for old in (acme.token, other):
        assert_error(call(client, "GET", "/v1/auth/me", old), 401, "token_revoked")
    assert_error(login(client, acme.username), 401)
    assert login(client, acme.username, NEW_PASSWORD).status_code == 200


def test_a_wrong_current_password_changes_nothing_and_is_throttled(client, acme: Tenant):
    body = {"current_password": "not-my-password", "new_password": NEW_PASSWORD}
    for _ in range(5):
        assert_error(acme.call("POST", "/v1/auth/password", body), 422, "wrong_password")
    assert_error(acme.call("POST", "/v1/auth/password", body), 429, "too_many_attempts")
    assert acme.call("GET", "/v1/auth/me").status_code == 200
    assert_error(acme.call("POST", "/v1/auth/password",
                           {"current_password": PASSWORD, "new_password": "short"}), 422)
    assert_error(acme.call("POST", "/v1/auth/password", {"new_password": NEW_PASSWORD}), 422)


def test_an_api_key_has_no_password_to_change(client, acme: Tenant):
    key = acme.api_key(["sessions:read"])
    assert_error(call(client, "POST", "/v1/auth/password", key,
                      {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
                 422, "not_a_login")
    assert login(client, acme.username).status_code == 200
