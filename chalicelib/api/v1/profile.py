"""/v1/sessions/{session_id}/profile and /presence: the account's own name, about text,
picture and presence, live through the session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint
from chalicelib.api.v1.sessions import LIVE_ERRORS

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
LIVE = {**LIVE_ERRORS, 501: "not_supported (the session's engine cannot)"}
BASE = "/sessions/{session_id}/profile"


def _service() -> Any:
    return container().profile_service


@bp.route(BASE, methods=["GET"])
@endpoint(bp, scope="profile:read", out="profile:ProfileOut", responses=LIVE)
def get_profile(request: Request, principal: Principal, session_id: str) -> Any:
    """The account's name, about text and picture URL, asked live."""
    return _service().get(principal, session_id)


@bp.route(BASE, methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="profile:write", body="profile:ProfilePatch", out="profile:ProfileOut",
          responses=LIVE)
def update_profile(request: Request, principal: Principal, session_id: str) -> Any:
    """Change the account's name and/or about text."""
    body = request.body()
    return _service().update(principal, session_id, body.name, body.about)


@bp.route(BASE + "/picture", methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="profile:write", body="profile:PictureIn", out="profile:ProfileOut",
          responses=LIVE)
def set_profile_picture(request: Request, principal: Principal, session_id: str) -> Any:
    """Set the account's picture: a JPEG or PNG of at most 1 MB, by ``url`` or ``base64``."""
    from chalicelib.services.media import MediaSource

    body = request.body()
    return _service().set_picture(principal, session_id, MediaSource(
        url=body.url, base64=body.base64, mime_type=body.mime_type))


@bp.route(BASE + "/picture", methods=["DELETE"])
@endpoint(bp, scope="profile:write", out="contacts:DoneOut", responses=LIVE)
def remove_profile_picture(request: Request, principal: Principal, session_id: str) -> Any:
    """Remove the account's picture."""
    _service().remove_picture(principal, session_id)
    return {"done": True}


@bp.route("/sessions/{session_id}/presence", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="profile:write", body="profile:PresenceIn", out="contacts:DoneOut",
          responses=LIVE)
def set_presence(request: Request, principal: Principal, session_id: str) -> Any:
    """Show the account online (``available``) or offline (``unavailable``)."""
    _service().set_presence(principal, session_id, request.body().presence)
    return {"done": True}
