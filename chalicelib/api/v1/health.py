"""/v1/health: liveness without credentials."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.edge import Request, endpoint

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
@endpoint(bp, auth=False, out="meta:HealthOut")
def health(request: Request) -> dict[str, Any]:
    """Is the API up (no credentials needed)."""
    return {"status": "ok", "service": "wagate"}
