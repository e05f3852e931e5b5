"""Groups: ``groupChat/*`` (participants, invite code, leave, subject, description, picture,
admins-only settings) and ``client/createGroup|getCommonGroups|getInviteInfo|acceptInvite``,
live through the session's host (``GroupService``, as ``/v1`` groups)."""

# ruff: noqa: N803 (handlers take the path's own parameter name, sessionId)
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wwebjs import message_bodies as bodies
from chalicelib.api.dialects.wwebjs.message_shapes import (
    group_chat,
    group_metadata,
    participant_json,
)
from chalicelib.api.dialects.wwebjs.profile import connected, router
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live.groups import parse_participant
from chalicelib.services.media import MediaSource
from chalicelib.services.webhook_formats.wwebjs import serialized, wid

if TYPE_CHECKING:
    from chalicelib.domain.live.groups import Group, ParticipantAction
    from chalicelib.domain.sessions import Session

ADDED = (200, "The participant was added to the group successfully")
NOT_ON_WHATSAPP = (404, "The phone number is not registered on WhatsApp")


def _group_id(chat_id: str) -> str:
    """The group's JID; a person's chat is the wrapper's "The chat is not a group" (422)."""
    jid = parse_jid(chat_id, "chatId")
    if not jid.is_group:
        raise ValidationFailed("The chat is not a group",
                               details=[{"field": "chatId", "message": "is not a group"}])
    return str(jid)


def _target(call: Call, sessionId: str) -> tuple[Any, Session, str]:
    body = call.body()
    return body, connected(call, sessionId), _group_id(body.chatId)


def _info(call: Call, session: Session, group_id: str) -> Group:
    return call.services.group_service.info(call.principal, session.id, group_id)


@router.route("POST", "/groupChat/getClassInfo/{sessionId}", scope="groups:read",
              body=bodies.ChatIn)
def group_class_info(call: Call, sessionId: str) -> dict[str, Any]:
    """The group (whatsapp-web.js's ``GroupChat``, with ``groupMetadata``)."""
    _, session, group_id = _target(call, sessionId)
    return {"chat": group_chat(_info(call, session, group_id))}


def _participants(action: ParticipantAction, verb: str) -> None:
    def change(call: Call, sessionId: str) -> dict[str, Any]:
        body, session, group_id = _target(call, sessionId)
        groups = call.services.group_service
        groups.participants(call.principal, session.id, group_id, action, body.contactIds)
        group = _info(call, session, group_id)
        return {"participants": [participant_json(p) for p in group.participants]}

    change.__name__ = f"{action}_participants"
    change.__doc__ = (f"{verb} the people in ``contactIds``; the group's participants "
                      "after the change.")
    router.route("POST", f"/groupChat/{action}Participants/{{sessionId}}",
                 scope="groups:write", body=bodies.ParticipantsIn)(change)


for _action, _verb in (("add", "Add"), ("remove", "Remove"), ("promote", "Make admins of"),
                       ("demote", "Take admin rights from")):
    _participants(_action, _verb)  # type: ignore[arg-type]


@router.route("POST", "/groupChat/getInviteCode/{sessionId}", scope="groups:read",
              body=bodies.ChatIn)
def invite_code(call: Call, sessionId: str) -> dict[str, Any]:
    """The group's invite code (admins only)."""
    _, session, group_id = _target(call, sessionId)
    invite = call.services.group_service.invite(call.principal, session.id, group_id)
    return {"inviteCode": invite.code}


@router.route("POST", "/groupChat/revokeInvite/{sessionId}", scope="groups:write",
              body=bodies.ChatIn)
def revoke_invite(call: Call, sessionId: str) -> dict[str, Any]:
    """Revoke the invite code (the old link stops working); the new one."""
    _, session, group_id = _target(call, sessionId)
    invite = call.services.group_service.invite(call.principal, session.id, group_id,
                                                revoke=True)
    return {"newInviteCode": invite.code}


@router.route("POST", "/groupChat/leave/{sessionId}", scope="groups:write", body=bodies.ChatIn)
def leave(call: Call, sessionId: str) -> dict[str, Any]:
    """Leave the group."""
    _, session, group_id = _target(call, sessionId)
    call.services.group_service.leave(call.principal, session.id, group_id)
    return {}


@router.route("POST", "/groupChat/setSubject/{sessionId}", scope="groups:write",
              body=bodies.SubjectIn)
def set_subject(call: Call, sessionId: str) -> dict[str, Any]:
    """Rename the group; the group after the change."""
    body, session, group_id = _target(call, sessionId)
    group = call.services.group_service.update(call.principal, session.id, group_id,
                                               body.subject, None)
    return {"chat": group_chat(group)}


@router.route("POST", "/groupChat/setDescription/{sessionId}", scope="groups:write",
              body=bodies.DescriptionIn)
