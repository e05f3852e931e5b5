"""/v1/account: usage against limits (the seeds' "balance"); limits per tenant (admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


@bp.route("/account", methods=["GET"])
@endpoint(bp, out="auth:AccountOut")
def account(request: Request, principal: Principal) -> dict[str, Any]:
    """The tenant's usage against its limits, and when the counters reset."""
    return container().account.account(principal)


@bp.route("/tenants/{tenant_id}/limits", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, body="auth:LimitsIn", out="auth:TenantOut")
def set_limits(request: Request, principal: Principal, tenant_id: str) -> Any:
    """Set a tenant's limits (platform administrators only)."""
    from chalicelib.api.v1.schemas.auth import TenantOut
    from chalicelib.domain.quotas import Limits

    limits = Limits.model_validate(request.body().model_dump())
    return TenantOut.of(container().account.set_limits(principal, tenant_id, limits))
