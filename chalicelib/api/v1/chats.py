"""/v1/sessions/{session_id}/chats: a session's chats (from wagate's store) and what changes
them on WhatsApp; /v1/sandbox/sessions/{session_id}/chats: the sandbox phone changing one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json
from chalicelib.api.v1.sandbox import ERRORS as SANDBOX_ERRORS
from chalicelib.api.v1.sandbox import _require_enabled
from chalicelib.api.v1.sessions import LIVE_ERRORS

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
BAD_ID = {422: "validation_failed (details name chat_id or label_id: not a phone number, "
               "JID or label id)"}
LIVE = {**LIVE_ERRORS, **BAD_ID, 501: "not_supported (the session's engine cannot do this)"}
CHAT = "/sessions/{session_id}/chats/{chat_id}"


def _chat(chat: Any) -> Any:
    from chalicelib.api.v1.schemas.chats import ChatOut
    from chalicelib.domain import clock

    return ChatOut.of(chat, clock.now())


def _flag(request: Request, name: str) -> bool | None:
    """A true/false query parameter (absent: None)."""
    from chalicelib.domain.errors import ValidationFailed

    value = request.query(name)
    if value is None or value == "":
        return None
    if value not in ("true", "false"):
        raise ValidationFailed.field(name, "must be true or false")
    return value == "true"


@bp.route("/sessions/{session_id}/chats", methods=["GET"])
@endpoint(bp, scope="chats:read", out="chats:Page[ChatOut]",
          query=("limit", "cursor", "archived", "pinned", "unread"))
def list_chats(request: Request, principal: Principal, session_id: str) -> dict[str, Any]:
    """The session's chats, latest activity first: last message, unread count, archived,
    pinned, muted, labels (from wagate's store: works whatever the session's state)."""
    limit, cursor = request.page_args()
    page = container().chat_service.list(principal, session_id, limit, cursor,
                                  archived=_flag(request, "archived"),
                                  pinned=_flag(request, "pinned"),
                                  unread=_flag(request, "unread"))
    return page_json(page, _chat)


@bp.route(CHAT, methods=["GET"])
@endpoint(bp, scope="chats:read", out="chats:ChatOut", responses=BAD_ID)
def get_chat(request: Request, principal: Principal, session_id: str, chat_id: str) -> Any:
    """One chat (``chat_id``: a phone number or JID)."""
    return _chat(container().chat_service.get(principal, session_id, chat_id))


@bp.route(CHAT + "/messages", methods=["GET"])
@endpoint(bp, scope="chats:read", out="messages:Page[MessageOut]", query=("limit", "cursor"))
def chat_messages(request: Request, principal: Principal, session_id: str,
                  chat_id: str) -> dict[str, Any]:
    """The chat's messages in wagate's store, newest first (since the chat was last cleared
    or deleted; history imported after pairing included)."""
    from chalicelib.api.v1.schemas.messages import MessageOut

    limit, cursor = request.page_args()
    page = container().chat_service.messages(principal, session_id, chat_id, limit, cursor)
    return page_json(page, MessageOut.of)


@bp.route(CHAT, methods=["DELETE"])
@endpoint(bp, scope="chats:write", out="chats:ChatDeleted", responses=LIVE)
def delete_chat(request: Request, principal: Principal, session_id: str, chat_id: str) -> Any:
    """Delete the chat on WhatsApp. wagate keeps its messages (``/v1/messages``) but the
    chat leaves the chat list until its next message, and its message list starts afresh."""
    return {"id": container().chat_service.delete(principal, session_id, chat_id), "deleted": True}


_ACTIONS = {
    "read": "Mark the chat read (read receipts for its latest unread messages); its unread "
            "count becomes 0.",
    "unread": "Mark the chat unread (WhatsApp shows its unread badge); its unread count is "
              "at least 1.",
    "archive": "Archive the chat.",
    "unarchive": "Take the chat out of the archive.",
    "pin": "Pin the chat.",
    "unpin": "Unpin the chat.",
    "unmute": "Unmute the chat.",
    "clear": "Clear the chat's messages on WhatsApp. wagate keeps its message records "
             "(/v1/messages); the chat's own message list starts afresh.",
}


def _action(action: str) -> None:
    """Register ``POST …/chats/{chat_id}/<action>``."""

    def change(request: Request, principal: Principal, session_id: str, chat_id: str) -> Any:
        service = container().chat_service
        if action == "read":
            chat = service.read(principal, session_id, chat_id)
        elif action == "unread":
            chat = service.unread(principal, session_id, chat_id)
        elif action in ("archive", "unarchive"):
            chat = service.archive(principal, session_id, chat_id, action == "archive")
        elif action in ("pin", "unpin"):
            chat = service.pin(principal, session_id, chat_id, action == "pin")
        elif action == "unmute":
            chat = service.unmute(principal, session_id, chat_id)
        else:
            chat = service.clear(principal, session_id, chat_id)
        return _chat(chat)

    change.__name__ = f"{action}_chat"
    change.__doc__ = _ACTIONS[action]
    view = endpoint(bp, scope="chats:write", out="chats:ChatOut", responses=LIVE)(change)
    bp.route(f"{CHAT}/{action}", methods=["POST"], content_types=JSON_TYPES)(view)


for _name in _ACTIONS:
    _action(_name)


@bp.route(CHAT + "/mute", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="chats:write", body="chats:MuteIn", out="chats:ChatOut", responses=LIVE)
def mute_chat(request: Request, principal: Principal, session_id: str, chat_id: str) -> Any:
    """Mute the chat until ``until`` (at most 366 days ahead), or forever."""
    body = request.body()
    return _chat(container().chat_service.mute(principal, session_id, chat_id, body.until))


@bp.route(CHAT + "/state", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="chats:write", body="chats:ChatStateIn", out="chats:ChatDone",
          responses=LIVE)
def chat_state(request: Request, principal: Principal, session_id: str, chat_id: str) -> Any:
    """Show "typing…" or "recording audio…" in the chat, or stop showing it (``paused``)."""
    body = request.body()
    return {"id": container().chat_service.state(principal, session_id, chat_id, body.state),
            "done": True}


@bp.route("/sandbox/sessions/{session_id}/chats/{chat_id}/change", methods=["POST"],
          content_types=JSON_TYPES)
@endpoint(bp, scope="chats:write", body="chats:PhoneChatChangeIn", out="sandbox:SandboxOut",
          responses={**SANDBOX_ERRORS, **BAD_ID})
def phone_changes_chat(request: Request, principal: Principal, session_id: str,
                       chat_id: str) -> Any:
    """The sandbox phone's owner archives, pins, mutes or marks read a chat (arrives as
    WhatsApp reports it)."""
    from chalicelib.domain import clock
    from chalicelib.domain.live.chats import PhoneChangesChat
    from chalicelib.services.chats import chat_jid

    _require_enabled()
    body = request.body()
    jid = chat_jid(chat_id)
    until = body.muted_until
    played = container().live.run(principal, session_id, PhoneChangesChat(
        chat=jid, archived=body.archived, pinned=body.pinned,
        muted_until=until if until is None or isinstance(until, str) else clock.iso(until),
        unmuted=body.unmuted, read=body.read))
    return played.model_dump(mode="json", exclude_none=True)
