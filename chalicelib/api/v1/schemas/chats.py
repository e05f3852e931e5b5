"""A session's chats and their messages; changing a chat; the sandbox phone changing one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Out, Timestamp
from chalicelib.domain.chats import Chat
from chalicelib.domain.live.chats import is_muted

Direction = Literal["outbound", "inbound"]


class LastMessageOut(Out):
    id: str | None = Field(description="wagate's message id (null for a message only "
                                       "WhatsApp knew).")
    engine_message_id: str | None
    direction: Direction
    type: str
    text: str | None = Field(description="The start of its text or caption.")
    sender: str | None
    at: str


class ChatOut(Out):
    id: str = Field(description="The chat's JID.")
    session_id: str
    name: str | None
    is_group: bool
    last_message: LastMessageOut | None
    last_activity_at: str | None
    unread_count: int
    archived: bool
    pinned: bool
    muted: bool
    muted_until: str | None = Field(description="When the mute ends (null: not muted, or "
                                                "muted forever when muted is true).")
    labels: list[str] = Field(description="Ids of the labels on the chat.")

    @classmethod
    def of(cls, chat: Chat, now: datetime) -> ChatOut:
        muted = is_muted(chat.muted_until, now)
        return cls(id=chat.jid, session_id=chat.session_id, name=chat.name,
                   is_group=chat.jid.endswith("@g.us"),
                   last_message=LastMessageOut.model_validate(
                       chat.last_message.model_dump(mode="json"))
                   if chat.last_message else None,
                   last_activity_at=chat.last_activity_at, unread_count=max(chat.unread_count, 0),
                   archived=chat.archived, pinned=chat.pinned, muted=muted,
                   muted_until=chat.muted_until if muted and chat.muted_until != "forever"
                   else None, labels=chat.labels)


class MuteIn(Body):
    until: Timestamp | None = Field(default=None, description="When the mute ends (at most "
                                                              "366 days ahead); omit or null "
                                                              "to mute forever.")


class ChatStateIn(Body):
    state: Literal["typing", "recording", "paused"]


class ChatDone(Out):
    id: str = Field(description="The chat's JID.")
    done: bool


class ChatDeleted(Out):
    id: str = Field(description="The chat's JID.")
    deleted: bool


class PhoneChatChangeIn(Body):
    """What the phone's owner changes on the chat (omitted: unchanged)."""

    archived: bool | None = None
    pinned: bool | None = None
    muted_until: Timestamp | Literal["forever"] | None = None
    unmuted: bool = False
    read: bool | None = Field(default=None, description="true: marked read, false: unread.")

