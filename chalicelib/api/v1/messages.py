"""/v1/messages: send every kind of message, read, cancel, forward, edit, delete, star."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.http import JSON_TYPES, Request, endpoint, json_response, page_json
from chalicelib.api.v1.schemas import EditIn, ForwardIn, SendIn, StarIn, message_out
from chalicelib.bootstrap import container
from chalicelib.domain.auth import Principal
from chalicelib.domain.messages import Message

bp = Blueprint(__name__)


def _accepted(message: Message) -> Response:
    return json_response({"id": message.id, "status": message.status.value,
                          "type": message.type, "session_id": message.session_id,
                          "to": message.chat, "priority": message.priority.value,
                          "schedule_at": message.schedule_at, "expires_at": message.expires_at,
                          "created_at": message.created_at}, 202)


@bp.route("/messages", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", idempotent=True)
def send_message(request: Request, principal: Principal) -> Any:
    draft = request.body(SendIn).draft()
    return _accepted(container().messaging.send(principal, draft))


@bp.route("/messages", methods=["GET"])
@endpoint(bp, scope="messages:read")
def list_messages(request: Request, principal: Principal) -> dict[str, Any]:
    limit, cursor = request.page_args()
    page = container().messaging.list(principal, request.query("session_id"),
                                      request.query("chat"), limit, cursor)
    return page_json(page, message_out)


@bp.route("/messages/{message_id}", methods=["GET"])
@endpoint(bp, scope="messages:read")
def get_message(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    return message_out(container().messaging.get(principal, message_id))


@bp.route("/messages/{message_id}", methods=["DELETE"])
@endpoint(bp, scope="messages:send")
def cancel_message(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    """Cancel a queued or scheduled message (it will not be sent)."""
    return message_out(container().messaging.cancel(principal, message_id))


@bp.route("/messages/{message_id}/forward", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", idempotent=True)
def forward_message(request: Request, principal: Principal, message_id: str) -> Any:
    body = request.body(ForwardIn)
    return _accepted(container().messaging.forward(principal, message_id, body.to,
                                                   body.session_id))


@bp.route("/messages/{message_id}/edit", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send")
def edit_message(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    text = request.body(EditIn).text
    return message_out(container().messaging.act(principal, message_id, "edit", {"text": text}))


@bp.route("/messages/{message_id}/revoke", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send")
def revoke_message(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    """Delete a sent message for everyone."""
    return message_out(container().messaging.act(principal, message_id, "revoke", {}))


@bp.route("/messages/{message_id}/star", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send")
def star_message(request: Request, principal: Principal, message_id: str) -> dict[str, Any]:
    starred = request.body(StarIn).starred
    return message_out(container().messaging.act(principal, message_id, "star",
                                                 {"starred": starred}))


@bp.route("/messages/{message_id}/media", methods=["GET"])
@endpoint(bp, scope="messages:read")
def message_media(request: Request, principal: Principal, message_id: str) -> Response:
    media, payload = container().messaging.media(principal, message_id)
    if isinstance(payload, str):  # too large to pass through the API: a short-lived link
        return Response(body="", status_code=302, headers={"Location": payload})
    return Response(body=payload, status_code=200, headers={
        "Content-Type": media.mime_type, "Content-Length": str(media.size),
        "Content-Disposition": f'inline; filename="{media.filename or message_id}"'})
