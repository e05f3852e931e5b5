"""Groups: every operation live through the session's host (nothing is stored); ids, numbers
and invite links are checked here before anything is asked of WhatsApp."""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live import Done, LiveOp, LiveResult
from chalicelib.domain.live.groups import (
    PICTURE_MAX_BYTES,
    ChangeParticipants,
    CreateGroup,
    GetGroup,
    GetInvite,
    Group,
    GroupPlayed,
    Groups,
    Invite,
    InviteInfo,
    Joined,
    JoinGroup,
    LeaveGroup,
    ListGroups,
    ParticipantAction,
    ParticipantsChanged,
    PictureSet,
    PlayGroup,
    RemoveGroupPicture,
    SetGroupPicture,
    SetGroupSettings,
    UpdateGroup,
    parse_group_id,
    parse_invite,
    parse_participant,
)
from chalicelib.domain.paging import Page, page_of
from chalicelib.services.live import LiveService
from chalicelib.services.media import MediaService, MediaSource

R = TypeVar("R", bound=LiveResult)


class GroupService:
    def __init__(self, live: LiveService, media: MediaService) -> None:
        self._live = live
        self._media = media

    def _run(self, caller: Principal, session_id: str, op: LiveOp, result: type[R]) -> R:
        answer = self._live.run(caller, session_id, op)
        assert isinstance(answer, result)  # (the fleet validates it as op.RESULT)
        return answer

    def create(self, caller: Principal, session_id: str, subject: str,
               participants: list[str]) -> Group:
        return self._run(caller, session_id, CreateGroup(
            subject=subject, participants=_people(participants, "participants")), Group)

    def list(self, caller: Principal, session_id: str, limit: int,
             cursor: str | None) -> Page:
        """The groups the session is in, by id, a page at a time (WhatsApp answers them all
        at once: the cursor is the last id of the previous page)."""
        groups = self._run(caller, session_id, ListGroups(), Groups).groups
        return page_of(groups, lambda g: g.id, limit, cursor, caller.tenant_id, session_id)

    def common(self, caller: Principal, session_id: str, person: str) -> list[Group]:
        """The session's groups that ``person`` (a number, phone JID or LID) is in too."""
        jid = parse_participant(person, "participant")
        phone = jid.phone
        return [g for g in self._run(caller, session_id, ListGroups(), Groups).groups
                if any(p.jid == str(jid) or p.lid == str(jid) or (phone and p.phone == phone)
                       for p in g.participants)]

    def info(self, caller: Principal, session_id: str, group_id: str) -> Group:
        return self._run(caller, session_id, GetGroup(group_id=_group(group_id)), Group)

    def update(self, caller: Principal, session_id: str, group_id: str,
               subject: str | None, description: str | None) -> Group:
        gid = _group(group_id)
        if subject is None and description is None:
            raise ValidationFailed.field("body", "give a subject or a description")
        return self._run(caller, session_id, UpdateGroup(group_id=gid, subject=subject,
                                                         description=description), Group)

    def settings(self, caller: Principal, session_id: str, group_id: str,
                 announce: bool | None, locked: bool | None) -> Group:
        gid = _group(group_id)
        if announce is None and locked is None:
            raise ValidationFailed.field("body", "give announce or locked")
        return self._run(caller, session_id, SetGroupSettings(group_id=gid, announce=announce,
                                                              locked=locked), Group)

    def set_picture(self, caller: Principal, session_id: str, group_id: str,
                    source: MediaSource) -> PictureSet:
        """A JPEG from a URL or base64 (fetched and checked as any media) as the picture."""
        gid = _group(group_id)
        self._live.session(caller, session_id)  # 404 before fetching anything
        data, mime_type, _ = self._media.load("image", source, "picture")
        if mime_type != "image/jpeg":
            raise ValidationFailed.field("picture", f"must be a JPEG image; this is {mime_type}")
        if len(data) > PICTURE_MAX_BYTES:
            raise ValidationFailed.field("picture", f"may have at most {PICTURE_MAX_BYTES} "
                                                    f"bytes; this has {len(data)}")
        return self._run(caller, session_id, SetGroupPicture(
            group_id=gid, jpeg_base64=base64.b64encode(data).decode()), PictureSet)

    def remove_picture(self, caller: Principal, session_id: str, group_id: str) -> Done:
        return self._run(caller, session_id, RemoveGroupPicture(group_id=_group(group_id)),
                         Done)

    def participants(self, caller: Principal, session_id: str, group_id: str,
                     action: ParticipantAction, numbers: list[str]) -> ParticipantsChanged:
        gid = _group(group_id)
        return self._run(caller, session_id, ChangeParticipants(
            group_id=gid, action=action, participants=_people(numbers, "participants")),
            ParticipantsChanged)

    def invite(self, caller: Principal, session_id: str, group_id: str,
               revoke: bool = False) -> Invite:
        return self._run(caller, session_id, GetInvite(group_id=_group(group_id),
                                                       revoke=revoke), Invite)

    def join(self, caller: Principal, session_id: str, invite: str) -> Joined:
        return self._run(caller, session_id, JoinGroup(code=parse_invite(invite)), Joined)

    def invite_info(self, caller: Principal, session_id: str, invite: str) -> Group:
        return self._run(caller, session_id, InviteInfo(code=parse_invite(invite)), Group)

    def leave(self, caller: Principal, session_id: str, group_id: str) -> Done:
        return self._run(caller, session_id, LeaveGroup(group_id=_group(group_id)), Done)

    def play(self, caller: Principal, session_id: str, **args: Any) -> GroupPlayed:
        """The sandbox: someone else acts in a group (domain.live.groups.PlayGroup)."""
        by = parse_jid(args.pop("by"), "by")
        if not by.is_user:
            raise ValidationFailed.field("by", "must be a phone number")
        if args.get("group_id") is not None:
            args["group_id"] = _group(args["group_id"], "group_id")
        args["participants"] = _people(args.get("participants") or [], "participants")
        return self._run(caller, session_id, PlayGroup(by=str(by), **args), GroupPlayed)


def _group(raw: str, field: str = "group_id") -> str:
    return str(parse_group_id(raw, field))


def _people(raw: list[str], field: str) -> list[str]:
    """Numbers or JIDs as JIDs, each checked (422 naming its index), duplicates dropped."""
    return list(dict.fromkeys(str(parse_participant(p, f"{field}[{i}]"))
                              for i, p in enumerate(raw)))
