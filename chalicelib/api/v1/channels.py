"""/v1/sessions/{id}/channels and /status: WhatsApp channels (newsletters) and statuses
(stories). Posts are messages: accepted (202), sent once in the background, followed with
GET /v1/messages/{id} and ``message.*`` events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json
from chalicelib.api.v1.messages import SEND_ERRORS
from chalicelib.api.v1.sessions import LIVE_ERRORS

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
ERRORS = {**LIVE_ERRORS, 404: "not_found", 422: "validation_failed (names channel_id, invite)",
          501: "not_supported"}
BASE = "/sessions/{session_id}/channels"


def _out(channel: Any) -> Any:
    from chalicelib.api.v1.schemas.channels import ChannelOut

    return ChannelOut.of(channel)


def _accepted(message: Any) -> Any:
    from chalicelib.api.v1.schemas.messages import Accepted

    return Accepted.of(message)


@bp.route(BASE, methods=["GET"])
@endpoint(bp, scope="channels:read", out="channels:Page[ChannelOut]",
          query=("limit", "cursor"), responses=ERRORS)
def list_channels(request: Request, principal: Principal, session_id: str) -> Any:
    """The channels the session follows or owns, asked live through the session."""
    limit, cursor = request.page_args()
    return page_json(container().channel_service.list(principal, session_id, limit, cursor), _out)


@bp.route(BASE, methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="channels:write", body="channels:ChannelIn", out="channels:ChannelOut",
          status=201, responses=ERRORS)
def create_channel(request: Request, principal: Principal, session_id: str) -> Any:
    """Create a channel owned by the session's number."""
    body = request.body()
    return _out(container().channel_service.create(principal, session_id, body.name,
                                            body.description))


@bp.route(BASE + "/invite-info", methods=["GET"])
@endpoint(bp, scope="channels:read", out="channels:ChannelOut", query=("invite",),
          responses=ERRORS)
def channel_invite_info(request: Request, principal: Principal, session_id: str) -> Any:
    """A channel's details from its invite link, without following it."""
    return _out(container().channel_service.invite_info(principal, session_id,
                                                 request.query("invite")))


@bp.route(BASE + "/{channel_id}", methods=["GET"])
@endpoint(bp, scope="channels:read", out="channels:ChannelOut", responses=ERRORS)
def channel_info(request: Request, principal: Principal, session_id: str,
                 channel_id: str) -> Any:
    """A channel's details (``channel_id``: <digits>@newsletter)."""
    return _out(container().channel_service.info(principal, session_id, channel_id))


def _follow_route(action: str) -> None:
    """Register ``POST …/channels/{channel_id}/<follow|unfollow>``."""

    def follow(request: Request, principal: Principal, session_id: str,
               channel_id: str) -> Any:
        container().channel_service.follow(principal, session_id, channel_id, action == "follow")
        return {"done": True}

    follow.__name__ = f"{action}_channel"
    follow.__doc__ = f"{action.capitalize()} a channel."
    view = endpoint(bp, scope="channels:write", out="channels:Done",
                    responses={**ERRORS, 409: "channel_owner, session_not_ready"})(follow)
    bp.route(BASE + f"/{{channel_id}}/{action}", methods=["POST"],
             content_types=JSON_TYPES)(view)


for _action in ("follow", "unfollow"):
    _follow_route(_action)


@bp.route(BASE + "/{channel_id}/messages", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="channels:write", body="channels:PostIn", out="messages:Accepted",
          status=202, idempotent=True,
          responses={**SEND_ERRORS, **ERRORS, 403: "not_channel_admin",
                     409: "session_not_ready"})
def post_to_channel(request: Request, principal: Principal, session_id: str,
                    channel_id: str) -> Any:
    """Post to a channel the session owns (or administers): a message to the channel."""
    draft = request.body().draft()
    return _accepted(container().channel_service.post(principal, session_id, channel_id, draft))


@bp.route("/sessions/{session_id}/status", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="status:write", body="channels:StatusIn", out="messages:Accepted",
          status=202, idempotent=True, responses={**SEND_ERRORS, 404: "not_found"})
def post_status(request: Request, principal: Principal, session_id: str) -> Any:
    """Post a status (story): a message to status@broadcast."""
    draft = request.body().status_draft()
    return _accepted(container().status_service.post(principal, session_id, draft))


@bp.route("/sessions/{session_id}/status/{message_id}", methods=["DELETE"])
@endpoint(bp, scope="status:write", out="messages:MessageOut",
          responses={404: "not_found", 409: "not_sent, session_not_ready",
                     503: "session_unavailable", 504: "outcome_unknown"})
def delete_status(request: Request, principal: Principal, session_id: str,
                  message_id: str) -> Any:
    """Delete a status the session posted, for everyone."""
    from chalicelib.api.v1.schemas.messages import MessageOut

    return MessageOut.of(container().status_service.delete(principal, session_id,
                                                            message_id))


@bp.route("/sandbox/sessions/{session_id}/deaf", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="sessions:write", body="channels:DeafIn", out="sandbox:SandboxOut",
          responses={404: "not_found, sandbox_disabled", 409: "not_sandbox",
                     503: "session_unavailable", 504: "outcome_unknown"})
def sandbox_deaf(request: Request, principal: Principal, session_id: str) -> Any:
    """The session's connection goes deaf: it still looks connected but answers no
    self-check and delivers nothing (held for its next connection) until it reconnects.
    The host's self-check finds it and reconnects it (``session.status``)."""
    from chalicelib.api.v1.sandbox import _require_enabled
    from chalicelib.domain.live.liveness import Deaf

    _require_enabled()
    played = container().live.run(principal, session_id, Deaf(deaf=request.body().deaf))
    return played.model_dump(mode="json", exclude_none=True)
