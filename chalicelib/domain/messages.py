"""Messages: the status state machine and the record every layer shares."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.jids import LID_SERVER, USER_SERVER

# How someone in a chat changes a message that exists: reacts to it, edits it, deletes it for
# everyone.
ChangeKind = Literal["reaction", "edited", "revoked"]
# The code a store refuses a second message with an id already taken with (derived ids).
MESSAGE_EXISTS = "message_exists"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    RECEIVED = "received"  # inbound messages
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"


# Progress order of a sent message; receipts may skip steps but never go back.
_PROGRESS = [
    MessageStatus.SCHEDULED,
    MessageStatus.QUEUED,
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
    MessageStatus.PLAYED,
]
TERMINAL = frozenset(
    {MessageStatus.PLAYED, MessageStatus.FAILED, MessageStatus.EXPIRED, MessageStatus.CANCELED,
     MessageStatus.RECEIVED}
)
# Statuses from which a message can still fail, expire or be canceled (nothing left the gateway).
_NOT_YET_SENT = (MessageStatus.SCHEDULED, MessageStatus.QUEUED, MessageStatus.SENDING)


def predecessors(target: MessageStatus) -> tuple[MessageStatus, ...]:
    """The statuses a message may be in for a move to ``target`` to be allowed.

    Used as the condition of every status write, so a redelivered queue record or a late
    receipt can never move a message backwards.
    """
    if target in _PROGRESS and target != MessageStatus.QUEUED:
        index = _PROGRESS.index(target)
        allowed = _PROGRESS[:index]
        if target in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ,
                      MessageStatus.PLAYED):
            # Receipts need the message to have left: it was at least sending.
            allowed = [s for s in allowed
                       if s not in (MessageStatus.SCHEDULED, MessageStatus.QUEUED)]
        if target == MessageStatus.SENDING:
            allowed = [MessageStatus.SCHEDULED, MessageStatus.QUEUED]
        return tuple(allowed)
    if target == MessageStatus.QUEUED:
        # A worker releases its claim when no host could take the message: nothing left.
        return (MessageStatus.SCHEDULED, MessageStatus.SENDING)
    if target == MessageStatus.FAILED:
        return _NOT_YET_SENT
    if target == MessageStatus.EXPIRED:
        return _NOT_YET_SENT  # a host checks expiry once more just before it sends
    if target == MessageStatus.CANCELED:
        return (MessageStatus.SCHEDULED, MessageStatus.QUEUED)
    return ()


def can_transition(current: MessageStatus, target: MessageStatus) -> bool:
    return current in predecessors(target)


class Priority(StrEnum):
    HIGH = "high"  # OTPs and the like: never wait behind a campaign
    NORMAL = "normal"
    BULK = "bulk"


class StatusChange(BaseModel):
    status: MessageStatus
    at: str
    reason: str | None = None


class Message(BaseModel):
    """A message as stored and as shown on the API."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    tenant_id: str
    session_id: str
    direction: Direction
    chat: str  # JID of the chat (the recipient for outbound, the sender's chat for inbound)
    type: str = "text"
    text: str | None = None  # the text, caption or other readable summary of the content
    content: dict[str, Any] | None = None  # the typed content (domain.content)
    reply_to: str | None = None  # id of the message this one quotes
    quoted: dict[str, Any] | None = None  # that message as WhatsApp needs it (content.Quote)
    priority: Priority = Priority.NORMAL
    # marketing messages are never sent to a number on the tenant's opt-out list
    category: Literal["transactional", "marketing"] = "transactional"
    schedule_at: str | None = None
    expires_at: str | None = None
    typing_ms: int = 0
    sender: str | None = None  # JID of the author (inbound; groups have chat != sender)
    sender_phone: str | None = None  # E.164 behind the sender, when known (``@lid`` senders)
    push_name: str | None = None
    # Who wrote it and to whom, as phone JIDs when known, and the other person's LID when
    # known (WhatsApp may address them by either): see ``parties``.
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    lid: str | None = None
    status: MessageStatus
    engine_message_id: str | None = None
    created_at: str
    updated_at: str
    timestamps: dict[str, str] = Field(default_factory=dict)  # status -> when it was reached
    history: list[StatusChange] = Field(default_factory=list)
    error: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)  # the caller's (e.g. a ref_no)
    edited_at: str | None = None
    revoked_at: str | None = None
    starred: bool = False
    # The real content, encrypted, when parts of it are concealed (an OTP code): ``content``
    # and ``text`` then show them masked, and only the send worker opens this (never shown).
    sealed: str | None = None
    campaign_id: str | None = None  # the campaign that sent it


def parties(chat: str, *, own: str | None = None, sender: str | None = None,
            sender_phone: str | None = None, lid: str | None = None,
            inbound: bool) -> dict[str, str | None]:
    """``from``/``to`` (phone JIDs, when known) and ``lid`` (the other person's) of a message
    in ``chat``: an inbound one comes from its sender (its number behind an @lid sender) to
    the session's own number ``own``; an outbound one goes to a chat that is a person. ``lid``
    is a LID already known for that person."""
    def phone_jid(jid: str | None) -> str | None:
        return jid if jid and jid.endswith("@" + USER_SERVER) else None

    if inbound:
        person = sender or chat
        from_ = phone_jid(person) or (f"{sender_phone.lstrip('+')}@{USER_SERVER}"
                                      if sender_phone else None)
        to = phone_jid(own)
    else:
        person = chat
        from_, to = phone_jid(own), phone_jid(chat)
    if person.endswith("@" + LID_SERVER):
        lid = person
    return {"from_": from_, "to": to, "lid": lid}
