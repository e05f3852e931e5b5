"""AuthService and TenancyService on fakes: who may grant what, login throttling, user creation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.secrets import SettingsKeyring
from chalicelib.domain.auth import (
    LOGIN_PER_ADDRESS,
    LOGIN_PER_USERNAME,
    ROLE_SCOPES,
    SCOPES,
    USER_CREATION,
    Attempts,
    Principal,
    Role,
)
from chalicelib.domain.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized
from chalicelib.services.auth import AuthService
from chalicelib.services.tenancy import TenancyService
from tests.fakes import FakeHasher, FakeThrottle, FakeUsers

PASSWORD = "right-password-1"
START = 1_700_000_000.0


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self) -> None:
        self.users, self.throttle, self.hasher = FakeUsers(), FakeThrottle(), FakeHasher()
        self.clock = Clock()
        self.auth = AuthService(self.users, self.hasher,
                                SettingsKeyring("jwt", "secret-for-tests-0123456789abcdef"),
                                3600, self.throttle, clock=self.clock)
        self.tenancy = TenancyService(self.users, self.hasher, self.throttle, clock=self.clock)
        for tenant in ("t1", "t2"):
            self.tenancy.ensure_tenant(tenant, tenant)
        self.owner = self.tenancy.create_user(None, "t1", "owner", PASSWORD, Role.OWNER)

    def login(self, username: str, password: str, address: str = "198.51.100.7") -> str:
        """"ok", "401" or "429:<Retry-After>"."""
        try:
            self.auth.login(username, password, address)
        except Unauthorized:
            return "401"
        except AppError as exc:
            assert exc.status == 429 and exc.code == "too_many_attempts"
            return f"429:{exc.headers['Retry-After']}"
        return "ok"


@pytest.fixture
def world() -> World:
    return World()


def user(role: Role, user_id: str = "u-owner") -> Principal:
    return Principal(tenant_id="t1", user_id=user_id, role=role, scopes=ROLE_SCOPES[role])


def key(scopes: set[str], user_id: str = "u-owner") -> Principal:
    return Principal(tenant_id="t1", user_id=user_id, role=Role.MEMBER,
                     scopes=frozenset(scopes), api_key_id="k1")


# --- authority ----------------------------------------------------------------------------------


def test_a_users_write_key_makes_no_owner_and_no_member_beyond_its_scopes(world: World):
    with pytest.raises(Forbidden):
        world.tenancy.create_user(key({"users:write"}), "t1", "boss", PASSWORD, Role.OWNER)
    with pytest.raises(Forbidden):
        world.tenancy.create_user(key(set(SCOPES)), "t1", "boss", PASSWORD, Role.OWNER)
    with pytest.raises(Forbidden):
        world.tenancy.create_user(key({"users:write"}), "t1", "helper", PASSWORD, Role.MEMBER)
    made = world.tenancy.create_user(key(set(SCOPES)), "t1", "helper", PASSWORD, Role.MEMBER)
    assert made.role == Role.MEMBER
    assert set(world.users.users) == {"owner", "helper"}


def test_administrators_and_tenants_come_from_a_logged_in_admin_only(world: World):
    admin = Principal(tenant_id="t1", user_id="a", role=Role.ADMIN, scopes=SCOPES)
    admin_key = key(set(SCOPES))
    for caller in (user(Role.OWNER), admin_key):
        with pytest.raises(Forbidden):
            world.tenancy.create_user(caller, "t1", "root", PASSWORD, Role.ADMIN)
        with pytest.raises(Forbidden):
            world.tenancy.create_tenant(caller, "Nope")
    assert world.tenancy.create_user(admin, "t2", "root", PASSWORD, Role.ADMIN).role == Role.ADMIN
    assert world.tenancy.create_tenant(admin, "Initech").name == "Initech"


def test_a_key_made_by_a_key_never_exceeds_the_first_key(world: World):
    first = key({"api_keys:write", "sessions:read"})
    second, _ = world.auth.create_api_key(first, "second", ["sessions:read"])
    assert second.scopes == ["sessions:read"] and second.created_by == "u-owner"
    with pytest.raises(Forbidden):
        world.auth.create_api_key(first, "wider", ["sessions:read", "messages:send"])


def test_members_list_and_revoke_only_their_own_keys(world: World):
    owners, _ = world.auth.create_api_key(user(Role.OWNER), "owner's", ["sessions:read"])
    member = user(Role.MEMBER, "u-member")
    mine, _ = world.auth.create_api_key(member, "mine", ["sessions:read"])
    assert [k.id for k in world.auth.list_api_keys(member, 10, None).items] == [mine.id]
    assert [k.id for k in world.auth.list_api_keys(key({"api_keys:read"}, "u-member"), 10,
                                                   None).items] == [mine.id]
    with pytest.raises(NotFound):
        world.auth.delete_api_key(member, owners.id)
    assert {k.id for k in world.auth.list_api_keys(user(Role.OWNER), 10, None).items} == \
        {owners.id, mine.id}
    world.auth.delete_api_key(user(Role.OWNER), mine.id)
    world.auth.delete_api_key(user(Role.OWNER), owners.id)
    assert world.users.keys == {}


# --- login throttling ---------------------------------------------------------------------------


def test_five_failures_lock_the_username_without_checking_the_password(world: World):
    assert [world.login("owner", "wrong") for _ in range(5)] == ["401"] * 5
    checks = world.hasher.checks
    assert world.login("owner", PASSWORD) == "429:30"
    assert world.hasher.checks == checks  # a locked account gives nothing away
    world.clock.now += 29
    assert world.login("owner", PASSWORD) == "429:1"


def test_after_the_window_the_right_password_works_and_resets_the_count(world: World):
    for _ in range(5):
        world.login("owner", "wrong")
    world.clock.now += 30
    assert world.login("OWNER", PASSWORD) == "ok"
    assert [world.login("owner", "wrong") for _ in range(4)] == ["401"] * 4
    assert world.login("owner", PASSWORD) == "ok"


def test_each_further_failure_doubles_the_lock_up_to_fifteen_minutes(world: World):
    waits = []
    for _ in range(5):
        world.login("owner", "wrong")
    for _ in range(8):
        retry = int(world.login("owner", "wrong").split(":")[1])
        waits.append(retry)
        world.clock.now += retry
        assert world.login("owner", "wrong") == "401"
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]


def test_unknown_usernames_are_throttled_exactly_like_known_ones(world: World):
    known = [world.login("owner", "wrong") for _ in range(7)]
    unknown = [world.login("nobody-here", "wrong") for _ in range(7)]
    assert known == unknown == ["401"] * 5 + ["429:30"] * 2


def test_the_client_address_locks_after_twenty_failures_across_usernames(world: World):
    for n in range(LOGIN_PER_ADDRESS.threshold):
        assert world.login(f"guess-{n}", "wrong", "203.0.113.9") == "401"
    assert world.login("owner", PASSWORD, "203.0.113.9") == "429:30"
    assert world.login("owner", PASSWORD, "198.51.100.7") == "ok"


def test_a_success_does_not_clear_the_address_count(world: World):
    for n in range(LOGIN_PER_ADDRESS.threshold - 1):
        world.login(f"guess-{n}", "wrong", "203.0.113.9")
    assert world.login("owner", PASSWORD, "203.0.113.9") == "ok"
    assert world.login("guess-x", "wrong", "203.0.113.9") == "401"
    assert world.login("owner", PASSWORD, "203.0.113.9") == "429:30"


def test_a_login_that_loses_the_race_to_a_lock_is_refused_unchecked(world: World):
    real_replace = world.throttle.replace_attempts

    def others_got_there_first(key: str, expected: Attempts | None, new: Attempts) -> bool:
        # Four other guesses landed between our read and our write: the fifth locked it.
        world.throttle.replace_attempts = real_replace  # type: ignore[method-assign]
        real_replace(key, None, Attempts(5, int(world.clock.now) + 30,
                                         int(world.clock.now) + 86_400))
        return real_replace(key, expected, new)

    world.throttle.replace_attempts = others_got_there_first  # type: ignore[method-assign]
    checks = world.hasher.checks
    assert world.login("owner", PASSWORD) == "429:30"
    assert world.hasher.checks == checks


def test_counters_are_forgotten_a_day_after_the_last_failure(world: World):
    for _ in range(4):
        world.login("owner", "wrong")
    world.clock.now += LOGIN_PER_USERNAME.memory_s
    assert [world.login("owner", "wrong") for _ in range(4)] == ["401"] * 4


@settings(max_examples=50, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.integers(0, 1200)), max_size=60))
def test_no_password_is_checked_while_locked(steps: list[tuple[bool, int]]):
    world = World()
    for right, wait in steps:
        world.clock.now += wait
        locked = any(c.retry_after(world.clock.now) for c in world.throttle.counters.values())
        checks = world.hasher.checks
        outcome = world.login("owner", PASSWORD if right else "wrong")
        assert (world.hasher.checks == checks) == locked
        assert outcome.startswith("429") == locked
        if outcome == "ok":
            assert "user#owner" not in world.throttle.counters


# --- user creation rate -------------------------------------------------------------------------


def test_user_creation_is_rate_limited_per_tenant_counting_taken_names(world: World):
    owner = user(Role.OWNER)
    for n in range(USER_CREATION.limit - 1):
        world.tenancy.create_user(owner, "t1", f"member-{n}", PASSWORD, Role.MEMBER)
    with pytest.raises(Conflict):  # probing a taken name counts too
        world.tenancy.create_user(owner, "t1", "owner", PASSWORD, Role.MEMBER)
    world.clock.now = (START // 60) * 60 + 45
    with pytest.raises(AppError) as refused:
        world.tenancy.create_user(owner, "t1", "one-more", PASSWORD, Role.MEMBER)
    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    assert refused.value.headers == {"Retry-After": "15"}
    other = Principal(tenant_id="t2", user_id="o2", role=Role.OWNER, scopes=SCOPES)
    assert world.tenancy.create_user(other, "t2", "t2-member", PASSWORD, Role.MEMBER)
    world.clock.now += 15
    assert world.tenancy.create_user(owner, "t1", "one-more", PASSWORD, Role.MEMBER)
