"""Live operations on chats (mark read or unread, archive, pin, mute, delete, clear, chat
state), what engines report of chats (a change made on the phone, the history WhatsApp sends
after pairing), and the pure rules of both (mute bounds, which history is kept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.live import LiveOp, LiveUpdate
from chalicelib.domain.live.sandbox import SandboxOp

MUTE_MAX = timedelta(days=366)  # a mute with an end lasts at most this long ("forever" apart)
READ_MARKS = 50  # at most this many unread messages are acknowledged by one mark-read
HISTORY_CHATS = 500  # at most this many chats in one history update
HISTORY_MESSAGES = 1_000  # and this many messages per chat, before the host's own bounds
ChatState = Literal["typing", "recording", "paused"]
FOREVER = "forever"  # muted_until of a chat muted without an end


class ReadMark(BaseModel):
    """A message to acknowledge as read (WhatsApp's read receipts name their sender)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    engine_message_id: str = Field(max_length=128)
    sender: str | None = Field(default=None, max_length=128)


class MarkRead(LiveOp):
    """Mark a chat read: read receipts for its latest unread messages."""

    OP = "chats.read"

    chat: str
    messages: list[ReadMark] = Field(default_factory=list, max_length=READ_MARKS)


class MarkUnread(LiveOp):
    """Mark a chat unread (WhatsApp shows it with an unread badge until it is opened)."""

    OP = "chats.unread"

    chat: str


class ArchiveChat(LiveOp):
    OP = "chats.archive"

    chat: str
    archived: bool = True


class PinChat(LiveOp):
    OP = "chats.pin"

    chat: str
    pinned: bool = True


class MuteChat(LiveOp):
    """Mute a chat until ``until`` (ISO time; None: forever), or unmute it (``muted`` False)."""

    OP = "chats.mute"

    chat: str
    muted: bool = True
    until: str | None = None


class DeleteChat(LiveOp):
    OP = "chats.delete"

    chat: str


class ClearChat(LiveOp):
    OP = "chats.clear"

    chat: str


class SendChatState(LiveOp):
    """Show "typing…" or "recording audio…" in a chat, or stop showing it (``paused``)."""

    OP = "chats.state"

    chat: str
    state: ChatState


# --- what engines report ---


class ChatChanged(LiveUpdate):
    """The phone (or another linked device) changed a chat; None: unchanged."""

    KIND = "chats.changed"

    chat: str
    archived: bool | None = None
    pinned: bool | None = None
    muted_until: str | None = None  # an ISO time or "forever"
    unmuted: bool = False
    read: bool | None = None  # True: marked read, False: marked unread
    deleted: bool = False
    cleared: bool = False


class HistoryMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    engine_message_id: str
    from_me: bool
    sender: str | None = None
    sender_phone: str | None = None
    push_name: str | None = None
    type: str = "text"
    text: str | None = None
    timestamp: datetime


class HistoryChat(BaseModel):
    model_config = ConfigDict(frozen=True)

    chat: str
    name: str | None = None
    unread_count: int = 0
    archived: bool = False
    pinned: bool = False
    muted_until: str | None = None
    messages: list[HistoryMessage] = Field(default_factory=list)


class HistorySynced(LiveUpdate):
    """A part of the history WhatsApp sends a newly linked device."""

    KIND = "chats.history"

    chats: list[HistoryChat]


def mute_until(until: datetime | None, now: datetime) -> str:
    """What a chat's ``muted_until`` holds: ``until`` as ISO time (it must be in the future,
    within ``MUTE_MAX``), or "forever" when None; a ValueError says what is wrong."""
    if until is None:
        return FOREVER
    if until <= now:
        raise ValueError("must be in the future")
    if until - now > MUTE_MAX:
        raise ValueError(f"must be at most {MUTE_MAX.days} days ahead (or mute forever)")
    return until.astimezone(UTC).isoformat().replace("+00:00", "Z")


def is_muted(muted_until: str | None, now: datetime) -> bool:
    if not muted_until:
        return False
    if muted_until == FOREVER:
        return True
    return datetime.fromisoformat(muted_until.replace("Z", "+00:00")) > now


def kept_history(messages: list[HistoryMessage], now: datetime, days: int,
                 per_chat: int) -> list[HistoryMessage]:
    """The messages of one chat's history a host keeps: those of the last ``days`` days, the
    newest ``per_chat`` of them, oldest first."""
    since = now - timedelta(days=days)
    recent = sorted((m for m in messages if m.timestamp >= since), key=lambda m: m.timestamp)
    return recent[-per_chat:] if per_chat > 0 else []


# --- the sandbox's phone, changing a chat (tests and demos) ---


class PhoneChangesChat(SandboxOp):
    """The phone's owner archives, pins, mutes or marks read (or unread) a chat."""

    OP = "sandbox.chat_change"

    chat: str
    archived: bool | None = None
    pinned: bool | None = None
    muted_until: str | None = None
    unmuted: bool = False
    read: bool | None = None
