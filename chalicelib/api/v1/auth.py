"""/v1/auth, /v1/tenants (and their users) and /v1/api-keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


@bp.route("/auth/login", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, auth=False, body="auth:LoginIn", out="auth:LoginOut",
          responses={401: "invalid_credentials", 429: "too_many_attempts"})
def login(request: Request) -> dict[str, Any]:
    """Log in with a username and password: a Bearer token for the API."""
    from chalicelib.domain import clock

    body = request.body()
    # API Gateway's own view of the client; headers such as X-Forwarded-For are the client's.
    token, expires = container().auth.login(body.username, body.password,
                                            request.client_address)
    return {"token": token, "token_type": "Bearer", "expires_at": clock.iso(expires)}


@bp.route("/auth/me", methods=["GET"])
@endpoint(bp, out="auth:MeOut")
def me(request: Request, principal: Principal) -> dict[str, Any]:
    """Who the credentials belong to, and what they may do."""
    return {"user_id": principal.user_id, "tenant_id": principal.tenant_id,
            "role": principal.role.value, "scopes": sorted(principal.scopes),
            "api_key_id": principal.api_key_id}


@bp.route("/auth/logout", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, body="auth:LogoutIn", out="auth:LogoutOut", responses={422: "not_a_login"})
def logout(request: Request, principal: Principal) -> dict[str, Any]:
    """Revoke this login token (``from_all``: every token of the user)."""
    body = request.body()
    container().auth.logout(principal, body.from_all)
    return {"logged_out": True, "from_all": body.from_all}


@bp.route("/auth/password", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, body="auth:PasswordChangeIn", out="auth:LoginOut",
          responses={422: "wrong_password", 429: "too_many_attempts"})
def change_password(request: Request, principal: Principal) -> dict[str, Any]:
    """Change your own password. Your other tokens stop working; the answer is a new token
    for this client. A wrong ``current_password`` counts as a failed login."""
    from chalicelib.domain import clock

    body = request.body()
    token, expires = container().auth.change_password(
        principal, body.current_password, body.new_password, request.client_address)
    return {"token": token, "token_type": "Bearer", "expires_at": clock.iso(expires)}


@bp.route("/tenants", methods=["GET"])
@endpoint(bp, out="auth:Page[TenantOut]", query=("limit", "cursor"))
def list_tenants(request: Request, principal: Principal) -> Any:
    """Every tenant, oldest first (platform administrators only)."""
    from chalicelib.api.v1.schemas.auth import TenantOut

    limit, cursor = request.page_args()
    return page_json(container().tenancy.list_tenants(principal, limit, cursor), TenantOut.of)


@bp.route("/tenants", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, body="auth:TenantIn", out="auth:TenantOut", status=201)
def create_tenant(request: Request, principal: Principal) -> Any:
    """Create a tenant (platform administrators only)."""
    from chalicelib.api.v1.schemas.auth import TenantOut

    return TenantOut.of(container().tenancy.create_tenant(principal, request.body().name))


@bp.route("/tenants/{tenant_id}/users", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, body="auth:UserIn", out="auth:UserOut", status=201,
          responses={409: "username_taken", 429: "rate_limited"})
def create_user(request: Request, principal: Principal, tenant_id: str) -> Any:
    """Add a user to a tenant (never with more rights than the caller holds)."""
    from chalicelib.api.v1.schemas.auth import UserOut
    from chalicelib.domain.auth import Role

    body = request.body()
    return UserOut.of(container().tenancy.create_user(principal, tenant_id, body.username,
                                                   body.password, Role(body.role)))


@bp.route("/tenants/{tenant_id}/users", methods=["GET"])
@endpoint(bp, scope="users:read", out="auth:Page[UserOut]", query=("limit", "cursor"))
def list_users(request: Request, principal: Principal, tenant_id: str) -> Any:
    """A tenant's users (its owner or a platform administrator)."""
    from chalicelib.api.v1.schemas.auth import UserOut

    limit, cursor = request.page_args()
    return page_json(container().tenancy.list_users(principal, tenant_id, limit, cursor),
                     UserOut.of)


@bp.route("/tenants/{tenant_id}/users/{user_id}", methods=["DELETE"])
@endpoint(bp, scope="users:write", out="common:Deleted", responses={409: "cannot_delete_self"})
def delete_user(request: Request, principal: Principal, tenant_id: str,
                user_id: str) -> dict[str, Any]:
    """Remove a user: their tokens stop working and the API keys they made are revoked."""
    container().tenancy.delete_user(principal, tenant_id, user_id)
    return {"deleted": True, "id": user_id}


@bp.route("/tenants/{tenant_id}/users/{user_id}/password", methods=["PUT"],
          content_types=JSON_TYPES)
@endpoint(bp, scope="users:write", body="auth:PasswordIn", out="auth:UserOut")
def set_password(request: Request, principal: Principal, tenant_id: str, user_id: str) -> Any:
    """Reset a user's password (the tenant's owner or a platform administrator); every
    token of that user stops working."""
    from chalicelib.api.v1.schemas.auth import UserOut

    return UserOut.of(container().tenancy.set_password(principal, tenant_id, user_id,
                                                       request.body().new_password))


@bp.route("/api-keys", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="api_keys:write", body="auth:ApiKeyIn", out="auth:ApiKeyCreated",
          status=201)
def create_api_key(request: Request, principal: Principal) -> Any:
    """Create an API key with some of the caller's scopes; the key is shown once."""
    from chalicelib.api.v1.schemas.auth import ApiKeyCreated, ApiKeyOut

    body = request.body()
    key, secret = container().auth.create_api_key(principal, body.name, body.scopes)
    return ApiKeyCreated(**ApiKeyOut.of(key).model_dump(), key=secret)


@bp.route("/api-keys", methods=["GET"])
@endpoint(bp, scope="api_keys:read", out="auth:Page[ApiKeyOut]", query=("limit", "cursor"))
def list_api_keys(request: Request, principal: Principal) -> Any:
    """The tenant's API keys (members see their own)."""
    from chalicelib.api.v1.schemas.auth import ApiKeyOut

    limit, cursor = request.page_args()
    return page_json(container().auth.list_api_keys(principal, limit, cursor), ApiKeyOut.of)


@bp.route("/api-keys/{key_id}", methods=["DELETE"])
@endpoint(bp, scope="api_keys:write", out="common:Deleted")
def delete_api_key(request: Request, principal: Principal, key_id: str) -> dict[str, Any]:
    """Revoke an API key at once."""
    container().auth.delete_api_key(principal, key_id)
    return {"deleted": True, "id": key_id}
