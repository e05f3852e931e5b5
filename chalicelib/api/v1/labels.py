"""/v1/sessions/{session_id}/labels: a session's labels (WhatsApp Business), on chats too;
/v1/sandbox/sessions/{session_id}/labels: the sandbox phone changing them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json
from chalicelib.api.v1.chats import BAD_ID, LIVE, _chat
from chalicelib.api.v1.sandbox import ERRORS as SANDBOX_ERRORS
from chalicelib.api.v1.sandbox import _require_enabled

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
LABEL = "/sessions/{session_id}/labels/{label_id}"
CHAT_LABEL = "/sessions/{session_id}/chats/{chat_id}/labels/{label_id}"


def _label(label: Any) -> Any:
    from chalicelib.api.v1.schemas.labels import LabelOut

    return LabelOut.of(label)


@bp.route("/sessions/{session_id}/labels", methods=["GET"])
@endpoint(bp, scope="chats:read", out="labels:Page[LabelOut]", query=("limit", "cursor"))
def list_labels(request: Request, principal: Principal, session_id: str) -> Any:
    """The session's labels (from wagate's store), by id."""
    limit, cursor = request.page_args()
    return page_json(container().label_service.list(principal, session_id, limit, cursor),
                     _label)


@bp.route("/sessions/{session_id}/labels", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="chats:write", body="labels:LabelIn", out="labels:LabelOut", status=201,
          responses={**LIVE, 409: "session_not_ready, label_limit"})
def create_label(request: Request, principal: Principal, session_id: str) -> Any:
    """Create a label on WhatsApp (``label.created``)."""
    body = request.body()
    return _label(container().label_service.create(principal, session_id, body.name, body.color))


@bp.route(LABEL, methods=["GET"])
@endpoint(bp, scope="chats:read", out="labels:LabelOut", responses=BAD_ID)
def get_label(request: Request, principal: Principal, session_id: str, label_id: str) -> Any:
    """One label."""
    return _label(container().label_service.get(principal, session_id, label_id))


@bp.route(LABEL, methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="chats:write", body="labels:LabelPatch", out="labels:LabelOut",
          responses=LIVE)
def update_label(request: Request, principal: Principal, session_id: str, label_id: str) -> Any:
    """Rename or recolor a label (``label.updated``)."""
    body = request.body()
    return _label(container().label_service.update(principal, session_id, label_id, body.name,
                                            body.color))


@bp.route(LABEL, methods=["DELETE"])
@endpoint(bp, scope="chats:write", out="labels:LabelDeleted", responses=LIVE)
def delete_label(request: Request, principal: Principal, session_id: str, label_id: str) -> Any:
    """Delete a label; it leaves every chat (``label.deleted``)."""
    label = container().label_service.delete(principal, session_id, label_id)
    return {"id": label.id, "deleted": True}


@bp.route(LABEL + "/chats", methods=["GET"])
@endpoint(bp, scope="chats:read", out="chats:Page[ChatOut]", query=("limit", "cursor"),
          responses=BAD_ID)
def label_chats(request: Request, principal: Principal, session_id: str,
                label_id: str) -> dict[str, Any]:
    """The chats carrying the label, latest activity first."""
    limit, cursor = request.page_args()
    page = container().label_service.chats(principal, session_id, label_id, limit, cursor)
    return page_json(page, _chat)


def _label_chat(principal: Principal, session_id: str, chat_id: str, label_id: str,
                on: bool) -> Any:
    from chalicelib.services.chats import chat_jid

    container().label_service.label_chat(principal, session_id, chat_id, label_id, on)
    return {"label_id": label_id, "chat": chat_jid(chat_id), "labeled": on}


@bp.route(CHAT_LABEL, methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="chats:write", out="labels:LabelChatDone", responses=LIVE)
def add_chat_label(request: Request, principal: Principal, session_id: str, chat_id: str,
                   label_id: str) -> Any:
    """Put the label on the chat (``label.chat_added``)."""
    return _label_chat(principal, session_id, chat_id, label_id, True)


@bp.route(CHAT_LABEL, methods=["DELETE"])
@endpoint(bp, scope="chats:write", out="labels:LabelChatDone", responses=LIVE)
def remove_chat_label(request: Request, principal: Principal, session_id: str, chat_id: str,
                      label_id: str) -> Any:
    """Take the label off the chat (``label.chat_removed``)."""
    return _label_chat(principal, session_id, chat_id, label_id, False)


@bp.route("/sandbox/sessions/{session_id}/labels", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="chats:write", body="labels:PhoneLabelIn", out="sandbox:SandboxOut",
          responses={**SANDBOX_ERRORS, **BAD_ID})
def phone_changes_label(request: Request, principal: Principal, session_id: str) -> Any:
    """The sandbox phone's owner creates (no ``id``), edits or deletes a label."""
    from chalicelib.domain.live.labels import PhoneChangesLabel
    from chalicelib.services.labels import label_id

    _require_enabled()
    body = request.body()
    played = container().live.run(principal, session_id, PhoneChangesLabel(
        id=label_id(body.id) if body.id is not None else None, name=body.name,
        color=body.color, deleted=body.deleted))
    return played.model_dump(mode="json", exclude_none=True)


def _phone_labels_chat(principal: Principal, session_id: str, chat_id: str, label_id: str,
                       on: bool) -> Any:
    from chalicelib.domain.live.labels import PhoneLabelsChat
    from chalicelib.services.chats import chat_jid
    from chalicelib.services.labels import label_id as checked

    _require_enabled()
    played = container().live.run(principal, session_id, PhoneLabelsChat(
        id=checked(label_id), chat=chat_jid(chat_id), on=on))
    return played.model_dump(mode="json", exclude_none=True)


PHONE_CHAT_LABEL = "/sandbox/sessions/{session_id}/chats/{chat_id}/labels/{label_id}"


@bp.route(PHONE_CHAT_LABEL, methods=["PUT"], content_types=JSON_TYPES)
@endpoint(bp, scope="chats:write", out="sandbox:SandboxOut",
          responses={**SANDBOX_ERRORS, **BAD_ID})
def phone_labels_chat(request: Request, principal: Principal, session_id: str, chat_id: str,
                      label_id: str) -> Any:
    """The sandbox phone's owner puts a label on a chat."""
    return _phone_labels_chat(principal, session_id, chat_id, label_id, True)


@bp.route(PHONE_CHAT_LABEL, methods=["DELETE"])
@endpoint(bp, scope="chats:write", out="sandbox:SandboxOut",
          responses={**SANDBOX_ERRORS, **BAD_ID})
def phone_unlabels_chat(request: Request, principal: Principal, session_id: str, chat_id: str,
                        label_id: str) -> Any:
    """The sandbox phone's owner takes a label off a chat."""
    return _phone_labels_chat(principal, session_id, chat_id, label_id, False)
