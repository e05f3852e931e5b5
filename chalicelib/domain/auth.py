"""Roles, scopes, the authenticated caller, what a caller may grant, and login throttling."""

from __future__ import annotations

import math
from collections.abc import Iterable
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
    "users:read", "users:write",
    "webhooks:read", "webhooks:write", "events:read", "devices:write",
    # Live WhatsApp (issue 9): contacts and LIDs, chats and labels, groups, the session's own
    # profile and presence, channels and status posts.
    "contacts:read", "contacts:write", "chats:read", "chats:write", "groups:read",
    "groups:write", "profile:read", "profile:write", "channels:read", "channels:write",
    "status:write",
    # Keyword bots and the opt-out list (issue 10).
    "bots:read", "bots:write", "opt_outs:read", "opt_outs:write",
    # Verification codes (issue 10): send codes (and reverse codes), check them.
    "otp:send", "otp:verify",
    # Campaigns and their uploads (issue 11); the address book shares contacts:read|write.
    "campaigns:read", "campaigns:write",
})
_MEMBER_SCOPES = frozenset({"sessions:read", "sessions:write", "messages:read", "messages:send",
                            "api_keys:read", "api_keys:write", "webhooks:read", "events:read",
                            "devices:write", "contacts:read", "contacts:write", "chats:read",
                            "chats:write", "groups:read", "groups:write", "profile:read",
                            "channels:read", "channels:write", "status:write",
                            # Bots post inbound messages to URLs and opt-outs decide who may
                            # get marketing: members read them, owners change them.
                            "bots:read", "opt_outs:read", "otp:send", "otp:verify",
                            # Campaigns send marketing in bulk: members follow them only.
                            "campaigns:read"})
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.ADMIN: SCOPES,
    Role.OWNER: SCOPES,
    Role.MEMBER: _MEMBER_SCOPES,
}
PLATFORM_TENANT = "_platform"
# What a role may do beyond its scopes ranks it: an owner manages every API key of its tenant,
# an administrator runs the platform. A caller never makes a user of a higher rank.
_ROLE_RANK = {Role.MEMBER: 0, Role.OWNER: 1, Role.ADMIN: 2}


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

    @property
    def acting_role(self) -> Role:
        """The role the caller acts with: an API key acts as a member, whoever made it."""
        return Role.MEMBER if self.api_key_id is not None else self.role

    @property
    def manages_all_keys(self) -> bool:
        """Sees and revokes every API key of its tenant (members: only the keys they made)."""
        return _ROLE_RANK[self.acting_role] >= _ROLE_RANK[Role.OWNER]

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def grant_refusal(caller: Principal, role: Role | None = None,
                  scopes: Iterable[str] = ()) -> str | None:
    """Why ``caller`` may not grant ``role`` (to a new user) and ``scopes`` (to a new key);
    None when it may.

    Nobody grants what they do not hold: every scope granted, the role's or the key's, is one
    the caller holds; a new user's role ranks no higher than the caller's; and administrators
    are made by a platform administrator only (logged in, not through an API key).
    """
    if role == Role.ADMIN and not caller.is_platform_admin:
        return "only a platform administrator may create administrators"
    if role is not None and _ROLE_RANK[role] > _ROLE_RANK[caller.acting_role]:
        who = "an API key" if caller.api_key_id else f"a user of role {caller.role.value}"
        return f"{who} cannot create a user of role {role.value}"
    granted = set(scopes) | (ROLE_SCOPES[role] if role is not None else set())
    beyond = sorted(granted - caller.scopes)
    if beyond:
        return f"cannot grant scopes you do not have: {', '.join(beyond)}"
    return None


# --- login throttling -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempts:
    """A counter of failed logins (per username or per client address), times in epoch seconds."""

    failures: int
    locked_until: int
    expires_at: int  # forgotten from then on (the store's TTL removes it some time later)

    def live_failures(self, now: float) -> int:
        return self.failures if now < self.expires_at else 0

    def retry_after(self, now: float) -> int:
        """Whole seconds until the lock ends; 0 when not locked."""
        if now >= self.expires_at or now >= self.locked_until:
            return 0
        return max(1, math.ceil(self.locked_until - now))


@dataclass(frozen=True)
class Backoff:
    """Exponential lockout: ``threshold`` failures lock for ``base_s``; each further failure
    doubles the window, up to ``cap_s``. A counter is forgotten ``memory_s`` after its last lock
    ends (or its last failure, when not locked)."""

    threshold: int
    base_s: int
    cap_s: int
    memory_s: int

    def window(self, failures: int) -> int:
        """Seconds of lockout after the ``failures``-th consecutive failure."""
        if failures < self.threshold:
            return 0
        doublings = min(failures - self.threshold, self.cap_s.bit_length())
        return min(self.cap_s, self.base_s * 2 ** doublings)

    def after_failure(self, prior: Attempts | None, now: float) -> Attempts:
        """The counter once one more failure (at ``now``) is counted; a lock never shrinks."""
        failures = (prior.live_failures(now) if prior else 0) + 1
        window = self.window(failures)
        locked_until = math.ceil(now + window) if window else 0
        if prior and prior.live_failures(now):
            locked_until = max(locked_until, prior.locked_until)
        return Attempts(failures, locked_until,
                        math.ceil(max(now, locked_until) + self.memory_s))


LOGIN_PER_USERNAME = Backoff(threshold=5, base_s=30, cap_s=15 * 60, memory_s=24 * 3600)
LOGIN_PER_ADDRESS = Backoff(threshold=20, base_s=30, cap_s=15 * 60, memory_s=24 * 3600)


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` uses per fixed window of ``window_s`` seconds."""

    limit: int
    window_s: int

    def window(self, now: float) -> tuple[int, int]:
        """The window ``now`` falls in (its number) and whole seconds until the next one."""
        number = int(now // self.window_s)
        return number, max(1, math.ceil((number + 1) * self.window_s - now))


USER_CREATION = RateLimit(limit=20, window_s=60)  # per tenant: usernames are global
