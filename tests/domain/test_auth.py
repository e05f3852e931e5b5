"""Roles, scopes and the caller (``chalicelib.domain.auth``)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.auth import (
    LOGIN_PER_ADDRESS,
    LOGIN_PER_USERNAME,
    ROLE_SCOPES,
    SCOPES,
    Backoff,
    Principal,
    RateLimit,
    Role,
    grant_refusal,
)


def principal(role: Role, api_key_id: str | None = None) -> Principal:
    return Principal(tenant_id="t1", user_id="u1", role=role, scopes=ROLE_SCOPES[role],
                     api_key_id=api_key_id)


def test_every_role_has_scopes() -> None:
    assert set(ROLE_SCOPES) == set(Role)


def test_scopes_are_resource_colon_action() -> None:
    for scope in SCOPES:
        resource, _, action = scope.partition(":")
        assert resource and action in {"read", "write", "send", "verify"}, scope


def test_role_scopes_are_known_scopes() -> None:
    for role, scopes in ROLE_SCOPES.items():
        assert scopes <= SCOPES, role


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_admin_and_owner_have_every_scope(role: Role) -> None:
    assert ROLE_SCOPES[role] == SCOPES
    assert principal(role).has("users:write")


def test_member_lacks_users_webhooks_and_profile_write_only() -> None:
    """A member works the session's WhatsApp (contacts, chats, groups, channels, status) but
    neither lists nor adds users, changes no webhooks, and leaves the account's own name and
    picture alone; it reads bots and the opt-out list but changes neither (a bot may post to
    any URL, an opt-out decides who gets marketing); it follows campaigns but runs none (bulk
    marketing)."""
    assert "users:write" not in ROLE_SCOPES[Role.MEMBER]
    assert not principal(Role.MEMBER).has("users:write")
    assert SCOPES - ROLE_SCOPES[Role.MEMBER] == {"users:read", "users:write", "webhooks:write",
                                                 "profile:write", "bots:write",
                                                 "opt_outs:write", "campaigns:write"}


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


# --- what a caller may grant (nobody grants what they do not hold) ------------------------------

RANK = [Role.MEMBER, Role.OWNER, Role.ADMIN]

callers = st.builds(
    Principal, tenant_id=st.just("t1"), user_id=st.just("u1"), role=st.sampled_from(Role),
    scopes=st.frozensets(st.sampled_from(sorted(SCOPES))),
    api_key_id=st.none() | st.just("k1"))
roles = st.none() | st.sampled_from(Role)
scope_sets = st.frozensets(st.sampled_from(sorted(SCOPES)))


def acting_rank(caller: Principal) -> int:
    return RANK.index(Role.MEMBER if caller.api_key_id else caller.role)


@given(caller=callers, role=roles, scopes=scope_sets)
def test_whatever_is_granted_is_held(caller: Principal, role: Role | None,
                                     scopes: frozenset[str]) -> None:
    if grant_refusal(caller, role=role, scopes=scopes) is not None:
        return
    granted = scopes | (ROLE_SCOPES[role] if role else frozenset())
    assert granted <= caller.scopes
    if role is not None:
        assert RANK.index(role) <= acting_rank(caller)
        assert role != Role.ADMIN or caller.is_platform_admin


@given(caller=callers, role=roles, scopes=scope_sets)
def test_whatever_is_held_may_be_granted(caller: Principal, role: Role | None,
                                         scopes: frozenset[str]) -> None:
    granted = scopes | (ROLE_SCOPES[role] if role else frozenset())
    within = granted <= caller.scopes and (role is None or (
        RANK.index(role) <= acting_rank(caller)
        and (role != Role.ADMIN or caller.is_platform_admin)))
    assert (grant_refusal(caller, role=role, scopes=scopes) is None) == within


def key_of(role: Role, scopes: set[str]) -> Principal:
    return Principal(tenant_id="t1", user_id="u1", role=role, scopes=frozenset(scopes),
                     api_key_id="k1")


def test_a_users_write_key_cannot_make_an_owner_even_holding_every_scope() -> None:
    assert grant_refusal(key_of(Role.MEMBER, {"users:write"}), role=Role.OWNER)
    assert grant_refusal(key_of(Role.MEMBER, set(SCOPES)), role=Role.OWNER)
    assert grant_refusal(key_of(Role.MEMBER, set(SCOPES)), role=Role.MEMBER) is None


def test_a_users_write_key_cannot_make_a_member_with_scopes_it_lacks() -> None:
    refusal = grant_refusal(key_of(Role.MEMBER, {"users:write", "sessions:read"}),
                            role=Role.MEMBER)
    assert refusal and "messages:send" in refusal


def test_owners_make_owners_and_members_but_only_a_logged_in_admin_makes_admins() -> None:
    owner, admin = principal(Role.OWNER), principal(Role.ADMIN)
    assert grant_refusal(owner, role=Role.OWNER) is None
    assert grant_refusal(owner, role=Role.MEMBER) is None
    assert grant_refusal(owner, role=Role.ADMIN)
    assert grant_refusal(admin, role=Role.ADMIN) is None
    assert grant_refusal(key_of(Role.ADMIN, set(SCOPES)), role=Role.ADMIN)


def test_a_key_made_by_a_key_carries_at_most_the_first_keys_scopes() -> None:
    first = key_of(Role.MEMBER, {"api_keys:write", "sessions:read"})
    assert grant_refusal(first, scopes={"api_keys:write", "sessions:read"}) is None
    assert grant_refusal(first, scopes={"sessions:write"})


@pytest.mark.parametrize(("caller", "manages"), [
    (principal(Role.ADMIN), True), (principal(Role.OWNER), True),
    (principal(Role.MEMBER), False), (principal(Role.OWNER, api_key_id="k1"), False),
    (principal(Role.ADMIN, api_key_id="k1"), False)])
def test_only_logged_in_owners_and_admins_manage_every_key(caller: Principal,
                                                           manages: bool) -> None:
    assert caller.manages_all_keys is manages


# --- login backoff and rate windows -------------------------------------------------------------

backoffs = st.builds(Backoff, threshold=st.integers(1, 30), base_s=st.integers(1, 600),
                     cap_s=st.integers(1, 7200), memory_s=st.integers(0, 86_400))


@given(backoff=backoffs, failures=st.integers(0, 500))
def test_the_window_is_zero_below_the_threshold_then_doubles_up_to_the_cap(
        backoff: Backoff, failures: int) -> None:
    window = backoff.window(failures)
    assert 0 <= window <= backoff.cap_s
    if failures < backoff.threshold:
        assert window == 0
    else:
        assert window == min(backoff.cap_s, backoff.base_s * 2 ** (failures - backoff.threshold))
    assert backoff.window(failures + 1) >= window
    assert backoff.window(failures + 1) in {window, min(2 * window, backoff.cap_s),
                                            min(backoff.base_s, backoff.cap_s)}


@given(backoff=backoffs, start=st.floats(0, 2e9),
       gaps=st.lists(st.floats(0, 3600), min_size=1, max_size=40))
def test_consecutive_failures_never_shorten_the_lock(backoff: Backoff, start: float,
                                                     gaps: list[float]) -> None:
    counter, now, previous_window = None, start, 0
    for gap in gaps:
        now += gap
        fresh = counter is None or counter.live_failures(now) == 0
        counter_after = backoff.after_failure(counter, now)
        assert counter_after.expires_at >= now + backoff.memory_s
        assert counter_after.retry_after(now) <= backoff.cap_s + 1
        if not fresh:
            assert counter_after.failures == counter.failures + 1
            assert counter_after.locked_until >= counter.locked_until
            window = backoff.window(counter_after.failures)
            assert window >= previous_window
            previous_window = window
        else:
            assert counter_after.failures == 1
            previous_window = backoff.window(1)
        counter = counter_after


def test_the_login_schedules() -> None:
    assert [LOGIN_PER_USERNAME.window(n) for n in range(4, 12)] == \
        [0, 30, 60, 120, 240, 480, 900, 900]
    assert LOGIN_PER_ADDRESS.window(19) == 0 and LOGIN_PER_ADDRESS.window(20) == 30


def test_a_counter_is_forgotten_after_its_memory() -> None:
    counter = LOGIN_PER_USERNAME.after_failure(None, 1000.0)
    assert counter.live_failures(1000.0) == 1
    assert counter.live_failures(1000.0 + LOGIN_PER_USERNAME.memory_s) == 0
    assert LOGIN_PER_USERNAME.after_failure(counter, 1000.0 + 86_400).failures == 1


@given(now=st.floats(0, 2e9), rate=st.builds(RateLimit, limit=st.integers(1, 100),
                                             window_s=st.integers(1, 3600)))
def test_a_rate_window_contains_now_and_says_when_it_ends(now: float, rate: RateLimit) -> None:
    number, retry_after = rate.window(now)
    assert number * rate.window_s <= now < (number + 1) * rate.window_s
    assert 1 <= retry_after <= rate.window_s
    assert rate.window(now + retry_after)[0] == number + 1
