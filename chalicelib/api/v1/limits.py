"""/v1/sessions/{id}/limits: the send governor's limits of one session, and its budgets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


def _out(view: Any) -> Any:
    from chalicelib.api.v1.schemas.limits import SessionLimitsOut

    return SessionLimitsOut.of(view)


@bp.route("/sessions/{session_id}/limits", methods=["GET"])
@endpoint(bp, scope="sessions:read", out="limits:SessionLimitsOut")
def get_limits(request: Request, principal: Principal, session_id: str) -> Any:
    """The session's send limits (the platform's defaults and its own) and what it may send
    now: tokens left per lane, new contacts left today, the warm-up's day and factor, and
    until when its marketing traffic is throttled (and why)."""
    return _out(container().governor.limits(principal, session_id))


@bp.route("/sessions/{session_id}/limits", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="limits:LimitsIn", out="limits:SessionLimitsOut")
def put_limits(request: Request, principal: Principal, session_id: str) -> Any:
    """Set the session's own limits: messages per minute per lane, new contacts a day, the
    warm-up. A field left out takes the platform default (``{}`` restores them all). Sends
    over a budget wait in their queue (never dropped, never early)."""
    return _out(container().governor.put_limits(principal, session_id,
                                                request.body().overrides()))
