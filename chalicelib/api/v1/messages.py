"""/v1/messages: send and read messages."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import JSON_TYPES, Request, endpoint, json_response, page_json
from chalicelib.api.v1.schemas import SendIn, message_out
from chalicelib.bootstrap import container
from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


@bp.route("/messages", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send")
def send_message(request: Request, principal: Principal) -> Any:
    body = request.body(SendIn)
    message = container().messaging.send_text(principal, body.session_id, body.to, body.text)
    return json_response({"id": message.id, "status": message.status.value,
                          "session_id": message.session_id, "to": message.chat,
                          "created_at": message.created_at}, 202)


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
