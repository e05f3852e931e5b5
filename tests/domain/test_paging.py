"""Cursor pagination (``chalicelib.domain.paging``)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    collect,
    decode_cursor,
    encode_cursor,
    page_of,
    parse_limit,
)

TENANT = "01HZXTENANTAAAAAAAAAAAAAAA"
OTHER_TENANT = "01HZXTENANTBBBBBBBBBBBBBBB"


def assert_rejects_field(exc: ValidationFailed, field: str) -> None:
    assert exc.status == 422
    assert exc.code == "validation_failed"
    assert [detail["field"] for detail in exc.details] == [field]


def raw_cursor(payload: bytes) -> str:
    """A cursor carrying arbitrary bytes, encoded the way encode_cursor encodes."""
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


# --- cursors -----------------------------------------------------------------------------------


def test_cursor_round_trip() -> None:
    key = {"pk": TENANT, "sk": "MSG#01HZX0000000000000000000"}
    cursor = encode_cursor(key)
    assert cursor is not None
    assert decode_cursor(cursor, TENANT) == key


def test_cursor_round_trip_with_index_keys() -> None:
    key = {"pk": TENANT, "sk": "SESSION#s1", "gsi1pk": f"{TENANT}#s1", "created": "2026-11-30"}
    assert decode_cursor(encode_cursor(key), TENANT) == key


@pytest.mark.parametrize("value", [1700000000, 1.5, None, True, {"S": "x"}, ["x"], "",
                                   "x" * 1025])
def test_a_cursor_with_a_value_no_key_can_hold_is_forged(value: Any) -> None:
    """Every key attribute of every table is a non-empty string (at most 1 KB)."""
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(encode_cursor({"pk": TENANT, "sk": value}), TENANT)
    assert_rejects_field(info.value, "cursor")


def test_cursor_is_opaque_and_url_safe() -> None:
    key = {"pk": TENANT, "sk": "MSG#???>>>~~~"}  # bytes whose base64 would contain '+' and '/'
    cursor = encode_cursor(key)
    assert cursor is not None
    assert not set(cursor) & set("+/=")
    assert TENANT not in cursor
    assert decode_cursor(cursor, TENANT) == key


def test_cursor_does_not_depend_on_key_order() -> None:
    assert encode_cursor({"pk": TENANT, "sk": "a"}) == encode_cursor({"sk": "a", "pk": TENANT})


@pytest.mark.parametrize("last_key", [None, {}])
def test_no_last_key_means_no_cursor(last_key: dict[str, Any] | None) -> None:
    assert encode_cursor(last_key) is None


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_means_first_page(cursor: str | None) -> None:
    assert decode_cursor(cursor, TENANT) is None


def test_cursor_of_another_tenant_is_422_on_cursor() -> None:
    cursor = encode_cursor({"pk": OTHER_TENANT, "sk": "MSG#1"})
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(cursor, TENANT)
    assert_rejects_field(info.value, "cursor")
    assert OTHER_TENANT not in info.value.message, "must not echo another tenant's id"


@pytest.mark.parametrize(
    "payload",
    [
        {"sk": "MSG#1"},  # no pk at all
        {"pk": None, "sk": "MSG#1"},
        {"pk": TENANT.lower(), "sk": "MSG#1"},
        {"pk": f"{TENANT}#s1", "sk": "MSG#1"},
        {"pk": [TENANT]},
    ],
)
def test_cursor_must_name_exactly_the_callers_tenant(payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(encode_cursor(payload), TENANT)
    assert_rejects_field(info.value, "cursor")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "not a cursor!!",
        "%%%",
        "====",
        "é",
        "eyJwayI6",  # truncated JSON
        raw_cursor(b"\xff\xfe\x00garbage"),  # not UTF-8
        raw_cursor(b"[1, 2, 3]"),  # JSON, but not an object
        raw_cursor(b'"' + TENANT.encode() + b'"'),
        raw_cursor(b"null"),
        raw_cursor(b"42"),
        raw_cursor(b"{pk: 1}"),
    ],
)
def test_garbage_cursor_is_422_on_cursor(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        decode_cursor(cursor, TENANT)
    assert_rejects_field(info.value, "cursor")


def test_deeply_nested_garbage_cursor_is_422_not_a_crash() -> None:
    cursor = raw_cursor(b"[" * 100_000)
    with pytest.raises(ValidationFailed):
        decode_cursor(cursor, TENANT)


@given(st.dictionaries(st.text(min_size=1, max_size=10).filter(lambda k: k != "pk"),
                       st.text(min_size=1, max_size=20), max_size=5))
def test_any_key_of_the_tenant_round_trips(extra: dict[str, Any]) -> None:
    key = {**extra, "pk": TENANT}
    assert decode_cursor(encode_cursor(key), TENANT) == key


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_a_cursor_only_opens_for_its_own_tenant(owner: str, caller: str) -> None:
    cursor = encode_cursor({"pk": owner, "sk": "X#1"})
    if owner == caller:
        assert decode_cursor(cursor, caller) == {"pk": owner, "sk": "X#1"}
    else:
        with pytest.raises(ValidationFailed):
            decode_cursor(cursor, caller)


@given(st.text(max_size=60))
def test_decode_cursor_never_crashes_on_text(cursor: str) -> None:
    try:
        key = decode_cursor(cursor, TENANT)
    except ValidationFailed as exc:
        assert_rejects_field(exc, "cursor")
    else:
        assert key is None or key["pk"] == TENANT


@given(st.binary(max_size=60))
def test_decode_cursor_never_crashes_on_bytes(payload: bytes) -> None:
    try:
        key = decode_cursor(raw_cursor(payload), TENANT)
    except ValidationFailed as exc:
        assert_rejects_field(exc, "cursor")
    else:
        assert key is None or key["pk"] == TENANT


def test_encoded_cursor_is_compact_json() -> None:
    cursor = encode_cursor({"sk": "b", "pk": "a"})
    assert cursor is not None
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert json.loads(decoded) == {"pk": "a", "sk": "b"}


# --- limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, ""])
def test_missing_limit_is_the_default(raw: str | None) -> None:
    assert parse_limit(raw) == DEFAULT_LIMIT == 20


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("20", 20), ("100", 100), ("050", 50)])
def test_limit_within_bounds(raw: str, expected: int) -> None:
    assert parse_limit(raw) == expected


def test_max_limit() -> None:
    assert MAX_LIMIT == 100
    assert parse_limit(str(MAX_LIMIT)) == MAX_LIMIT


@pytest.mark.parametrize("raw", ["0", "101", "-1", "1000000", "abc", "1.5", "ten", "1e2", "0x10"])
def test_bad_limit_is_422_on_limit(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_limit(raw)
    assert_rejects_field(info.value, "limit")


@given(st.integers())
def test_limit_accepted_exactly_within_1_to_max(value: int) -> None:
    if 1 <= value <= MAX_LIMIT:
        assert parse_limit(str(value)) == value
    else:
        with pytest.raises(ValidationFailed):
            parse_limit(str(value))


@given(st.text(max_size=10))
def test_parse_limit_never_crashes(raw: str) -> None:
    try:
        limit = parse_limit(raw)
    except ValidationFailed as exc:
        assert_rejects_field(exc, "limit")
    else:
        assert 1 <= limit <= MAX_LIMIT


def test_page_defaults_are_independent() -> None:
    first, second = Page(), Page()
    first.items.append(1)
    assert second.items == []
    assert second.next_cursor is None


@given(st.sets(st.text(min_size=1, max_size=8), max_size=40), st.integers(1, 7))
def test_paging_a_whole_list_yields_each_item_once_in_order(items: set[str],
                                                            limit: int) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(len(items) + 2):
        page = page_of(list(items), str, limit, cursor, "acme", "session-1")
        assert len(page.items) <= limit
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(items)


def test_a_whole_list_cursor_fits_no_other_list_or_tenant() -> None:
    cursor = page_of(["a", "b", "c"], str, 1, None, "acme", "session-1").next_cursor
    assert page_of(["a", "b", "c"], str, 1, cursor, "acme", "session-1").items == ["b"]
    for tenant, scope in (("acme", "session-2"), ("globex", "session-1")):
        with pytest.raises(ValidationFailed) as refused:
            page_of(["a", "b", "c"], str, 1, cursor, tenant, scope)
        assert refused.value.details[0]["field"] == "cursor"


@given(st.integers(0, 60), st.integers(1, 12), st.integers(0, 80),
       st.one_of(st.none(), st.integers(1, 10)))
def test_collect_reads_pages_until_it_has_enough_or_the_list_or_its_reads_end(
        size: int, per_page: int, bound: int, max_reads: int | None) -> None:
    items = list(range(size))
    reads: list[str | None] = []

    def read(cursor: str | None) -> Page:
        reads.append(cursor)
        start = int(cursor or 0)
        end = start + per_page
        return Page(items[start:end], str(end) if end < size else None)

    got = collect(read, bound, max_reads)
    pages = -(-size // per_page) or 1  # a list of nothing is still one read
    allowed = pages if max_reads is None else min(pages, max_reads)
    assert got == items[:min(bound, per_page * allowed)]
    assert len(reads) <= allowed
    assert bound == 0 or len(reads) == min(allowed, -(-bound // per_page))
