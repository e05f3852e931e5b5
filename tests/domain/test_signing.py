"""Signatures of the internal host API (``chalicelib.domain.signing``)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.signing import (
    MAX_SKEW_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    verify,
)

SECRET = "internal-secret"
METHOD = "POST"
PATH = "/internal/sessions/s1/messages"
BODY = b'{"to":"14155552671@s.whatsapp.net","text":"hi"}'
NOW = 1_700_000_000.0


def check(
    headers: dict[str, str],
    *,
    secret: str = SECRET,
    method: str = METHOD,
    path: str = PATH,
    body: bytes = BODY,
    now: float = NOW,
) -> bool:
    """verify() the way a host does, with whatever part of the request the test changes."""
    return verify(secret, method, path, body, headers.get(TIMESTAMP_HEADER),
                  headers.get(SIGNATURE_HEADER), now=now)


@pytest.fixture
def headers() -> dict[str, str]:
    return sign(SECRET, METHOD, PATH, BODY, now=NOW)


def test_sign_produces_both_headers(headers: dict[str, str]) -> None:
    assert set(headers) == {TIMESTAMP_HEADER, SIGNATURE_HEADER}
    assert headers[TIMESTAMP_HEADER] == str(int(NOW))
    signature = headers[SIGNATURE_HEADER]
    assert len(signature) == 64
    assert set(signature) <= set("0123456789abcdef")


def test_sign_is_deterministic() -> None:
    assert sign(SECRET, METHOD, PATH, BODY, now=NOW) == sign(SECRET, METHOD, PATH, BODY, now=NOW)


def test_round_trip(headers: dict[str, str]) -> None:
    assert check(headers)


def test_round_trip_with_the_real_clock() -> None:
    fresh = sign(SECRET, METHOD, PATH, BODY)
    assert abs(int(fresh[TIMESTAMP_HEADER]) - time.time()) <= 2
    assert verify(SECRET, METHOD, PATH, BODY, fresh[TIMESTAMP_HEADER], fresh[SIGNATURE_HEADER])


def test_round_trip_with_empty_body() -> None:
    signed = sign(SECRET, "GET", "/internal/health", b"", now=NOW)
    assert check(signed, method="GET", path="/internal/health", body=b"")


def test_method_is_case_insensitive(headers: dict[str, str]) -> None:
    assert check(headers, method="post")


@pytest.mark.parametrize(
    "body",
    [b"", BODY + b" ", BODY.replace(b"hi", b"ho"), BODY[:-1], b"\n" + BODY, BODY.upper()],
)
def test_tampered_body_is_refused(headers: dict[str, str], body: bytes) -> None:
    assert not check(headers, body=body)


@pytest.mark.parametrize(
    "path",
    ["/internal/sessions/s2/messages", PATH + "/", PATH + "?x=1", PATH.upper(), "", "/"],
)
def test_tampered_path_is_refused(headers: dict[str, str], path: str) -> None:
    assert not check(headers, path=path)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", ""])
def test_tampered_method_is_refused(headers: dict[str, str], method: str) -> None:
    assert not check(headers, method=method)


@pytest.mark.parametrize("secret", ["other-secret", SECRET + "x", SECRET.upper()])
def test_wrong_secret_is_refused(headers: dict[str, str], secret: str) -> None:
    assert not check(headers, secret=secret)


def test_tampered_signature_is_refused(headers: dict[str, str]) -> None:
    signature = headers[SIGNATURE_HEADER]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not check({**headers, SIGNATURE_HEADER: flipped})
    assert not check({**headers, SIGNATURE_HEADER: signature[:-1]})
    assert not check({**headers, SIGNATURE_HEADER: signature.upper()})


def test_timestamp_is_covered_by_the_signature(headers: dict[str, str]) -> None:
    moved = str(int(NOW) + 1)
    assert not check({**headers, TIMESTAMP_HEADER: moved})


@pytest.mark.parametrize("skew", [0, 1, MAX_SKEW_SECONDS - 1, MAX_SKEW_SECONDS])
@pytest.mark.parametrize("direction", [1, -1])
def test_fresh_timestamp_within_skew_is_accepted(
    headers: dict[str, str], skew: int, direction: int
) -> None:
    assert check(headers, now=NOW + direction * skew)


@pytest.mark.parametrize("skew", [MAX_SKEW_SECONDS + 1, MAX_SKEW_SECONDS * 10, 86_400])
@pytest.mark.parametrize("direction", [1, -1], ids=["stale", "from_the_future"])
def test_timestamp_beyond_skew_is_refused(
    headers: dict[str, str], skew: int, direction: int
) -> None:
    assert not check(headers, now=NOW + direction * skew)


def test_max_skew_is_a_minute() -> None:
    assert MAX_SKEW_SECONDS == 60


def test_empty_secret_is_refused() -> None:
    signed = sign("", METHOD, PATH, BODY, now=NOW)
    assert not check(signed, secret="")


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [(None, "x" * 64), ("", "x" * 64), (str(int(NOW)), None), (str(int(NOW)), ""), (None, None)],
)
def test_missing_headers_are_refused(timestamp: str | None, signature: str | None) -> None:
    assert not verify(SECRET, METHOD, PATH, BODY, timestamp, signature, now=NOW)


@pytest.mark.parametrize("timestamp", ["abc", "1.7e9", "1700000000.5", "0x10", "--1"])
def test_non_integer_timestamp_is_refused(headers: dict[str, str], timestamp: str) -> None:
    assert not check({**headers, TIMESTAMP_HEADER: timestamp})


def test_non_ascii_signature_is_refused_not_a_crash(headers: dict[str, str]) -> None:
    assert not check({**headers, SIGNATURE_HEADER: "\xe9" * 64})


@given(
    secret=st.text(min_size=1, max_size=20),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=st.text(max_size=40),
    body=st.binary(max_size=200),
    now=st.integers(min_value=0, max_value=4_000_000_000),
    skew=st.integers(min_value=-MAX_SKEW_SECONDS, max_value=MAX_SKEW_SECONDS),
)
def test_any_signed_request_verifies_within_the_window(
    secret: str, method: str, path: str, body: bytes, now: int, skew: int
) -> None:
    signed = sign(secret, method, path, body, now=now)
    assert verify(secret, method, path, body, signed[TIMESTAMP_HEADER],
                  signed[SIGNATURE_HEADER], now=now + skew)


@given(body=st.binary(max_size=100), other=st.binary(max_size=100))
def test_a_signature_only_fits_its_own_body(body: bytes, other: bytes) -> None:
    signed = sign(SECRET, METHOD, PATH, body, now=NOW)
    verified = verify(SECRET, METHOD, PATH, other, signed[TIMESTAMP_HEADER],
                      signed[SIGNATURE_HEADER], now=NOW)
    assert verified == (body == other)
