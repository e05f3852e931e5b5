"""Roles, scopes and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # platform administrator (may create tenants)
    OWNER = "owner"
    MEMBER = "member"


# Scopes are "<resource>:<read|write>"; the seeds' token "abilities" map onto them.
SCOPES = frozenset({
    "sessions:read", "sessions:write",
    "messages:read", "messages:send",
    "api_keys:read", "api_keys:write",
    "users:write",
})
_MEMBER_SCOPES = frozenset({"sessions:read", "sessions:write", "messages:read", "messages:send",
                            "api_keys:read", "api_keys:write"})
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.ADMIN: SCOPES,
    Role.OWNER: SCOPES,
    Role.MEMBER: _MEMBER_SCOPES,
}
PLATFORM_TENANT = "_platform"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a logged-in user (JWT) or an API key."""

    tenant_id: str
    user_id: str
    role: Role
    scopes: frozenset[str] = field(default_factory=frozenset)
    api_key_id: str | None = None
    token_id: str | None = None  # the JWT's jti

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN and self.api_key_id is None

    def has(self, scope: str) -> bool:
        return scope in self.scopes
