"""/v1/campaigns: bulk sends, paced over sessions inside a window, with progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
_CONFLICT = {409: "campaign_<status>: not allowed in its status (e.g. resume a running one)"}


def _out(campaign: Any) -> Any:
    from chalicelib.api.v1.schemas.campaigns import CampaignOut
    from chalicelib.services.campaigns import CampaignService

    return CampaignOut.of(campaign, CampaignService.eta(campaign))


@bp.route("/campaigns", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="campaigns:write", body="campaigns:CampaignIn", out="campaigns:CampaignOut",
          status=201, idempotent=True)
def create_campaign(request: Request, principal: Principal) -> Any:
    """A campaign (status draft, or scheduled with start_at) to inline recipients (at most
    1,000), an uploaded CSV (read at start) or address-book groups. Duplicate numbers go once;
    invalid rows are counted and listed in ``errors``, not fatal."""
    return _out(container().campaign_service.create(principal, request.body().new()))


@bp.route("/campaigns", methods=["GET"])
@endpoint(bp, scope="campaigns:read", out="campaigns:Page[CampaignOut]",
          query=("limit", "cursor"))
def list_campaigns(request: Request, principal: Principal) -> dict[str, Any]:
    """The tenant's campaigns, newest first (progress as of their last tick)."""
    limit, cursor = request.page_args()
    return page_json(container().campaign_service.list(principal, limit, cursor), _out)


@bp.route("/campaigns/{campaign_id}", methods=["GET"])
@endpoint(bp, scope="campaigns:read", out="campaigns:CampaignOut")
def get_campaign(request: Request, principal: Principal, campaign_id: str) -> Any:
    """A campaign with its progress now and its eta."""
    return _out(container().campaign_service.get(principal, campaign_id))


@bp.route("/campaigns/{campaign_id}", methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="campaigns:write", body="campaigns:CampaignPatch",
          out="campaigns:CampaignOut", responses=_CONFLICT)
def update_campaign(request: Request, principal: Principal, campaign_id: str) -> Any:
    """Change name, description, window, message_interval, daily_limit, typing_ms or end_at
    while it is not finished (the next tick paces by them)."""
    return _out(container().campaign_service.update(principal, campaign_id,
                                                    request.body().changes()))


def _act(principal: Principal, campaign_id: str, action: str) -> Any:
    return _out(container().campaign_service.act(principal, campaign_id, action))


@bp.route("/campaigns/{campaign_id}/start", methods=["POST"])
@endpoint(bp, scope="campaigns:write", out="campaigns:CampaignOut", responses=_CONFLICT)
def start_campaign(request: Request, principal: Principal, campaign_id: str) -> Any:
    """Start a draft or scheduled campaign now (an upload or audience is read now)."""
    return _act(principal, campaign_id, "start")


@bp.route("/campaigns/{campaign_id}/pause", methods=["POST"])
@endpoint(bp, scope="campaigns:write", out="campaigns:CampaignOut", responses=_CONFLICT)
def pause_campaign(request: Request, principal: Principal, campaign_id: str) -> Any:
    """Pause a running campaign: nothing more goes out (released messages wait)."""
    return _act(principal, campaign_id, "pause")


@bp.route("/campaigns/{campaign_id}/resume", methods=["POST"])
@endpoint(bp, scope="campaigns:write", out="campaigns:CampaignOut", responses=_CONFLICT)
def resume_campaign(request: Request, principal: Principal, campaign_id: str) -> Any:
    """Resume a paused campaign where it stopped."""
    return _act(principal, campaign_id, "resume")


@bp.route("/campaigns/{campaign_id}/cancel", methods=["POST"])
@endpoint(bp, scope="campaigns:write", out="campaigns:CampaignOut", responses=_CONFLICT)
def cancel_campaign(request: Request, principal: Principal, campaign_id: str) -> Any:
    """Cancel it: recipients not sent yet are skipped (reason canceled)."""
    return _act(principal, campaign_id, "cancel")


@bp.route("/campaigns/{campaign_id}/recipients", methods=["GET"])
@endpoint(bp, scope="campaigns:read", out="campaigns:RecipientPage",
          query=("limit", "cursor", "status"))
def campaign_recipients(request: Request, principal: Principal, campaign_id: str) -> Any:
    """Recipients with their message id and status (pending, queued, sent, delivered, read,
    failed, skipped, opted_out): released ones by status, then those not released yet."""
    from chalicelib.api.v1.schemas.campaigns import RecipientPage
    from chalicelib.domain.campaigns import STATUSES
    from chalicelib.domain.errors import ValidationFailed

    limit, cursor = request.page_args()
    status = request.query("status")
    if status is not None and status not in STATUSES:
        raise ValidationFailed.field("status", f"must be one of {', '.join(STATUSES)}")
    return RecipientPage.of(container().campaign_service.recipients(
        principal, campaign_id, status, limit, cursor))
