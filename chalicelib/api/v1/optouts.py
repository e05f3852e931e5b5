"""/v1/opt-outs: numbers that asked for no marketing messages, and the STOP/START keywords."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


def _out(opt_out: Any) -> Any:
    from chalicelib.api.v1.schemas.optouts import OptOutOut

    return OptOutOut.of(opt_out)


def _settings(settings: Any) -> Any:
    from chalicelib.api.v1.schemas.optouts import SettingsOut

    return SettingsOut.of(settings)


@bp.route("/opt-outs", methods=["GET"])
@endpoint(bp, scope="opt_outs:read", out="optouts:Page[OptOutOut]", query=("limit", "cursor"))
def list_opt_outs(request: Request, principal: Principal) -> dict[str, Any]:
    """Numbers that get no marketing messages (sends with category marketing fail
    ``opted_out``)."""
    limit, cursor = request.page_args()
    return page_json(container().opt_out_service.list(principal, limit, cursor), _out)


@bp.route("/opt-outs", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="opt_outs:write", body="optouts:OptOutIn", out="optouts:OptOutOut",
          status=201, idempotent=True)
def add_opt_out(request: Request, principal: Principal) -> Any:
    """Put a number on the opt-out list (a number already there stays as it is)."""
    body = request.body()
    return _out(container().opt_out_service.add(principal, body.phone, body.reason))


@bp.route("/opt-outs/settings", methods=["GET"])
@endpoint(bp, scope="opt_outs:read", out="optouts:SettingsOut")
def get_opt_out_settings(request: Request, principal: Principal) -> Any:
    """The inbound keywords that opt a number out (STOP…) and back in (START…), and the
    confirmations they get."""
    return _settings(container().opt_out_service.settings(principal))


@bp.route("/opt-outs/settings", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="opt_outs:write", body="optouts:SettingsIn", out="optouts:SettingsOut")
def put_opt_out_settings(request: Request, principal: Principal) -> Any:
    """Replace the keywords and confirmations (a field left out takes its default)."""
    fields = request.body().model_dump()
    return _settings(container().opt_out_service.put_settings(principal, fields))


@bp.route("/opt-outs/{phone}", methods=["DELETE"])
@endpoint(bp, scope="opt_outs:write", out="optouts:OptOutOut")
def delete_opt_out(request: Request, principal: Principal, phone: str) -> Any:
    """Take a number off the list (E.164, with or without +): marketing may reach it again."""
    return _out(container().opt_out_service.remove(principal, phone))
