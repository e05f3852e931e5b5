"""A session's chats and labels as wagate keeps them (the CHATS table): what the chat list
shows, kept up to date by the session host as messages come and go and as the phone changes
chats."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chalicelib.domain.messages import Direction, Message
from chalicelib.domain.text import clip

PREVIEW_BYTES = 256  # of the last message's text kept on its chat


class LastMessage(BaseModel):
    """A chat's latest message, in short."""

    id: str | None = None  # wagate's id (None for what only WhatsApp knows)
    engine_message_id: str | None = None
    direction: Direction
    type: str = "text"
    text: str | None = None  # the first PREVIEW_BYTES of its text or caption
    sender: str | None = None
    at: str

    @classmethod
    def of(cls, message: Message, at: str) -> LastMessage:
        return cls(id=message.id, engine_message_id=message.engine_message_id,
                   direction=message.direction, type=message.type,
                   text=clip(message.text, PREVIEW_BYTES) if message.text else None,
                   sender=message.sender, at=at)


class Chat(BaseModel):
    session_id: str
    jid: str
    name: str | None = None
    last_message: LastMessage | None = None
    last_activity_at: str | None = None
    unread_count: int = 0
    archived: bool = False
    pinned: bool = False
    muted_until: str | None = None  # an ISO time, or "forever"
    labels: list[str] = Field(default_factory=list)
    # Messages of the chat before this id are not shown (a clear or delete).
    cleared_before: str | None = None
    listed: bool = True  # False once deleted, until its next message

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Chat:
        labels = item.get("labels") or []
        return cls.model_validate({**item, "labels": sorted(labels),
                                   "listed": "session_key" in item})


class StoredLabel(BaseModel):
    session_id: str
    id: str
    name: str
    color: int
    created_at: str
    updated_at: str
