"""Every path and method the API does not have answers 404 in our envelope (not API Gateway's
403 "Missing Authentication Token"). Registered as the greedy ``/{proxy+}``: API Gateway
prefers every real route over it, and ``devstack.routing`` teaches the local server the same."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.edge import Request, endpoint
from chalicelib.domain.errors import NotFound

bp = Blueprint(__name__)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


def _unknown(request: Request) -> None:
    path = (request.raw.context or {}).get("path", "")
    raise NotFound(f"no such route: {request.raw.method} {path}; see /docs",
                   code="route_not_found")


bp.route("/{proxy+}", methods=METHODS, content_types=["*/*"],
         name="unknown_route")(endpoint(bp, auth=False)(_unknown))
