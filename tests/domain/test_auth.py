"""Roles, scopes and the caller (``chalicelib.domain.auth``)."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.domain.auth import ROLE_SCOPES, SCOPES, Principal, Role


def principal(role: Role, api_key_id: str | None = None) -> Principal:
    return Principal(tenant_id="t1", user_id="u1", role=role, scopes=ROLE_SCOPES[role],
                     api_key_id=api_key_id)


def test_every_role_has_scopes() -> None:
    assert set(ROLE_SCOPES) == set(Role)


def test_scopes_are_resource_colon_action() -> None:
    for scope in SCOPES:
        resource, _, action = scope.partition(":")
        assert resource and action in {"read", "write", "send"}, scope


def test_role_scopes_are_known_scopes() -> None:
    for role, scopes in ROLE_SCOPES.items():
        assert scopes <= SCOPES, role


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_admin_and_owner_have_every_scope(role: Role) -> None:
    assert ROLE_SCOPES[role] == SCOPES
    assert principal(role).has("users:write")


def test_member_lacks_users_write_only() -> None:
    assert "users:write" not in ROLE_SCOPES[Role.MEMBER]
    assert not principal(Role.MEMBER).has("users:write")
    assert SCOPES - ROLE_SCOPES[Role.MEMBER] == {"users:write"}


@pytest.mark.parametrize(
    "scope",
    ["sessions:read", "sessions:write", "messages:read", "messages:send", "api_keys:read",
     "api_keys:write"],
)
def test_member_can_work_with_sessions_messages_and_keys(scope: str) -> None:
    assert principal(Role.MEMBER).has(scope)


def test_has_checks_the_principals_own_scopes_not_its_role() -> None:
    key_caller = Principal(tenant_id="t1", user_id="u1", role=Role.OWNER,
                           scopes=frozenset({"messages:send"}), api_key_id="k1")
    assert key_caller.has("messages:send")
    assert not key_caller.has("messages:read")
    assert not key_caller.has("users:write")


def test_default_principal_has_no_scopes() -> None:
    caller = Principal(tenant_id="t1", user_id="u1", role=Role.OWNER)
    assert caller.scopes == frozenset()
    assert not any(caller.has(scope) for scope in SCOPES)


def test_unknown_scope_is_never_held() -> None:
    assert not principal(Role.ADMIN).has("tenants:write")
    assert not principal(Role.ADMIN).has("")


def test_admin_logged_in_is_platform_admin() -> None:
    assert principal(Role.ADMIN).is_platform_admin


def test_admin_with_api_key_is_not_platform_admin() -> None:
    assert not principal(Role.ADMIN, api_key_id="k1").is_platform_admin


@pytest.mark.parametrize("role", [Role.OWNER, Role.MEMBER])
@pytest.mark.parametrize("api_key_id", [None, "k1"])
def test_other_roles_are_never_platform_admin(role: Role, api_key_id: str | None) -> None:
    assert not principal(role, api_key_id).is_platform_admin


def test_roles_are_plain_strings() -> None:
    assert Role("admin") is Role.ADMIN
    assert Role.OWNER == "owner"
    assert Role.MEMBER == "member"


def test_principal_is_immutable() -> None:
    caller = principal(Role.MEMBER)
    with pytest.raises(dataclasses.FrozenInstanceError):
        caller.role = Role.ADMIN  # type: ignore[misc]
