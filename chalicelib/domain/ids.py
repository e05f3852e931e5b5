"""Sortable identifiers (ULID) and random secrets."""

from __future__ import annotations

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
