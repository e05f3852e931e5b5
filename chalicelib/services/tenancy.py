"""Tenants and their users: who runs the platform makes tenants; a tenant's owner (or a
platform administrator) makes, lists and removes its users and resets their passwords."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain import clock, ids
from chalicelib.domain.accounts import Tenant, User, check_password, normalize_username
from chalicelib.domain.auth import USER_CREATION, Principal, Role, grant_refusal
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, TooManyRequests
from chalicelib.domain.paging import Page
from chalicelib.services.ports import PasswordHasher, ThrottleStore, UserRepo

MAX_KEYS_REVOKED = 1000  # API keys a removed user made, revoked with them (pages of 100)


def _epoch() -> float:
    return clock.now().timestamp()


class TenancyService:
    def __init__(self, users: UserRepo, hasher: PasswordHasher, throttle: ThrottleStore,
                 clock: Callable[[], float] = _epoch) -> None:
        self._users = users
        self._hasher = hasher
        self._throttle = throttle
        self.clock = clock  # epoch seconds for the user-creation rate (tests replace it)

    # --- tenants ---

    def create_tenant(self, caller: Principal, name: str) -> Tenant:
        if not caller.is_platform_admin:
            raise Forbidden("only a platform administrator may create tenants")
        tenant = Tenant(id=ids.new_id(), name=name, created_at=clock.now_iso())
        self._users.put_tenant(tenant)
        return tenant

    def ensure_tenant(self, tenant_id: str, name: str) -> Tenant:
        tenant = self._users.get_tenant(tenant_id)
        if tenant is None:
            tenant = Tenant(id=tenant_id, name=name, created_at=clock.now_iso())
            self._users.put_tenant(tenant)
        return tenant

    def list_tenants(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        """Every tenant, oldest first (platform administrators only)."""
        if not caller.is_platform_admin:
            raise Forbidden("only a platform administrator may list tenants")
        return self._users.list_tenants(limit, cursor)

    # --- users ---

    def create_first_admin(self, tenant_id: str, username: str, password: str) -> User:
        """The platform's first administrator (the deployment's bootstrap); refused once the
        platform tenant has a user, so it cannot be used to add another."""
        self.ensure_tenant(tenant_id, "Platform")
        if self._users.list_users(tenant_id, 1, None).items:
            raise Conflict("the platform tenant already has users; log in as one",
                           code="admin_exists")
        return self.create_user(None, tenant_id, username, password, Role.ADMIN)

    def create_user(self, caller: Principal | None, tenant_id: str, username: str,
                    password: str, role: Role) -> User:
        """Add a user; ``caller`` None is the bootstrap (first admin)."""
        if caller is not None:
            self._reach(caller, tenant_id, "users:write")
            refusal = grant_refusal(caller, role=role)
            if refusal:
                raise Forbidden(refusal)
        if self._users.get_tenant(tenant_id) is None:
            raise NotFound("tenant not found")
        check_password(password)
        username = normalize_username(username)
        if caller is not None:
            self._take_user_creation(tenant_id)
        user = User(id=ids.new_id(), tenant_id=tenant_id, username=username,
                    role=role, password_hash=self._hasher.hash(password),
                    created_at=clock.now_iso())
        self._users.create_user(user)
        return user

    def list_users(self, caller: Principal, tenant_id: str, limit: int,
                   cursor: str | None) -> Page:
        """A tenant's users, oldest first."""
        self._reach(caller, tenant_id, "users:read", manager=True)
        if self._users.get_tenant(tenant_id) is None:
            raise NotFound("tenant not found")
        return self._users.list_users(tenant_id, limit, cursor)

    def delete_user(self, caller: Principal, tenant_id: str, user_id: str) -> None:
        """Remove a user: their logins stop at once and the API keys they made are revoked
        (up to ``MAX_KEYS_REVOKED``). Nobody removes themselves."""
        user = self._managed(caller, tenant_id, user_id)
        if user.id == caller.user_id:
            raise Conflict("you cannot remove yourself", code="cannot_delete_self")
        for _ in range(MAX_KEYS_REVOKED // 100):
            keys = self._users.list_api_keys(tenant_id, 100, None, created_by=user.id).items
            for key in keys:
                self._users.delete_api_key(tenant_id, key.id)
            if not keys:
                break
        self._users.delete_user(user)

    def set_password(self, caller: Principal, tenant_id: str, user_id: str,
                     new_password: str) -> User:
        """Reset a user's password; every token of theirs is revoked."""
        user = self._managed(caller, tenant_id, user_id)
        check_password(new_password, "new_password")
        changed = self._users.set_password(tenant_id, user.id, self._hasher.hash(new_password))
        if changed is None:
            raise NotFound("user not found")
        return changed

    def _managed(self, caller: Principal, tenant_id: str, user_id: str) -> User:
        """The user ``caller`` may manage: within reach, and ranked no higher than it."""
        self._reach(caller, tenant_id, "users:write", manager=True)
        user = self._users.get_user(tenant_id, user_id)
        if user is None:
            raise NotFound("user not found")
        if grant_refusal(caller, role=user.role):
            raise Forbidden(f"a {caller.acting_role.value} may not manage a user of role "
                            f"{user.role.value}")
        return user

    @staticmethod
    def _reach(caller: Principal, tenant_id: str, scope: str, manager: bool = False) -> None:
        """Another tenant does not exist for the caller (404); then the scope, then (for
        ``manager`` operations) an owner's rank."""
        if not caller.is_platform_admin and caller.tenant_id != tenant_id:
            raise NotFound("tenant not found")
        if not caller.has(scope):
            raise Forbidden(f"missing scope {scope}", code="missing_scope")
        if manager and not caller.is_platform_admin and caller.acting_role != Role.OWNER:
            raise Forbidden("only the tenant's owner or a platform administrator may do this")

    def _take_user_creation(self, tenant_id: str) -> None:
        """Usernames are global: a tenant may try only so many a minute, so nobody probes
        which names other tenants use (a 409) in bulk."""
        number, retry_after = USER_CREATION.window(self.clock())
        expires = (number + 2) * USER_CREATION.window_s
        if not self._throttle.take(tenant_id, f"users#{number}", USER_CREATION.limit, expires):
            raise TooManyRequests(
                f"at most {USER_CREATION.limit} users may be created per "
                f"{USER_CREATION.window_s} s; try again later", retry_after)
