"""Sortable identifiers (ULID) and random secrets."""

from __future__ import annotations

import secrets

from ulid import ULID


def new_id() -> str:
    """A new ULID: 26 characters, sortable by creation time."""
    return str(ULID())


def secret_token(nbytes: int = 24) -> str:
    """A URL-safe random string without '_' (so it can sit inside underscore-joined keys)."""
    return secrets.token_hex(nbytes)
