"""Keyrings of the gateway's secrets on moto's Secrets Manager: a warm cache that predates a
rotation still verifies what a fresh process signs (refresh on a miss), the refresh is
rate-limited, the cache expires, and settings give a value and the one before it."""

from __future__ import annotations

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.sealing import AesGcmSealer, SealBroken
from chalicelib.adapters.secrets import SecretsManagerKeyring, SettingsKeyring
from chalicelib.domain.auth import Role
from chalicelib.domain.errors import Unauthorized
from chalicelib.services.auth import AuthService
from chalicelib.services.tenancy import TenancyService
from chalicelib.workers import rotation
from tests.fakes import FakeHasher, FakeThrottle, FakeUsers
from tests.secrets_support import CountingClient, create_secrets, rotate

CACHE_S, REFRESH_MIN_S = 300.0, 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _keyring(arn: str, clock: Clock) -> tuple[SecretsManagerKeyring, CountingClient]:
    counting = CountingClient(aws_clients.client("secretsmanager"))
    return SecretsManagerKeyring(counting, arn, CACHE_S, REFRESH_MIN_S, clock=clock), counting


class Lambda:
    """One process's auth service over its own keyring (as each Lambda builds it)."""

    def __init__(self, users: FakeUsers, arn: str, clock: Clock) -> None:
        self.keys, self.sm = _keyring(arn, clock)
        self.auth = AuthService(users, FakeHasher(), self.keys, 3600, FakeThrottle())


@pytest.fixture
def users() -> FakeUsers:
    users = FakeUsers()
    tenancy = TenancyService(users, FakeHasher(), FakeThrottle())
    tenancy.ensure_tenant("t1", "T1")
    tenancy.create_user(None, "t1", "owner", "right-password-1", Role.OWNER)
    return users


@pytest.fixture
def jwt_arn(aws: None) -> str:
    return create_secrets()["JWT_SECRET"]


def test_a_warm_keyring_older_than_a_rotation_verifies_a_token_signed_with_the_new_key(
        users: FakeUsers, jwt_arn: str):
    clock = Clock()
    warm = Lambda(users, jwt_arn, clock)
    old_token, _ = warm.auth.login("owner", "right-password-1")
    assert warm.sm.reads == 2  # AWSCURRENT and AWSPREVIOUS (none yet)
    rotate(jwt_arn, rotation.handle)
    clock.now += REFRESH_MIN_S  # a few seconds later, well inside the warm cache's life
    fresh = Lambda(users, jwt_arn, clock)
    new_token, _ = fresh.auth.login("owner", "right-password-1")
    assert warm.auth.authenticate(new_token).user_id  # refreshed on the miss, then verified
    assert warm.sm.reads == 4
    assert warm.auth.authenticate(old_token).user_id  # its key is AWSPREVIOUS now
    assert fresh.auth.authenticate(old_token).user_id
    assert warm.sm.reads == 4  # known keys need no read


def test_a_miss_right_after_a_read_does_not_read_again(users: FakeUsers, jwt_arn: str):
    clock = Clock()
    warm = Lambda(users, jwt_arn, clock)
    warm.keys.current()
    rotate(jwt_arn, rotation.handle)
    new_token, _ = Lambda(users, jwt_arn, clock).auth.login("owner", "right-password-1")
    clock.now += REFRESH_MIN_S / 2
    with pytest.raises(Unauthorized):
        warm.auth.authenticate(new_token)
    assert warm.sm.reads == 2
    clock.now += REFRESH_MIN_S / 2
    assert warm.auth.authenticate(new_token).user_id
    assert warm.sm.reads == 4


def test_the_cache_is_read_again_once_it_is_old(jwt_arn: str):
    clock = Clock()
    keys, sm = _keyring(jwt_arn, clock)
    first = keys.current()
    rotate(jwt_arn, rotation.handle)
    clock.now += CACHE_S - 1
    assert keys.current() == first and sm.reads == 2
    clock.now += 1
    assert keys.current() != first and keys.accepted() == (keys.current(), first)
    assert sm.reads == 4


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gaps=st.lists(st.floats(min_value=0, max_value=3 * REFRESH_MIN_S), max_size=40))
def test_bad_tokens_cause_a_bounded_number_of_secrets_manager_reads(
        users: FakeUsers, jwt_arn: str, gaps: list[float]):
    """Each bad token misses every key; the reads it may cause are at most one refresh (two
    reads) per REFRESH_MIN_S, however many tokens arrive."""
    clock = Clock()
    warm = Lambda(users, jwt_arn, clock)
    warm.keys.current()
    start = clock.now
    forged = jwt.encode({"sub": "x", "tid": "t1", "jti": "j", "exp": 4_000_000_000},
                        "a-key-nobody-has-0123456789abcdef", algorithm="HS256")
    for gap in gaps:
        clock.now += gap
        with pytest.raises(Unauthorized):
            warm.auth.authenticate(forged)
    assert warm.sm.reads <= 2 * (1 + int((clock.now - start) // REFRESH_MIN_S))


def test_each_miss_spaced_out_refreshes_once(users: FakeUsers, jwt_arn: str):
    """The bound above is what the rate limit allows, not a cache that never refreshes."""
    clock = Clock()
    warm = Lambda(users, jwt_arn, clock)
    warm.keys.current()
    for _ in range(3):
        clock.now += REFRESH_MIN_S
        with pytest.raises(Unauthorized):
            warm.auth.authenticate("not.a.token")  # malformed: no key can help, no read
        with pytest.raises(Unauthorized):
            warm.auth.authenticate(jwt.encode({"sub": "x"}, "wrong-key-0123456789abcdef0123456789",
                                              algorithm="HS256"))
    assert warm.sm.reads == 2 + 3 * 2


def test_settings_give_the_current_value_and_accept_the_previous_one():
    keys = SettingsKeyring("WAGATE_OTP_PEPPER", "new-pepper-0123456789", "old-pepper-0123456789")
    assert keys.current() == "new-pepper-0123456789"
    assert keys.accepted() == ("new-pepper-0123456789", "old-pepper-0123456789")
    assert SettingsKeyring("X", "only-0123456789abcdef").accepted() == ("only-0123456789abcdef",)
    with pytest.raises(RuntimeError, match="set WAGATE_OTP_PEPPER"):
        SettingsKeyring("WAGATE_OTP_PEPPER", "", "old-pepper-0123456789")
    with pytest.raises(RuntimeError, match="at least 16"):
        SettingsKeyring("WAGATE_OTP_PEPPER", "new-pepper-0123456789", "short", min_length=16)


def test_a_text_sealed_under_the_previous_pepper_opens_and_an_older_one_does_not():
    old, new, newer = ("old-pepper-0123456789", "new-pepper-0123456789",
                       "newer-pepper-0123456789")
    sealed = AesGcmSealer(SettingsKeyring("p", old)).seal(b"Your code is 123456")
    assert AesGcmSealer(SettingsKeyring("p", new, old)).open(sealed) == b"Your code is 123456"
    with pytest.raises(SealBroken):
        AesGcmSealer(SettingsKeyring("p", newer, new)).open(sealed)
    with pytest.raises(SealBroken):
        AesGcmSealer(SettingsKeyring("p", new, old)).open("not base64 !")
