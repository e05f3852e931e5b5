"""/v1/account: usage against limits (the seeds' "balance"); limits per tenant (admin)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import JSON_TYPES, Request, endpoint
from chalicelib.api.v1.schemas import LimitsIn, tenant_out
from chalicelib.bootstrap import container
from chalicelib.domain.auth import Principal
from chalicelib.domain.quotas import Limits

bp = Blueprint(__name__)


@bp.route("/account", methods=["GET"])
@endpoint(bp)
def account(request: Request, principal: Principal) -> dict[str, Any]:
    return container().account.account(principal)


@bp.route("/tenants/{tenant_id}/limits", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp)
def set_limits(request: Request, principal: Principal, tenant_id: str) -> dict[str, Any]:
    limits = Limits.model_validate(request.body(LimitsIn).model_dump())
    return tenant_out(container().account.set_limits(principal, tenant_id, limits))
