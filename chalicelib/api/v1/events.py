"""/v1/events: the event catalogue, and the tenant's events for catch-up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


@bp.route("/events/types", methods=["GET"])
@endpoint(bp, scope="events:read", out="events:EventTypes")
def event_types(request: Request, principal: Principal) -> Any:
    """Every event type the gateway publishes, with the schema of its ``data``."""
    return {"items": container().event_service.types()}


@bp.route("/events", methods=["GET"])
@endpoint(bp, scope="events:read", out="events:Page[EventOut]",
          query=("after", "types", "session_id", "limit", "cursor"))
def list_events(request: Request, principal: Principal) -> dict[str, Any]:
    """The tenant's events, oldest first (kept 7 days): after an outage, pass the id of the
    last event you handled as ``after`` and follow ``next_cursor``. Same ids as the webhooks'
    ``webhook-id``."""
    from chalicelib.api.v1.schemas.events import EventOut

    limit, cursor = request.page_args()
    types = request.query("types")
    page = container().event_service.list(
        principal, request.query("after"), cursor,
        [t.strip() for t in types.split(",") if t.strip()] if types else None,
        request.query("session_id"), limit)
    return page_json(page, EventOut.of)
