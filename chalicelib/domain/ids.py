"""Sortable identifiers (ULID) and random secrets."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from ulid import ULID


def new_id() -> str:
    """A new ULID: 26 characters, sortable by creation time."""
    return str(ULID())


def floor_id(moment: datetime) -> str:
    """The smallest ULID of ``moment``'s millisecond: ids of later moments sort after it."""
    return str(ULID.from_datetime(moment))[:10] + "0" * 16


def secret_token(nbytes: int = 24) -> str:
    """A URL-safe random string without '_' (so it can sit inside underscore-joined keys)."""
    return secrets.token_hex(nbytes)


def derived_id(moment: datetime, *parts: str) -> str:
    """A ULID that is the same every time it is derived from the same ``parts``: its time is
    ``moment`` (so it sorts like an id made then) and its random part a hash of ``parts``.
    A consumer that runs twice for one event makes the same id twice (never two messages)."""
    digest = hashlib.sha256(json.dumps(parts).encode()).digest()[:10]  # unambiguous parts
    stamp = ULID.from_datetime(moment).bytes[:6]
    return str(ULID.from_bytes(stamp + digest))
