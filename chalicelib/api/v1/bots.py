"""/v1/bots: keyword bots that answer inbound messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


def _out(bot: Any) -> Any:
    from chalicelib.api.v1.schemas.bots import BotOut

    return BotOut.of(bot)


@bp.route("/bots", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="bots:write", body="bots:BotIn", out="bots:BotWithSecret", status=201,
          idempotent=True, responses={409: "bot_limit"})
def create_bot(request: Request, principal: Principal) -> Any:
    """Create a keyword bot; a webhook bot's signing ``webhook_secret`` is shown only here."""
    from chalicelib.api.v1.schemas.bots import BotWithSecret

    return BotWithSecret.of(container().bot_service.create(principal, request.body().fields()))


@bp.route("/bots", methods=["GET"])
@endpoint(bp, scope="bots:read", out="bots:Page[BotOut]", query=("limit", "cursor"))
def list_bots(request: Request, principal: Principal) -> dict[str, Any]:
    """The tenant's bots, with how often each matched."""
    limit, cursor = request.page_args()
    return page_json(container().bot_service.list(principal, limit, cursor), _out)


@bp.route("/bots/{bot_id}", methods=["GET"])
@endpoint(bp, scope="bots:read", out="bots:BotOut")
def get_bot(request: Request, principal: Principal, bot_id: str) -> Any:
    """One bot (without its webhook secret)."""
    return _out(container().bot_service.get(principal, bot_id))


@bp.route("/bots/{bot_id}", methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="bots:write", body="bots:BotPatch", out="bots:BotOut")
def update_bot(request: Request, principal: Principal, bot_id: str) -> Any:
    """Change any of a bot's fields (its counters stay)."""
    return _out(container().bot_service.update(principal, bot_id, request.body().changes()))


@bp.route("/bots/{bot_id}", methods=["DELETE"])
@endpoint(bp, scope="bots:write", out="common:Deleted")
def delete_bot(request: Request, principal: Principal, bot_id: str) -> Any:
    """Delete a bot (replies it already queued are still sent)."""
    container().bot_service.delete(principal, bot_id)
    return {"deleted": True, "id": bot_id}
