"""``/client/*`` on labels (WhatsApp Business): the labels, one label, a chat's labels, the
chats of a label, and ``addOrRemoveLabels``, which leaves each chat with exactly the labels
given (as whatsapp-web.js does: the given ones added, every other one taken off)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wwebjs import shapes
from chalicelib.api.dialects.wwebjs.bodies import ChatIdBody, LabelIdBody, LabelsBody
from chalicelib.api.dialects.wwebjs.client import all_chats, chat_id, stored_chat
from chalicelib.api.dialects.wwebjs.profile import connected, route
from chalicelib.domain.chats import StoredLabel
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.live.labels import LABELS_MAX
from chalicelib.domain.paging import collect
from chalicelib.domain.sessions import Session
from chalicelib.services.chats import chat_jid
from chalicelib.services.labels import label_id

LABEL_NOT_FOUND = "Label not Found"


def _labels(call: Call, session: Session) -> list[StoredLabel]:
    return collect(lambda cursor: call.services.label_service.list(
        call.principal, session.id, 100, cursor), LABELS_MAX)


def _label_id(raw: str | int, field: str) -> str:
    try:
        return label_id(str(raw))
    except ValidationFailed:
        raise ValidationFailed.field(field, "is not a label id") from None


def _label(call: Call, session: Session, raw: str | int) -> StoredLabel:
    try:
        return call.services.label_service.get(call.principal, session.id,
                                               _label_id(raw, "labelId"))
    except NotFound:
        raise NotFound(LABEL_NOT_FOUND) from None


@route("POST", "/client/getLabels/{sessionId}", scope="chats:read")
def get_labels(call: Call, session_id: str) -> dict[str, Any]:
    """The account's labels (``{id, name, hexColor}``)."""
    session = connected(call, session_id)
    return {"labels": [shapes.label_json(label) for label in _labels(call, session)]}


@route("POST", "/client/getLabelById/{sessionId}", scope="chats:read", body=LabelIdBody)
def get_label_by_id(call: Call, session_id: str) -> dict[str, Any]:
    """One label (404 ``Label not Found``)."""
    session = connected(call, session_id)
    return {"label": shapes.label_json(_label(call, session, call.body().label_id))}


@route("POST", "/client/getChatLabels/{sessionId}", scope="chats:read", body=ChatIdBody)
def get_chat_labels(call: Call, session_id: str) -> dict[str, Any]:
    """The labels on a chat (404 ``Chat not Found``)."""
    session = connected(call, session_id)
    chat = stored_chat(call, session, chat_id(call.body().chat_id))
    labels = {label.id: label for label in _labels(call, session)}
    return {"chatLabels": [shapes.label_json(labels[i]) for i in chat.labels if i in labels]}


@route("POST", "/client/getChatsByLabelId/{sessionId}", scope="chats:read", body=LabelIdBody)
def get_chats_by_label_id(call: Call, session_id: str) -> dict[str, Any]:
    """The chats carrying the label, latest activity first (404 ``Label not Found``)."""
    session = connected(call, session_id)
    label = _label(call, session, call.body().label_id)
    return {"chats": all_chats(call, session, label=label.id)}


@route("POST", "/client/addOrRemoveLabels/{sessionId}", scope="chats:write", body=LabelsBody)
def add_or_remove_labels(call: Call, session_id: str) -> dict[str, Any]:
    """Leave each chat of ``chatIds`` with exactly the labels of ``labelIds`` (an empty list
    takes every label off). Every id is checked before anything changes."""
    session = connected(call, session_id)
    body = call.body()
    known = {label.id for label in _labels(call, session)}
    wanted = []
    for index, raw in enumerate(body.label_ids):
        wanted_id = _label_id(raw, f"labelIds[{index}]")
        if wanted_id not in known:
            raise NotFound(LABEL_NOT_FOUND)
        wanted.append(wanted_id)
    jids = [chat_jid(raw, f"chatIds[{index}]") for index, raw in enumerate(body.chat_ids)]
    service = call.services.label_service
    for jid in dict.fromkeys(jids):
        try:
            current = set(call.services.chat_service.get(call.principal, session.id, jid).labels)
        except NotFound:
            current = set()
        for label in dict.fromkeys(wanted):
            if label not in current:
                service.label_chat(call.principal, session.id, jid, label, True)
        for label in sorted((current & known) - set(wanted)):
            service.label_chat(call.principal, session.id, jid, label, False)
    return {}