def set_description(call: Call, sessionId: str) -> dict[str, Any]:
    """Change the group's description (empty removes it); the group after the change."""
    body, session, group_id = _target(call, sessionId)
    group = call.services.group_service.update(call.principal, session.id, group_id, None,
                                               body.description)
    return {"chat": group_chat(group)}


@router.route("POST", "/groupChat/setInfoAdminsOnly/{sessionId}", scope="groups:write",
              body=bodies.AdminsOnlyIn)
def info_admins_only(call: Call, sessionId: str) -> dict[str, Any]:
    """Only admins edit the group's info (``adminsOnly``, default true)."""
    body, session, group_id = _target(call, sessionId)
    call.services.group_service.settings(call.principal, session.id, group_id, None,
                                         body.adminsOnly)
    return {"result": True}


@router.route("POST", "/groupChat/setMessagesAdminsOnly/{sessionId}", scope="groups:write",
              body=bodies.AdminsOnlyIn)
def messages_admins_only(call: Call, sessionId: str) -> dict[str, Any]:
    """Only admins send messages (``adminsOnly``, default true)."""
    body, session, group_id = _target(call, sessionId)
    call.services.group_service.settings(call.principal, session.id, group_id,
                                         body.adminsOnly, None)
    return {"result": True}


@router.route("POST", "/groupChat/setPicture/{sessionId}", scope="groups:write",
              body=bodies.PictureIn)
def set_picture(call: Call, sessionId: str) -> dict[str, Any]:
    """Set the group's picture: a JPEG in ``pictureData`` (base64)."""
    body, session, group_id = _target(call, sessionId)
    call.services.group_service.set_picture(call.principal, session.id, group_id, MediaSource(
        base64=body.pictureData, mime_type=body.pictureMimetype))
    return {"result": True}


@router.route("POST", "/groupChat/deletePicture/{sessionId}", scope="groups:write",
              body=bodies.ChatIn)
def delete_picture(call: Call, sessionId: str) -> dict[str, Any]:
    """Remove the group's picture."""
    _, session, group_id = _target(call, sessionId)
    call.services.group_service.remove_picture(call.principal, session.id, group_id)
    return {"result": True}


# --- the client's group calls ---

@router.route("POST", "/client/createGroup/{sessionId}", scope="groups:write",
              body=bodies.CreateGroupIn)
def create_group(call: Call, sessionId: str) -> dict[str, Any]:
    """Create a group named ``name`` with ``participants``: whatsapp-web.js's answer, a
    ``statusCode`` per person asked for (404: not on WhatsApp, left out)."""
    body: bodies.CreateGroupIn = call.body()
    session = connected(call, sessionId)
    asked = [str(parse_participant(p, f"participants[{i}]"))
             for i, p in enumerate(body.participants)]
    group = call.services.group_service.create(call.principal, session.id, body.name, asked)
    members = {p.jid for p in group.participants} | {p.phone for p in group.participants}
    people: dict[str, Any] = {}
    for jid in dict.fromkeys(asked):
        code, text = ADDED if jid in members or parse_jid(jid).phone in members \
            else NOT_ON_WHATSAPP
        people[serialized(jid) or jid] = {"statusCode": code, "message": text,
                                   "isGroupCreator": False, "isInviteV4Sent": False}
    return {"response": {"title": group.subject, "gid": wid(group.id),
                         "participants": people}}


@router.route("POST", "/client/getCommonGroups/{sessionId}", scope="groups:read",
              body=bodies.ContactIdIn)
def common_groups(call: Call, sessionId: str) -> dict[str, Any]:
    """The groups the session and ``contactId`` are both in (their ids)."""
    body: bodies.ContactIdIn = call.body()
    session = connected(call, sessionId)
    groups = call.services.group_service.common(call.principal, session.id, body.contactId)
    return {"groups": [wid(g.id) for g in groups]}


@router.route("POST", "/client/getInviteInfo/{sessionId}", scope="groups:read",
              body=bodies.InviteIn)
def invite_info(call: Call, sessionId: str) -> dict[str, Any]:
    """What an invite code leads to, without joining (the group's metadata)."""
    body: bodies.InviteIn = call.body()
    session = connected(call, sessionId)
    group = call.services.group_service.invite_info(call.principal, session.id,
                                                    body.inviteCode)
    return {"inviteInfo": group_metadata(group)}


@router.route("POST", "/client/acceptInvite/{sessionId}", scope="groups:write",
              body=bodies.InviteIn)
def accept_invite(call: Call, sessionId: str) -> dict[str, Any]:
    """Join a group by its invite code; the group's id."""
    body: bodies.InviteIn = call.body()
    session = connected(call, sessionId)
    joined = call.services.group_service.join(call.principal, session.id, body.inviteCode)
    return {"acceptInvite": joined.group_id}
