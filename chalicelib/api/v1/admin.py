"""/v1/admin: the platform administrator's housekeeping (dead letters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


@bp.route("/admin/dead-letters", methods=["GET"])
@endpoint(bp, out="admin:DeadLettersOut", query=("queue", "limit"),
          responses={404: "queue_not_found"})
def dead_letters(request: Request, principal: Principal) -> dict[str, Any]:
    """Each queue's count of records its worker gave up on; with ``queue``, up to ``limit``
    of them (they stay in the dead-letter queue). Platform administrators only."""
    from chalicelib.domain.dead_letters import MAX_PEEK
    from chalicelib.domain.paging import parse_limit

    limit = min(parse_limit(request.query("limit")), MAX_PEEK)
    return container().dead_letters.listing(principal, request.query("queue"), limit)


@bp.route("/admin/dead-letters/{queue}/redrive", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, body="admin:RedriveIn", out="admin:RedriveOut",
          responses={404: "queue_not_found"})
def redrive(request: Request, principal: Principal, queue: str) -> dict[str, Any]:
    """Send up to ``limit`` dead letters back onto their queue for its worker to try again
    (once the cause is fixed). Platform administrators only."""
    return container().dead_letters.redrive(principal, queue, request.body().limit)
