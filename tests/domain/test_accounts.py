"""Usernames and API keys (``chalicelib.domain.accounts``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import ids
from chalicelib.domain.accounts import (
    API_KEY_PREFIX,
    ApiKey,
    User,
    format_api_key,
    normalize_username,
    parse_api_key,
)
from chalicelib.domain.auth import PLATFORM_TENANT, Role
from chalicelib.domain.errors import ValidationFailed

# Crockford base32, what ULIDs are made of; secrets are hex.
ULID_TEXT = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=1, max_size=26)
HEX_TEXT = st.text(alphabet="0123456789abcdef", min_size=1, max_size=64)


# --- usernames ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice", "alice"),
        ("  Alice  ", "alice"),
        ("ALICE@Example.COM", "alice@example.com"),
        ("bob.smith_2-x", "bob.smith_2-x"),
        ("abc", "abc"),  # shortest
        ("0ops", "0ops"),
        ("a" * 64, "a" * 64),  # longest
        ("\tcarol\n", "carol"),
    ],
)
def test_normalize_username_accepts(raw: str, expected: str) -> None:
    assert normalize_username(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ab",  # too short
        "a" * 65,  # too long
        ".alice",
        "_alice",
        "-alice",
        "@alice",
        "al ice",
        "alice!",
        "al/ice",
        "ålice",
        "alice\nbob",
        "alice\x00",
    ],
)
def test_normalize_username_rejects_with_field_username(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        normalize_username(raw)
    assert info.value.status == 422
    assert [detail["field"] for detail in info.value.details] == ["username"]


def test_normalize_username_rejects_none() -> None:
    with pytest.raises(ValidationFailed):
        normalize_username(None)  # type: ignore[arg-type]


@given(st.text(max_size=70))
def test_normalize_username_is_idempotent_and_canonical(raw: str) -> None:
    try:
        username = normalize_username(raw)
    except ValidationFailed:
        return
    assert normalize_username(username) == username
    assert username == username.strip().lower()
    assert 3 <= len(username) <= 64
    assert username.isascii()


# --- API keys ----------------------------------------------------------------------------------


def test_api_key_shape() -> None:
    assert format_api_key("T1", "K1", "abc123") == "wg_T1_K1_abc123"
    assert API_KEY_PREFIX == "wg"


def test_api_key_round_trip_with_real_ids() -> None:
    tenant_id, key_id, secret = ids.new_id(), ids.new_id(), ids.secret_token()
    assert parse_api_key(format_api_key(tenant_id, key_id, secret)) == (tenant_id, key_id, secret)


@given(ULID_TEXT, ULID_TEXT, HEX_TEXT)
def test_api_key_round_trip(tenant_id: str, key_id: str, secret: str) -> None:
    assert parse_api_key(format_api_key(tenant_id, key_id, secret)) == (tenant_id, key_id, secret)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "wg",
        "wg_",
        "wg_t_k",  # no secret
        "wg_t_k_",  # empty secret
        "wg__k_s",  # empty tenant
        "wg_t__s",  # empty key id
        "wg___",  # too many parts
        "xx_t_k_s",  # wrong prefix
        "WG_t_k_s",  # prefix is case-sensitive
        "wgx_t_k_s",
        "_wg_t_k_s",
        "wg-t-k-s",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJfXyJ9.abc_def_ghi",  # a JWT that contains underscores
    ],
)
def test_malformed_api_keys_are_not_keys(raw: str) -> None:
    assert parse_api_key(raw) is None


@given(st.text(max_size=60))
def test_parse_api_key_never_crashes_and_only_accepts_four_parts(raw: str) -> None:
    parsed = parse_api_key(raw)
    if parsed is not None:
        assert all(parsed)
        assert format_api_key(*parsed) == raw


def test_secret_tokens_fit_in_a_key() -> None:
    for _ in range(50):
        assert "_" not in ids.secret_token()


def test_api_key_round_trip_for_the_platform_tenant() -> None:
    key_id, secret = ids.new_id(), ids.secret_token()
    raw = format_api_key(PLATFORM_TENANT, key_id, secret)
    assert parse_api_key(raw) == (PLATFORM_TENANT, key_id, secret)


# --- records -----------------------------------------------------------------------------------


def test_user_record() -> None:
    user = User(id="u1", tenant_id="t1", username="alice", role="member",
                password_hash="h", created_at="2024-01-01T00:00:00.000Z")
    assert user.role is Role.MEMBER
    assert user.token_generation == 0


def test_api_key_record_round_trip() -> None:
    key = ApiKey(id="k1", tenant_id="t1", name="ci", scopes=["messages:send"], secret_hash="h",
                 created_by="u1", created_at="2024-01-01T00:00:00.000Z", last_four="abcd")
    assert ApiKey.model_validate(key.model_dump()) == key
