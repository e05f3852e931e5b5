"""/v1/auth, /v1/tenants and /v1/api-keys."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import JSON_TYPES, Request, endpoint, json_response, page_json
from chalicelib.api.v1.schemas import (
    ApiKeyIn,
    LoginIn,
    LogoutIn,
    TenantIn,
    UserIn,
    api_key_out,
    tenant_out,
    user_out,
)
from chalicelib.bootstrap import container
from chalicelib.domain import clock
from chalicelib.domain.auth import Principal, Role
from chalicelib.services.auth import UNKNOWN_ADDRESS

bp = Blueprint(__name__)


@bp.route("/auth/login", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, auth=False)
def login(request: Request) -> dict[str, Any]:
    body = request.body(LoginIn)
    # API Gateway's own view of the client; headers such as X-Forwarded-For are the client's.
    address = (request.raw.context.get("identity") or {}).get("sourceIp") or UNKNOWN_ADDRESS
    token, expires = container().auth.login(body.username, body.password, address)
    return {"token": token, "token_type": "Bearer", "expires_at": clock.iso(expires)}


@bp.route("/auth/me", methods=["GET"])
@endpoint(bp)
def me(request: Request, principal: Principal) -> dict[str, Any]:
    return {"user_id": principal.user_id, "tenant_id": principal.tenant_id,
            "role": principal.role.value, "scopes": sorted(principal.scopes),
            "api_key_id": principal.api_key_id}


@bp.route("/auth/logout", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp)
def logout(request: Request, principal: Principal) -> dict[str, Any]:
    body = request.body(LogoutIn)
    container().auth.logout(principal, body.from_all)
    return {"logged_out": True, "from_all": body.from_all}


@bp.route("/tenants", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp)
def create_tenant(request: Request, principal: Principal) -> Any:
    tenant = container().auth.create_tenant(principal, request.body(TenantIn).name)
    return json_response(tenant_out(tenant), 201)


@bp.route("/tenants/{tenant_id}/users", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp)
def create_user(request: Request, principal: Principal, tenant_id: str) -> Any:
    body = request.body(UserIn)
    user = container().auth.create_user(principal, tenant_id, body.username, body.password,
                                        Role(body.role))
    return json_response(user_out(user), 201)


@bp.route("/api-keys", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="api_keys:write")
def create_api_key(request: Request, principal: Principal) -> Any:
    body = request.body(ApiKeyIn)
    key, secret = container().auth.create_api_key(principal, body.name, body.scopes)
    return json_response({**api_key_out(key), "key": secret}, 201)


@bp.route("/api-keys", methods=["GET"])
@endpoint(bp, scope="api_keys:read")
def list_api_keys(request: Request, principal: Principal) -> dict[str, Any]:
    limit, cursor = request.page_args()
    return page_json(container().auth.list_api_keys(principal, limit, cursor), api_key_out)


@bp.route("/api-keys/{key_id}", methods=["DELETE"])
@endpoint(bp, scope="api_keys:write")
def delete_api_key(request: Request, principal: Principal, key_id: str) -> Any:
    container().auth.delete_api_key(principal, key_id)
    return json_response({"deleted": True, "id": key_id})
