"""Logins: tokens (JWT), their throttling, your own password, and API keys."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt

from chalicelib.domain import clock, ids
from chalicelib.domain.accounts import (
    ApiKey,
    User,
    check_password,
    format_api_key,
    normalize_username,
    parse_api_key,
)
from chalicelib.domain.auth import (
    LOGIN_PER_ADDRESS,
    LOGIN_PER_USERNAME,
    ROLE_SCOPES,
    SCOPES,
    Attempts,
    Backoff,
    Principal,
    Role,
    grant_refusal,
)
from chalicelib.domain.errors import (
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from chalicelib.domain.paging import Page
from chalicelib.services.ports import Keyring, PasswordHasher, ThrottleStore, UserRepo

UNKNOWN_ADDRESS = "unknown"  # where the edge cannot tell the client's address
_ALGORITHM = "HS256"
_SWAP_TRIES = 5  # compare-and-swap rounds on one login counter before giving up (429)


def _hash_secret(secret: str) -> str:
    # API key secrets are 192 random bits: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def _too_many_attempts(retry_after_s: int) -> TooManyRequests:
    return TooManyRequests("too many failed logins; try again later", retry_after_s,
                           code="too_many_attempts")


def _epoch() -> float:
    return clock.now().timestamp()


class AuthService:
    def __init__(self, users: UserRepo, hasher: PasswordHasher, jwt_keys: Keyring,
                 token_ttl_seconds: int, throttle: ThrottleStore,
                 clock: Callable[[], float] = _epoch) -> None:
        self._users = users
        self._hasher = hasher
        self._keys = jwt_keys  # signs with the current key, accepts the previous one too
        self._ttl = token_ttl_seconds
        self._throttle = throttle
        self.clock = clock  # epoch seconds for throttling and rate limits (tests replace it)
        # A real hash to compare against when the username is unknown (same timing either way).
        self._dummy_hash: str | None = None

    # --- login tokens ---

    def login(self, username: str, password: str,
              address: str = UNKNOWN_ADDRESS) -> tuple[str, datetime]:
        """A token for the right password. Failures lock the username (and, more slowly, the
        client ``address``) for a doubling while, refused with 429 before any password check;
        unknown usernames count exactly like known ones."""
        user = self._checked(username, password, address)
        if user is None:
            raise Unauthorized("wrong username or password", code="invalid_credentials")
        return self._token(user)

    def change_password(self, caller: Principal, current: str, new: str,
                        address: str = UNKNOWN_ADDRESS) -> tuple[str, datetime]:
        """Change your own password: ``current`` is checked (and throttled) as a login is.
        Every token of yours is revoked; the answer is a fresh one for this client."""
        if caller.api_key_id is not None:
            raise ValidationFailed("an API key has no password; log in to change yours",
                                   code="not_a_login")
        user = self._users.get_user(caller.tenant_id, caller.user_id)
        if user is None:
            raise Unauthorized("token revoked", code="token_revoked")
        check_password(new, "new_password")
        if self._checked(user.username, current, address) is None:
            raise ValidationFailed("current_password: is wrong", code="wrong_password",
                                   details=[{"field": "current_password",
                                             "message": "is wrong"}])
        changed = self._users.set_password(user.tenant_id, user.id, self._hasher.hash(new))
        if changed is None:
            raise Unauthorized("token revoked", code="token_revoked")
        return self._token(changed)

    def _checked(self, username: str, password: str, address: str) -> User | None:
        """The user whose password this is, or None; throttled by username and address."""
        now = self.clock()
        name_key, address_key = f"user#{username.strip().lower()}", f"addr#{address}"
        counters = self._throttle.attempts([name_key, address_key])
        locked = max(c.retry_after(now) for c in counters.values()) if counters else 0
        if locked:
            raise _too_many_attempts(locked)
        # Counted before the check, so parallel guesses cannot overtake the lock; a success
        # forgets it again.
        self._count_failure(name_key, LOGIN_PER_USERNAME, counters.get(name_key), now,
                            refuse_when_locked=True)
        user = self._user_with_password(username, password)
        if user is None:
            self._count_failure(address_key, LOGIN_PER_ADDRESS, counters.get(address_key), now,
                                refuse_when_locked=False)
            return None
        self._throttle.forget_attempts(name_key)
        return user

    def _user_with_password(self, username: str, password: str) -> User | None:
        """The user if the password is theirs; as slow for an unknown username."""
        try:
            user = self._users.find_login(normalize_username(username))
        except ValidationFailed:
            user = None
        if user is None:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash("not-a-real-password")
            self._hasher.verify(self._dummy_hash, password)
            return None
        return user if self._hasher.verify(user.password_hash, password) else None

    def _count_failure(self, key: str, backoff: Backoff, prior: Attempts | None, now: float,
                       refuse_when_locked: bool) -> None:
        """Add one failure to a counter by compare-and-swap (concurrent logins each count)."""
        for _ in range(_SWAP_TRIES):
            if refuse_when_locked and prior and prior.retry_after(now):
                raise _too_many_attempts(prior.retry_after(now))
            if self._throttle.replace_attempts(key, prior, backoff.after_failure(prior, now)):
                return
            prior = self._throttle.attempts([key]).get(key)
        raise _too_many_attempts(1)

    def _token(self, user: User) -> tuple[str, datetime]:
        now = int(time.time())
        expires = now + self._ttl
        token = jwt.encode({"sub": user.id, "tid": user.tenant_id, "role": user.role.value,
                            "gen": user.token_generation, "jti": ids.new_id(),
                            "iat": now, "exp": expires}, self._keys.current(), algorithm=_ALGORITHM)
        return token, datetime.fromtimestamp(expires, UTC)

    def logout(self, caller: Principal, from_all: bool) -> None:
        if caller.api_key_id is not None:
            raise ValidationFailed("an API key cannot log out; delete it instead",
                                   code="not_a_login")
        if from_all:
            self._users.bump_token_generation(caller.tenant_id, caller.user_id)
        elif caller.token_id:
            self._users.revoke_token(caller.tenant_id, caller.user_id, caller.token_id,
                                     int(time.time()) + self._ttl)

    def user(self, caller: Principal) -> User:
        """The caller's own user record (an API key's: the user who made it)."""
        user = self._users.get_user(caller.tenant_id, caller.user_id)
        if user is None:
            raise NotFound("user not found")
        return user

    def authenticate(self, credential: str | None) -> Principal:
        """The caller behind a JWT or an API key; anything else is a 401."""
        if not credential:
            raise Unauthorized("missing credentials: send Authorization: Bearer <token or key>")
        parsed = parse_api_key(credential)
        if parsed:
            return self._authenticate_key(*parsed)
        try:
            claims = self._keys.first(lambda key: _claims(credential, key))
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired", code="token_expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("invalid token", code="invalid_token") from exc
        if claims is None:
            raise Unauthorized("invalid token", code="invalid_token")
        user, revoked = self._users.user_and_revocation(claims["tid"], claims["sub"], claims["jti"])
        if user is None or revoked or claims.get("gen") != user.token_generation:
            raise Unauthorized("token revoked", code="token_revoked")
        return Principal(tenant_id=user.tenant_id, user_id=user.id, role=user.role,
                         scopes=ROLE_SCOPES[user.role], token_id=claims["jti"])

    def _authenticate_key(self, tenant_id: str, key_id: str, secret: str) -> Principal:
        key = self._users.get_api_key(tenant_id, key_id)
        if key is None or not hmac.compare_digest(key.secret_hash, _hash_secret(secret)):
            raise Unauthorized("invalid API key", code="invalid_api_key")
        return Principal(tenant_id=key.tenant_id, user_id=key.created_by, role=Role.MEMBER,
                         scopes=frozenset(key.scopes), api_key_id=key.id)

    # --- API keys ---

    def create_api_key(self, caller: Principal, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
        unknown = sorted(set(scopes) - SCOPES)
        if unknown:
            raise ValidationFailed(f"scopes: unknown scope(s) {', '.join(unknown)}",
                                   details=[{"field": "scopes", "message": f"unknown: {s}"}
                                            for s in unknown])
        refusal = grant_refusal(caller, scopes=scopes)
        if refusal:
            raise Forbidden(refusal)
        secret = ids.secret_token()
        key = ApiKey(id=ids.new_id(), tenant_id=caller.tenant_id, name=name,
                     scopes=sorted(set(scopes)), secret_hash=_hash_secret(secret),
                     created_by=caller.user_id, created_at=clock.now_iso(),
                     last_four=secret[-4:])
        self._users.put_api_key(key)
        return key, format_api_key(key.tenant_id, key.id, secret)

    def list_api_keys(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        """Every key of the tenant for owners and admins; a member's (or a key's) own."""
        return self._users.list_api_keys(caller.tenant_id, limit, cursor,
                                         created_by=_unless_manager(caller))

    def delete_api_key(self, caller: Principal, key_id: str) -> None:
        if not self._users.delete_api_key(caller.tenant_id, key_id,
                                          created_by=_unless_manager(caller)):
            raise NotFound("API key not found")


def _claims(token: str, key: str) -> dict[str, Any] | None:
    """A token's claims if ``key`` signed it (None if another key did); a token that is
    malformed, expired or short of a claim raises (no other key can make it valid)."""
    try:
        claims: dict[str, Any] = jwt.decode(token, key, algorithms=[_ALGORITHM],
                                            options={"require": ["exp", "sub", "tid", "jti"]})
    except jwt.InvalidSignatureError:
        return None
    return claims


def _unless_manager(caller: Principal) -> str | None:
    """The creator a caller's key operations are limited to; None: every key of the tenant."""
    return None if caller.manages_all_keys else caller.user_id
