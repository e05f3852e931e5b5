"""Groups, and the sandbox's plays of someone else in a group or calling."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.api.v1.schemas.common import Body, HttpUrl, Out, token
from chalicelib.domain.live.groups import (
    DESCRIPTION_MAX,
    MAX_PARTICIPANTS,
    PICTURE_MAX_BYTES,
    SUBJECT_MAX,
)
from chalicelib.domain.text import bounded

Person = token(64)
Subject = bounded(SUBJECT_MAX * 4, SUBJECT_MAX, 1, one_line=True)
Description = bounded(DESCRIPTION_MAX * 4, DESCRIPTION_MAX)
People = Field(min_length=1, max_length=MAX_PARTICIPANTS,
               description="Phone numbers (E.164) or JIDs, at most "
                           f"{MAX_PARTICIPANTS}.")


class GroupIn(Body):
    subject: Subject
    participants: list[Person] = Field(
        default_factory=list, max_length=MAX_PARTICIPANTS,
        description=f"Phone numbers (E.164) or JIDs to add, at most {MAX_PARTICIPANTS}.")


class GroupPatch(Body):
    subject: Subject | None = None
    description: Description | None = Field(default=None,
                                            description="An empty one removes it.")


class SettingsIn(Body):
    announce: bool | None = Field(default=None, description="Only admins send messages.")
    locked: bool | None = Field(default=None, description="Only admins edit the group's info.")


class PictureIn(Body):
    """A JPEG by ``url`` (fetched by the gateway) or inline ``base64``."""

    url: HttpUrl | None = None
    base64: str | None = Field(default=None, max_length=(PICTURE_MAX_BYTES + 2) // 3 * 4 + 64)


class ParticipantsIn(Body):
    participants: list[Person] = People


class JoinIn(Body):
    invite: token(256) = Field(description="An invite link (https://chat.whatsapp.com/…) or "
                                           "its code.")


class ParticipantOut(Out):
    jid: str
    phone: str | None
    lid: str | None
    admin: bool
    superadmin: bool = Field(description="The group's creator.")


class GroupSummaryOut(Out):
    id: str
    subject: str
    description: str | None
    owner: str | None
    created_at: datetime | None
    announce: bool = Field(description="Only admins send messages.")
    locked: bool = Field(description="Only admins edit the group's info.")
    size: int = Field(description="How many participants it has.")


class GroupOut(GroupSummaryOut):
    participants: list[ParticipantOut]


class ParticipantResultOut(Out):
    jid: str
    ok: bool
    reason: str | None = Field(description="Why not, when not ok (e.g. not_on_whatsapp, "
                                           "already_participant, not_participant, is_owner).")


class ParticipantsOut(Out):
    action: Literal["add", "remove", "promote", "demote"]
    results: list[ParticipantResultOut]


class InviteOut(Out):
    invite: str = Field(description="The invite link.")
    code: str


class JoinedOut(Out):
    group_id: str


class PictureOut(Out):
    picture_id: str | None


class DoneOut(Out):
    done: bool


# --- the sandbox ---

class GroupActIn(Body):
    by: Person = Field(description="The phone (a number) that acts; it must be an admin where "
                                   "WhatsApp requires one.")
    action: Literal["create", "add", "remove", "promote", "demote", "subject", "description"]
    group_id: Person | None = Field(default=None, description="Every action but create.")
    subject: Subject | None = None
    description: Description | None = None
    participants: list[Person] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)


class CallIn(Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    caller: Person = Field(alias="from", description="Who calls (a phone number).")
    video: bool = False
    group_id: Person | None = Field(default=None, description="A group call in this group.")


class PlayedOut(Out):
    status: str | None = None
    group_id: str | None = None
    call_id: str | None = None
