"""Cursor pagination: opaque cursors that only ever point inside the caller's tenant."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.errors import ValidationFailed

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass
class Page:
    items: list[Any] = field(default_factory=list)
    next_cursor: str | None = None


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, tenant_id: str) -> dict[str, Any] | None:
    """The key a cursor stands for; a cursor of another tenant or garbage is a 422."""
    if not cursor:
        return None
    if len(cursor) > 2048:
        raise ValidationFailed.field("cursor", "is not a valid cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ValidationFailed.field("cursor", "is not a valid cursor") from exc
    # Every key attribute of every table and index is a string: anything else is forged.
    if not isinstance(key, dict) or key.get("pk") != tenant_id or not all(
            isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= 1024
            for k, v in key.items()):
        raise ValidationFailed.field("cursor", "is not a valid cursor")
    return key


def parse_limit(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationFailed.field("limit", "must be a whole number")
    limit = int(raw)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def collect(read: Callable[[str | None], Page], bound: int,
            max_reads: int | None = None) -> list[Any]:
    """The first ``bound`` items of a cursor-paged list, read page after page (at most
    ``max_reads`` pages: filtered pages may come short)."""
    items: list[Any] = []
    cursor: str | None = None
    reads = 0
    while len(items) < bound and (max_reads is None or reads < max_reads):
        page = read(cursor)
        reads += 1
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    return items[:bound]


def page_of(items: list[Any], key: Callable[[Any], str], limit: int, cursor: str | None,
            tenant_id: str, scope: str) -> Page:
    """One page of a whole list answered at once (by WhatsApp, or bounded in a record),
    ordered by ``key``: the cursor carries the last key, the tenant and the ``scope`` (e.g. a
    session id), so it fits no other list."""
    after = decode_cursor(cursor, tenant_id)
    if after is not None and (after.get("scope") != scope or "after" not in after):
        raise ValidationFailed.field("cursor", "is not a valid cursor")
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after["after"]]
    page = ordered[:limit]
    more = len(ordered) > limit
    return Page(page, encode_cursor({"pk": tenant_id, "scope": scope, "after": key(page[-1])})
                if more else None)
