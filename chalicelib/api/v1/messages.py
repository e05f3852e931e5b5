"""/v1/messages: send every kind of message, read, cancel, forward, edit, delete, star."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
SEND_ERRORS = {409: "session_not_ready, idempotency_key_in_progress", 422: "too_large",
               429: "quota_exceeded", 503: "queue_unavailable"}
ACT_ERRORS = {409: "not_sent, not_own_message, not_editable, session_not_ready",
              503: "session_unavailable", 504: "outcome_unknown"}
# Served inline only when a browser cannot run them as a page; everything else downloads.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4",
                          "video/3gpp", "audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac",
                          "audio/amr"})


def _accepted(message: Any) -> Any:
    from chalicelib.api.v1.schemas.messages import Accepted

    return Accepted.of(message)


def _out(message: Any) -> Any:
    from chalicelib.api.v1.schemas.messages import MessageOut

    return MessageOut.of(message)


@bp.route("/messages", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", body="messages:SendIn", out="messages:Accepted",
          status=202, idempotent=True, responses=SEND_ERRORS)
def send_message(request: Request, principal: Principal) -> Any:
    """Send a message of any type. It is accepted (202) and sent once, in the background;
    follow it with GET /v1/messages/{id} or the ``message.status`` webhook."""
    return _accepted(container().messaging.send(principal, request.body().draft()))


@bp.route("/messages", methods=["GET"])
@endpoint(bp, scope="messages:read", out="messages:Page[MessageOut]",
          query=("limit", "cursor", "session_id", "chat", "q"))
def list_messages(request: Request, principal: Principal) -> dict[str, Any]:
    """Messages, newest first (of a session, or of one chat of a session). ``q``: only those
    whose text contains it (case-insensitive), among the newest 1,000; one page."""
    limit, cursor = request.page_args()
    query = request.query("q")
    if query is not None:
        from chalicelib.domain.paging import Page

        found = container().messaging.search(principal, request.query("session_id"), query,
                                             request.query("chat"), limit)
        return page_json(Page(items=found), _out)
    page = container().messaging.list(principal, request.query("session_id"),
                                      request.query("chat"), limit, cursor)
    return page_json(page, _out)


@bp.route("/messages/{message_id}", methods=["GET"])
@endpoint(bp, scope="messages:read", out="messages:MessageOut")
def get_message(request: Request, principal: Principal, message_id: str) -> Any:
    """One message with its status history."""
    return _out(container().messaging.get(principal, message_id))


@bp.route("/messages/{message_id}", methods=["DELETE"])
@endpoint(bp, scope="messages:send", out="messages:MessageOut",
          responses={409: "not_cancelable"})
def cancel_message(request: Request, principal: Principal, message_id: str) -> Any:
    """Cancel a queued or scheduled message (it will not be sent)."""
    return _out(container().messaging.cancel(principal, message_id))


@bp.route("/messages/{message_id}/forward", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", body="messages:ForwardIn", out="messages:Accepted",
          status=202, idempotent=True, responses=SEND_ERRORS)
def forward_message(request: Request, principal: Principal, message_id: str) -> Any:
    """Send a message's content again, to another chat."""
    body = request.body()
    return _accepted(container().messaging.forward(principal, message_id, body.to,
                                                   body.session_id))


@bp.route("/messages/{message_id}/edit", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", body="messages:EditIn", out="messages:MessageOut",
          responses=ACT_ERRORS)
def edit_message(request: Request, principal: Principal, message_id: str) -> Any:
    """Replace the text of a message this session sent."""
    text = request.body().text
    return _out(container().messaging.act(principal, message_id, "edit", {"text": text}))


@bp.route("/messages/{message_id}/revoke", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", out="messages:MessageOut", responses=ACT_ERRORS)
def revoke_message(request: Request, principal: Principal, message_id: str) -> Any:
    """Delete a sent message for everyone."""
    return _out(container().messaging.act(principal, message_id, "revoke", {}))


@bp.route("/messages/{message_id}/star", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="messages:send", body="messages:StarIn", out="messages:MessageOut",
          responses=ACT_ERRORS)
def star_message(request: Request, principal: Principal, message_id: str) -> Any:
    """Star or unstar a message (on the linked phone too)."""
    starred = request.body().starred
    return _out(container().messaging.act(principal, message_id, "star",
                                          {"starred": starred}))


@bp.route("/messages/{message_id}/media", methods=["GET"])
@endpoint(bp, scope="messages:read", produces=("*/*",), responses={302: "a download link"})
def message_media(request: Request, principal: Principal, message_id: str) -> Response:
    """The message's media file (large files: a redirect to a short-lived link). Types a
    browser could run as a page are served as downloads."""
    from urllib.parse import quote

    media, payload = container().messaging.media(principal, message_id)
    if isinstance(payload, str):  # too large to pass through the API: a short-lived link
        return Response(body="", status_code=302, headers={"Location": payload})
    name = quote(media.filename or message_id, safe="")
    inline = media.mime_type in INLINE_TYPES
    return Response(body=payload, status_code=200, headers={
        "Content-Type": media.mime_type if inline else "application/octet-stream",
        "Content-Length": str(media.size),
        "Content-Disposition": f"{'inline' if inline else 'attachment'}; "
                               f"filename*=UTF-8''{name}",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store"})
