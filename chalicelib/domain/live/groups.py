"""Live operations on groups: create, list, read, edit, participants, invite links, join and
leave; what engines report about groups (``groups.*`` updates); and the sandbox's play of
"someone else" acting in a group. Group ids and invite links are checked here, once."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.jids import LID_SERVER, USER_SERVER, Jid, parse_jid
from chalicelib.domain.live import Done, LiveOp, LiveResult, LiveUpdate
from chalicelib.domain.live.sandbox import Played, SandboxOp

MAX_PARTICIPANTS = 100  # numbers per create or participants call
SUBJECT_MAX = 100  # WhatsApp's own limit on a group's subject
DESCRIPTION_MAX = 2048  # and on its description
PICTURE_MAX_BYTES = 2 * 1024 * 1024  # a group picture (JPEG); WhatsApp's are far smaller
INVITE_PREFIX = "https://chat.whatsapp.com/"
ParticipantAction = Literal["add", "remove", "promote", "demote"]
_INVITE = re.compile(r"(?:(?:https?://)?chat\.whatsapp\.com/(?:invite/)?)?([A-Za-z0-9]{10,40})/?",
                     re.ASCII | re.IGNORECASE)


def parse_group_id(raw: str, field: str = "group_id") -> Jid:
    """A group's JID (``<digits>@g.us`` or ``<digits>-<digits>@g.us``), else 422 on ``field``."""
    text = (raw or "").strip()
    if "@" not in text:
        raise ValidationFailed.field(field, "must be a group id, e.g. 120363025246125888@g.us")
    jid = parse_jid(text, field)
    if not jid.is_group:
        raise ValidationFailed.field(field, "must be a group id (…@g.us)")
    return jid


def parse_invite(raw: str, field: str = "invite") -> str:
    """The code of an invite link (``https://chat.whatsapp.com/<code>``, or the code alone),
    else 422 on ``field``."""
    match = _INVITE.fullmatch((raw or "").strip())
    if match is None:
        raise ValidationFailed.field(field, f"must be an invite link ({INVITE_PREFIX}<code>) "
                                            "or its code")
    return match.group(1)


def parse_participant(raw: str, field: str) -> Jid:
    """A person to add to (or act on in) a group: a number or a phone or LID JID."""
    jid = parse_jid(raw, field)
    if jid.server not in (LID_SERVER, USER_SERVER):
        raise ValidationFailed.field(field, "must be a phone number or a person's JID")
    return jid


def invite_link(code: str) -> str:
    return INVITE_PREFIX + code


# --- results ---

class Participant(LiveResult):
    jid: str
    phone: str | None = None  # E.164, when known
    lid: str | None = None
    admin: bool = False
    superadmin: bool = False  # the group's creator (owner)


class Group(LiveResult):
    id: str
    subject: str
    description: str | None = None
    owner: str | None = None
    created_at: datetime | None = None
    announce: bool = False  # only admins send messages
    locked: bool = False  # only admins edit the group's info
    participants: list[Participant] = Field(default_factory=list)


class Groups(LiveResult):
    groups: list[Group]


class ParticipantOutcome(LiveResult):
    jid: str
    ok: bool
    reason: str | None = None  # why not, when not ok


class ParticipantsChanged(LiveResult):
    action: ParticipantAction
    results: list[ParticipantOutcome]


class Invite(LiveResult):
    code: str
    invite: str  # the link


class Joined(LiveResult):
    group_id: str


class PictureSet(LiveResult):
    picture_id: str | None = None


# --- operations (JIDs already normalized by the service) ---

class CreateGroup(LiveOp):
    OP = "groups.create"
    RESULT = Group

    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    participants: list[str] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)


class ListGroups(LiveOp):
    """Every group the session is in (without their participants' details)."""

    OP = "groups.list"
    RESULT = Groups


class GetGroup(LiveOp):
    OP = "groups.info"
    RESULT = Group

    group_id: str


class UpdateGroup(LiveOp):
    """Change the subject and/or the description (empty: remove it)."""

    OP = "groups.update"
    RESULT = Group

    group_id: str
    subject: str | None = Field(default=None, min_length=1, max_length=SUBJECT_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)


class SetGroupSettings(LiveOp):
    OP = "groups.settings"
    RESULT = Group

    group_id: str
    announce: bool | None = None
    locked: bool | None = None


class SetGroupPicture(LiveOp):
    OP = "groups.picture_set"
    RESULT = PictureSet

    group_id: str
    jpeg_base64: str = Field(max_length=(PICTURE_MAX_BYTES + 2) // 3 * 4)


class RemoveGroupPicture(LiveOp):
    OP = "groups.picture_remove"
    RESULT = Done

    group_id: str


class ChangeParticipants(LiveOp):
    OP = "groups.participants"
    RESULT = ParticipantsChanged

    group_id: str
    action: ParticipantAction
    participants: list[str] = Field(min_length=1, max_length=MAX_PARTICIPANTS)


class GetInvite(LiveOp):
    """The group's invite link; with ``revoke``, a new one (the old stops working)."""

    OP = "groups.invite"
    RESULT = Invite

    group_id: str
    revoke: bool = False


class JoinGroup(LiveOp):
    OP = "groups.join"
    RESULT = Joined

    code: str


class InviteInfo(LiveOp):
    """What an invite link leads to, without joining."""

    OP = "groups.invite_info"
    RESULT = Group

    code: str


class LeaveGroup(LiveOp):
    OP = "groups.leave"
    RESULT = Done

    group_id: str


# --- what engines report ---

class GroupJoined(LiveUpdate):
    """The session became a member of a group (created it, was added, joined by link)."""

    KIND = "groups.joined"

    group: Group
    by: str | None = None
    reason: str | None = None


class GroupLeft(LiveUpdate):
    """The session is no longer a member (it left: ``by`` None; or was removed by ``by``)."""

    KIND = "groups.left"

    group_id: str
    by: str | None = None


class ParticipantsChange(BaseModel):
    """Who was added, removed, promoted or demoted in a group: what the engine's update and
    the ``group.participants`` event both carry."""

    group_id: str
    action: ParticipantAction = Field(description="add, remove, promote or demote.")
    participants: list[str]
    by: str | None = None


class GroupChange(BaseModel):
    """What changed of a group's info or settings (only what changed is set): what the
    engine's update and the ``group.update`` event both carry."""

    group_id: str
    by: str | None = None
    subject: str | None = None
    description: str | None = None
    announce: bool | None = None
    locked: bool | None = None
    picture: Literal["set", "removed"] | None = Field(default=None,
                                                      description="set or removed.")
    invite_revoked: bool | None = None
    deleted: bool | None = None


class GroupParticipants(ParticipantsChange, LiveUpdate):
    KIND = "groups.participants"


class GroupUpdated(GroupChange, LiveUpdate):
    """A group's info or settings changed (only what changed is set)."""

    KIND = "groups.updated"


# --- the sandbox's play: someone else acts in a group ---

class GroupPlayed(Played):
    group_id: str | None = None


class PlayGroup(SandboxOp):
    """Someone else (``by``, a phone JID) creates a group (with the session among
    ``participants`` to add it), adds, removes, promotes or demotes participants, or changes
    the subject or description, as WhatsApp would let them (an admin, where it must be)."""

    OP = "sandbox.group"
    RESULT = GroupPlayed

    by: str
    action: Literal["create", "add", "remove", "promote", "demote", "subject", "description"]
    group_id: str | None = None
    subject: str | None = Field(default=None, min_length=1, max_length=SUBJECT_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    participants: list[str] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)

