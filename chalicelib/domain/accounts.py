"""Tenants, users and API keys."""

from __future__ import annotations

import re

from pydantic import BaseModel

from chalicelib.domain.auth import Role
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.quotas import Limits

API_KEY_PREFIX = "wg"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
MIN_PASSWORD = 10


class Tenant(BaseModel):
    id: str
    name: str
    created_at: str
    limits: Limits | None = None  # None: the gateway's defaults


class User(BaseModel):
    id: str
    tenant_id: str
    username: str
    role: Role
    password_hash: str
    token_generation: int = 0
    created_at: str


class ApiKey(BaseModel):
    id: str
    tenant_id: str
    name: str
    scopes: list[str]
    secret_hash: str
    created_by: str
    created_at: str
    last_four: str


def normalize_username(raw: str) -> str:
    username = (raw or "").strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ValidationFailed.field(
            "username", "3-64 characters: letters, digits, '.', '_', '@', '-'"
        )
    return username


def check_password(password: str, field: str = "password") -> None:
    """A new password is long enough (its hash does the rest)."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed.field(field, f"must be at least {MIN_PASSWORD} characters")


def format_api_key(tenant_id: str, key_id: str, secret: str) -> str:
    return f"{API_KEY_PREFIX}_{tenant_id}_{key_id}_{secret}"


def parse_api_key(raw: str) -> tuple[str, str, str] | None:
    """(tenant id, key id, secret) of a well-formed key, else None."""
    head = f"{API_KEY_PREFIX}_"
    if not raw.startswith(head):
        return None
    parts = raw[len(head):].rsplit("_", 2)  # the tenant id may hold "_"; the rest never does
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]
