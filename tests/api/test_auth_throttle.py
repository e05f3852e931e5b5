"""Brute-force protection through the HTTP API: login lockouts and the user-creation rate.

The service's clock is replaced by one the test moves, so no test sleeps.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.throttle_repo import DynamoThrottleRepo
from chalicelib.bootstrap import container
from chalicelib.domain.auth import LOGIN_PER_ADDRESS, USER_CREATION, Attempts
from chalicelib.resources import USERS
from tests.conftest import PASSWORD, Tenant, assert_error, call


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(client, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The auth and tenancy services' clock, at the start of a minute (a fresh rate
    window)."""
    moved = Clock(time.time() // 60 * 60 + 60)
    monkeypatch.setattr(container().auth, "clock", moved)
    monkeypatch.setattr(container().tenancy, "clock", moved)
    return moved


def login(tenant: Tenant, username: str, password: str) -> Any:
    return call(tenant.client, "POST", "/v1/auth/login",
                body={"username": username, "password": password})


def assert_locked(response: Any, retry_after: int) -> None:
    error = assert_error(response, 429, "too_many_attempts")
    assert response.headers["Retry-After"] == str(retry_after)
    assert error["details"] == [{"retry_after_seconds": retry_after}]


def test_five_wrong_passwords_then_the_right_one_is_429(acme: Tenant, clock: Clock):
    for _ in range(5):
        assert_error(login(acme, acme.username, "wrong-password"), 401, "invalid_credentials")
    assert_locked(login(acme, acme.username, PASSWORD), 30)
    clock.now += 20
    assert_locked(login(acme, acme.username.upper(), PASSWORD), 10)


def test_after_the_window_the_right_password_works_and_resets(acme: Tenant, clock: Clock):
    for _ in range(5):
        login(acme, acme.username, "wrong-password")
    clock.now += 30
    token = login(acme, acme.username, PASSWORD).json["token"]
    assert call(acme.client, "GET", "/v1/auth/me", token).status_code == 200
    for _ in range(4):
        assert_error(login(acme, acme.username, "wrong-password"), 401)
    assert login(acme, acme.username, PASSWORD).status_code == 200


def test_further_failures_double_the_lock(acme: Tenant, clock: Clock):
    for _ in range(5):
        login(acme, acme.username, "wrong-password")
    clock.now += 30
    assert_error(login(acme, acme.username, "wrong-password"), 401)
    assert_locked(login(acme, acme.username, PASSWORD), 60)


def test_a_lock_looks_the_same_for_a_username_nobody_has(acme: Tenant, clock: Clock):
    for name in (acme.username, "nobody-has-this"):
        for _ in range(5):
            assert_error(login(acme, name, "wrong-password"), 401, "invalid_credentials")
    known, unknown = login(acme, acme.username, "x"), login(acme, "nobody-has-this", "x")
    assert_locked(known, 30)
    assert_locked(unknown, 30)
    assert known.json == unknown.json


def test_twenty_failures_from_one_address_lock_it_for_every_username(acme: Tenant,
                                                                     globex: Tenant,
                                                                     clock: Clock):
    for n in range(LOGIN_PER_ADDRESS.threshold):
        assert_error(login(acme, f"guess-{n}", "wrong-password"), 401)
    assert_locked(login(globex, globex.username, PASSWORD), 30)
    clock.now += 30
    assert login(globex, globex.username, PASSWORD).status_code == 200


def test_user_creation_is_rate_limited_per_tenant(acme: Tenant, globex: Tenant, clock: Clock):
    def add(tenant: Tenant, username: str) -> Any:
        return tenant.call("POST", f"/v1/tenants/{tenant.id}/users",
                           {"username": username, "password": PASSWORD})

    for n in range(USER_CREATION.limit - 1):
        assert add(acme, f"acme-{n}").status_code == 201
    assert_error(add(acme, globex.username), 409, "username_taken")  # a probe counts too
    clock.now += 45
    refused = add(acme, "acme-one-more")
    error = assert_error(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "15"
    assert error["details"] == [{"retry_after_seconds": 15}]
    assert add(globex, "globex-1").status_code == 201
    clock.now += 15
    assert add(acme, "acme-one-more").status_code == 201


def test_the_stored_counters_swap_only_from_what_was_read(aws):
    """The DynamoDB store under the login throttle: a stale compare-and-swap is refused, so
    concurrent logins each count; a rate window refuses at its limit."""
    store = DynamoThrottleRepo(aws_clients.dynamodb(), USERS.physical_name(
        container().settings.prefix))
    first, second = Attempts(1, 0, 2_000_000_000), Attempts(2, 0, 2_000_000_000)
    assert store.replace_attempts("user#x", None, first)
    assert not store.replace_attempts("user#x", None, first)
    assert store.replace_attempts("user#x", first, second)
    assert not store.replace_attempts("user#x", first, Attempts(9, 9, 9))
    assert store.attempts(["user#x", "addr#y", "user#x"]) == {"user#x": second}
    store.forget_attempts("user#x")
    assert store.attempts(["user#x"]) == {}
    assert [store.take("t1", "users#1", 2, 2_000_000_000) for _ in range(3)] == \
        [True, True, False]
    assert store.take("t2", "users#1", 2, 2_000_000_000)
