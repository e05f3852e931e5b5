"""The event catalogue: every event the gateway publishes, its payload model, and the one
builder of each. Publishers (services, session hosts) call a builder; consumers (webhooks,
push devices, and later bots, OTP, campaigns) read ``Event``.

Later features add their types here (``otp.*``, ``campaign.*``, ``group.*``, ``call.*``,
``presence.*``): a member of ``EventType``, a data model, an entry in ``CATALOGUE`` and a
builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain import clock, ids
from chalicelib.domain.campaigns import Campaign
from chalicelib.domain.live.groups import GroupChange, ParticipantsChange
from chalicelib.domain.messages import Message, MessageStatus
from chalicelib.domain.sessions import Session

EVENT_ID_PREFIX = "evt_"


class EventType(StrEnum):
    SESSION_STATUS = "session.status"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_STATUS = "message.status"
    MESSAGE_REACTION = "message.reaction"
    MESSAGE_EDITED = "message.edited"
    MESSAGE_REVOKED = "message.revoked"
    MESSAGE_FAILED = "message.failed"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_TEST = "webhook.test"
    GROUP_JOIN = "group.join"
    GROUP_LEAVE = "group.leave"
    GROUP_PARTICIPANTS = "group.participants"
    GROUP_UPDATE = "group.update"
    CALL_RECEIVED = "call.received"
    PRESENCE_UPDATE = "presence.update"
    LABEL_CREATED = "label.created"
    LABEL_UPDATED = "label.updated"
    LABEL_DELETED = "label.deleted"
    LABEL_CHAT_ADDED = "label.chat_added"
    LABEL_CHAT_REMOVED = "label.chat_removed"
    BOT_MATCHED = "bot.matched"
    OPTOUT_ADDED = "optout.added"
    OPTOUT_REMOVED = "optout.removed"
    OTP_SENT = "otp.sent"
    OTP_APPROVED = "otp.approved"
    OTP_FAILED = "otp.failed"
    CAMPAIGN_STARTED = "campaign.started"
    CAMPAIGN_PAUSED = "campaign.paused"
    CAMPAIGN_RESUMED = "campaign.resumed"
    CAMPAIGN_PROGRESS = "campaign.progress"
    CAMPAIGN_COMPLETED = "campaign.completed"
    CAMPAIGN_CANCELED = "campaign.canceled"
    SESSION_THROTTLED = "session.throttled"


class Event(BaseModel):
    """One thing that happened in a tenant. ``id`` sorts by creation time (a ULID)."""

    id: str
    type: EventType
    tenant_id: str
    session_id: str | None = None
    timestamp: str
    data: dict[str, Any]

    @classmethod
    def new(cls, type_: EventType, tenant_id: str, session_id: str | None,
            data: dict[str, Any]) -> Event:
        return cls(id=f"{EVENT_ID_PREFIX}{ids.new_id()}", type=type_, tenant_id=tenant_id,
                   session_id=session_id, timestamp=clock.now_iso(), data=data)


# --- payload models (the ``data`` of each type) ---


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionStatusData(_Data):
    status: str = Field(description="STOPPED, STARTING, SCAN_QR, WORKING or FAILED.")
    reason: str | None = None
    phone: str | None = None


class _Parties(_Data):
    """Who a message is from and to (phone JIDs, when known), and the other person's LID."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str | None = Field(default=None, alias="from",
                              description="The author's phone JID, when known.")
    to: str | None = Field(default=None, description="The recipient's phone JID, when known.")
    lid: str | None = Field(default=None, description="The other person's LID, when known.")


class MessageStatusData(_Parties):
    message_id: str
    chat: str
    status: str = Field(description="queued … sent, delivered, read, played; failed, expired, "
                                    "canceled.")
    at: str
    reason: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class MessageFailedData(_Parties):
    message_id: str
    chat: str
    reason: str | None = None
    error: dict[str, Any] | None = None
    at: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class MessageReceivedData(BaseModel):
    """The inbound message as ``GET /v1/messages/{id}`` shows it."""

    model_config = ConfigDict(extra="allow")
    id: str
    chat: str
    sender: str | None = None
    type: str
    text: str | None = None


class MessageReactionData(_Parties):
    message_id: str | None = Field(description="Our id of the message reacted to, if known.")
    engine_message_id: str
    chat: str
    sender: str | None = None
    reaction: str = Field(description="The emoji; empty when the reaction was removed.")
    at: str


class MessageEditedData(_Parties):
    message_id: str | None
    engine_message_id: str
    chat: str
    sender: str | None = Field(default=None, description="Who edited it (its author).")
    text: str
    at: str


class MessageRevokedData(_Parties):
    message_id: str | None
    engine_message_id: str
    chat: str
    sender: str | None = Field(default=None, description="Who deleted it: its author, or in "
                                                         "a group an admin.")
    at: str


class PresenceUpdateData(_Data):
    jid: str = Field(description="Whose presence: a phone JID (or a LID when no number is "
                                 "known).")
    phone: str | None = None
    presence: str = Field(description="available or unavailable.")
    last_seen: str | None = None


class WebhookDisabledData(_Data):
    webhook_id: str
    url: str
    reason: str = Field(description="gone (the receiver answered 410) or failing (every "
                                    "delivery failed for the configured window).")


class WebhookTestData(_Data):
    webhook_id: str
    message: str


class GroupJoinData(_Data):
    group_id: str
    subject: str
    by: str | None = Field(default=None, description="Who added the session, when known.")
    reason: str | None = Field(default=None, description="How it joined (e.g. invite), "
                                                         "when WhatsApp says.")
    participants: int = Field(description="How many members the group has.")


class GroupLeaveData(_Data):
    group_id: str
    by: str | None = Field(default=None, description="Who removed the session; null when it "
                                                     "left itself.")


class GroupParticipantsData(ParticipantsChange, _Data):
    pass


class GroupUpdateData(GroupChange, _Data):
    pass


class CallReceivedData(_Data):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True,
                              validate_by_alias=True)
    call_id: str
    from_: str = Field(alias="from", description="The caller's JID (a phone's or an @lid).")
    from_phone: str | None = None
    video: bool = Field(description="A video call (else voice).")
    group: bool = Field(description="A group call.")
    group_id: str | None = None
    rejected: bool = Field(description="The session's settings rejected it.")
    at: str


@dataclass(frozen=True)
class EventSpec:
    type: EventType
    description: str
    data: type[BaseModel]


CATALOGUE: dict[EventType, EventSpec] = {spec.type: spec for spec in (
    EventSpec(EventType.SESSION_STATUS, "A session changed status (QR, connected, stopped…).",
              SessionStatusData),
    EventSpec(EventType.MESSAGE_RECEIVED, "A message arrived on a session.", MessageReceivedData),
    EventSpec(EventType.MESSAGE_STATUS, "A message moved on: sent, delivered, read, played, or "
                                        "failed, expired, canceled.", MessageStatusData),
    EventSpec(EventType.MESSAGE_REACTION, "Someone reacted to a message.", MessageReactionData),
    EventSpec(EventType.MESSAGE_EDITED, "A message's text was edited.", MessageEditedData),
    EventSpec(EventType.MESSAGE_REVOKED, "A message was deleted for everyone.",
              MessageRevokedData),
    EventSpec(EventType.MESSAGE_FAILED, "A message will not be sent (with the reason).",
              MessageFailedData),
    EventSpec(EventType.WEBHOOK_DISABLED, "A webhook subscription was turned off by the "
                                          "gateway.", WebhookDisabledData),
    EventSpec(EventType.WEBHOOK_TEST, "Sent by POST /v1/webhooks/{id}/test to that webhook "
                                      "only.", WebhookTestData),
    EventSpec(EventType.GROUP_JOIN, "The session became a member of a group (created it, was "
                                    "added, joined by link).", GroupJoinData),
    EventSpec(EventType.GROUP_LEAVE, "The session left a group or was removed from it.",
              GroupLeaveData),
    EventSpec(EventType.GROUP_PARTICIPANTS, "Participants of a group were added, removed, "
                                            "promoted or demoted.", GroupParticipantsData),
    EventSpec(EventType.GROUP_UPDATE, "A group's subject, description, picture or settings "
                                      "changed.", GroupUpdateData),
    EventSpec(EventType.CALL_RECEIVED, "Someone called the session (and whether it was "
                                       "rejected).", CallReceivedData),
    EventSpec(EventType.PRESENCE_UPDATE, "A contact the session subscribed to came online or "
                                         "went offline.", PresenceUpdateData),
)}
# Types only ever sent to one subscription on request: never fanned out, stored or replayed.
DIRECT_ONLY = frozenset({EventType.WEBHOOK_TEST})


def _event(type_: EventType, tenant_id: str, session_id: str | None, data: BaseModel) -> Event:
    return Event.new(type_, tenant_id, session_id, data.model_dump(mode="json", by_alias=True))


# --- builders: the one place each event is made ---


def session_status(session: Session) -> Event:
    return _event(EventType.SESSION_STATUS, session.tenant_id, session.id, SessionStatusData(
        status=session.status.value, reason=session.reason, phone=session.phone))


def _parties(message: Message) -> dict[str, str | None]:
    return {"from_": message.from_, "to": message.to, "lid": message.lid}


def message_status(message: Message) -> Event:
    last = message.history[-1] if message.history else None
    return _event(EventType.MESSAGE_STATUS, message.tenant_id, message.session_id,
                  MessageStatusData(**_parties(message), message_id=message.id, chat=message.chat,
                                    status=message.status.value,
                                    at=last.at if last else message.updated_at,
                                    reason=last.reason if last else None,
                                    metadata=message.metadata))


def message_sent(tenant_id: str, session_id: str, message: dict[str, Any]) -> Event:
    """``message.status`` "sent", from the message as the worker handed it to a host."""
    return _event(EventType.MESSAGE_STATUS, tenant_id, session_id, MessageStatusData(
        from_=message.get("from_"), to=message.get("to"), lid=message.get("lid"),
        message_id=message["id"], chat=message["chat"], status="sent", at=clock.now_iso(),
        metadata=message.get("metadata") or {}))


def message_failed(message: Message) -> Event:
    last = message.history[-1] if message.history else None
    return _event(EventType.MESSAGE_FAILED, message.tenant_id, message.session_id,
                  MessageFailedData(**_parties(message), message_id=message.id, chat=message.chat,
                                    reason=last.reason if last else None, error=message.error,
                                    at=last.at if last else message.updated_at,
                                    metadata=message.metadata))


def status_changes(message: Message) -> list[Event]:
    """What a status change of ``message`` publishes: ``message.status``, and
    ``message.failed`` too when it failed."""
    events = [message_status(message)]
    if message.status == MessageStatus.FAILED:
        events.append(message_failed(message))
    return events


def message_received(message: Message) -> Event:
    return Event.new(EventType.MESSAGE_RECEIVED, message.tenant_id, message.session_id,
                     message.model_dump(mode="json", by_alias=True,
                                        exclude={"tenant_id", "history", "sealed"}))


# A contact's change to a message, by the kind an engine reports: its event type and data.
_CHANGES: dict[str, tuple[EventType, type[_Parties]]] = {
    "reaction": (EventType.MESSAGE_REACTION, MessageReactionData),
    "edited": (EventType.MESSAGE_EDITED, MessageEditedData),
    "revoked": (EventType.MESSAGE_REVOKED, MessageRevokedData),
}


def message_changed(tenant_id: str, session_id: str, kind: str, *, message_id: str | None,
                    engine_message_id: str, chat: str, sender: str | None, at: str,
                    text: str | None, parties: dict[str, str | None] | None = None) -> Event:
    """``message.reaction`` (``text``: the emoji, empty when taken back), ``message.edited``
    (the new text) or ``message.revoked``, by ``kind``; ``parties``: its ``from_``/``to``/
    ``lid`` (domain.messages.parties)."""
    type_, model = _CHANGES[kind]
    fields: dict[str, Any] = {"message_id": message_id, "engine_message_id": engine_message_id,
                              "chat": chat, "sender": sender, "at": at, **(parties or {})}
    if kind == "reaction":
        fields["reaction"] = text or ""
    elif kind == "edited":
        fields["text"] = text or ""
    return _event(type_, tenant_id, session_id, model(**fields))


def presence_update(tenant_id: str, session_id: str, jid: str, phone: str | None,
                    presence: str, last_seen: str | None) -> Event:
    return _event(EventType.PRESENCE_UPDATE, tenant_id, session_id, PresenceUpdateData(
        jid=jid, phone=phone, presence=presence, last_seen=last_seen))


def webhook_disabled(tenant_id: str, webhook_id: str, url: str, reason: str) -> Event:
    return _event(EventType.WEBHOOK_DISABLED, tenant_id, None,
                  WebhookDisabledData(webhook_id=webhook_id, url=url, reason=reason))


def webhook_test(tenant_id: str, webhook_id: str) -> Event:
    return _event(EventType.WEBHOOK_TEST, tenant_id, None, WebhookTestData(
        webhook_id=webhook_id, message="A test event from wagate: your endpoint works."))


def group_event(tenant_id: str, session_id: str, type_: EventType,
                data: dict[str, Any]) -> Event:
    """``group.join``, ``group.leave``, ``group.participants`` or ``group.update``."""
    model = CATALOGUE[type_].data
    return _event(type_, tenant_id, session_id, model.model_validate(data))


def call_received(tenant_id: str, session_id: str, *, call_id: str, caller: str,
                  caller_phone: str | None, video: bool, group_id: str | None, is_group: bool,
                  rejected: bool, at: str) -> Event:
    return _event(EventType.CALL_RECEIVED, tenant_id, session_id, CallReceivedData(
        call_id=call_id, from_=caller, from_phone=caller_phone, video=video,
        group=is_group or group_id is not None, group_id=group_id, rejected=rejected, at=at))


# --- which events a subscription wants ---


def valid_pattern(pattern: str) -> bool:
    """``*``, a catalogued type, or a prefix of some like ``message.*``."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        prefix = pattern[:-1]
        return any(t.value.startswith(prefix) for t in CATALOGUE)
    return pattern in CATALOGUE


def matches(patterns: list[str], event_type: str) -> bool:
    return any(p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
               for p in patterns)


# --- labels (WhatsApp Business) ---


class LabelData(_Data):
    label_id: str
    name: str | None = None
    color: int | None = None
    source: str = Field(description="api (changed through wagate) or phone (on WhatsApp).")


class LabelChatData(_Data):
    label_id: str
    chat: str
    source: str = Field(description="api (changed through wagate) or phone (on WhatsApp).")


CATALOGUE.update({spec.type: spec for spec in (
    EventSpec(EventType.LABEL_CREATED, "A label was created.", LabelData),
    EventSpec(EventType.LABEL_UPDATED, "A label was renamed or recolored.", LabelData),
    EventSpec(EventType.LABEL_DELETED, "A label was deleted.", LabelData),
    EventSpec(EventType.LABEL_CHAT_ADDED, "A label was put on a chat.", LabelChatData),
    EventSpec(EventType.LABEL_CHAT_REMOVED, "A label was taken off a chat.", LabelChatData),
)})
_LABEL_CHANGES = {"created": EventType.LABEL_CREATED, "updated": EventType.LABEL_UPDATED,
                  "deleted": EventType.LABEL_DELETED}


def label_changed(tenant_id: str, session_id: str, change: str, label_id: str, *,
                  name: str | None, color: int | None, source: str) -> Event:
    """``label.created``, ``label.updated`` or ``label.deleted``, by ``change``."""
    return _event(_LABEL_CHANGES[change], tenant_id, session_id,
                  LabelData(label_id=label_id, name=name, color=color, source=source))


def label_chat(tenant_id: str, session_id: str, label_id: str, chat: str, on: bool,
               source: str) -> Event:
    """``label.chat_added`` (``on``) or ``label.chat_removed``."""
    return _event(EventType.LABEL_CHAT_ADDED if on else EventType.LABEL_CHAT_REMOVED,
                  tenant_id, session_id, LabelChatData(label_id=label_id, chat=chat,
                                                       source=source))


# --- keyword bots and opt-outs ---


class BotMatchedData(_Data):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True,
                              validate_by_alias=True)
    bot_id: str
    name: str
    message_id: str = Field(description="The inbound message the bot matched.")
    chat: str
    from_: str | None = Field(default=None, alias="from",
                              description="The sender's phone JID, when known.")
    text: str | None = Field(default=None, description="What the sender wrote.")
    action: str = Field(description="reply, webhook, subscribe or unsubscribe.")
    reply_message_id: str | None = Field(default=None, description="The reply's message id "
                                                                   "(reply bots).")
    error: str | None = Field(default=None, description="Why the action did not happen, if "
                                                        "it did not.")


class OptOutData(_Data):
    phone: str = Field(description="E.164.")
    source: str = Field(description="api, keyword (the person wrote STOP or START) or bot.")
    reason: str | None = None


CATALOGUE.update({spec.type: spec for spec in (
    EventSpec(EventType.BOT_MATCHED, "A keyword bot matched an inbound message (once per bot "
                                     "and message).", BotMatchedData),
    EventSpec(EventType.OPTOUT_ADDED, "A number asked for no more marketing messages (STOP, "
                                      "the API, or a bot).", OptOutData),
    EventSpec(EventType.OPTOUT_REMOVED, "A number may get marketing messages again (START, "
                                        "the API, or a bot).", OptOutData),
)})


def bot_matched(inbound: Event, bot_id: str, name: str, action: str,
                reply_message_id: str | None = None, error: str | None = None) -> Event:
    """``bot.matched`` for one bot and one ``message.received`` event: its id is derived from
    both, so a consumer that runs twice publishes the same event twice (consumed once)."""
    data = inbound.data
    moment = clock.parse(inbound.timestamp)
    return Event(id=f"{EVENT_ID_PREFIX}{ids.derived_id(moment, 'bot', bot_id, inbound.id)}",
                 type=EventType.BOT_MATCHED, tenant_id=inbound.tenant_id,
                 session_id=inbound.session_id, timestamp=clock.now_iso(),
                 data=BotMatchedData(bot_id=bot_id, name=name, message_id=data["id"],
                                     chat=data["chat"], from_=data.get("from"),
                                     text=data.get("text"), action=action,
                                     reply_message_id=reply_message_id,
                                     error=error).model_dump(mode="json", by_alias=True))


def opt_out_changed(tenant_id: str, session_id: str | None, added: bool, phone: str,
                    source: str, reason: str | None) -> Event:
    """``optout.added`` or ``optout.removed``."""
    return _event(EventType.OPTOUT_ADDED if added else EventType.OPTOUT_REMOVED, tenant_id,
                  session_id, OptOutData(phone=phone, source=source, reason=reason))


# --- verification codes (never the code itself) ---


class OtpSentData(_Data):
    id: str = Field(description="The verification's id.")
    to: str = Field(description="The number the code went to (E.164).")
    message_id: str
    at: str


class OtpApprovedData(_Data):
    id: str
    kind: str = Field(description="otp (the user typed the code) or reverse (the user sent "
                                  "it to a shared number).")
    to: str | None = Field(default=None, description="otp: the number the code went to.")
    verified_phone: str | None = Field(default=None, description="reverse: the number that "
                                                                 "sent the code.")
    at: str


class OtpFailedData(_Data):
    id: str
    kind: str
    to: str | None = None
    reason: str = Field(description="locked (too many wrong codes), expired (checked after "
                                    "its time), or undeliverable (its message failed or "
                                    "expired unsent).")
    message_id: str | None = None
    at: str


CATALOGUE.update({spec.type: spec for spec in (
    EventSpec(EventType.OTP_SENT, "A verification code's message was sent.", OtpSentData),
    EventSpec(EventType.OTP_APPROVED, "A verification was approved (the right code).",
              OtpApprovedData),
    EventSpec(EventType.OTP_FAILED, "A verification failed: locked, expired or undeliverable.",
              OtpFailedData),
)})


def otp_sent(tenant_id: str, session_id: str | None, otp_id: str, to: str,
             message_id: str) -> Event:
    return _event(EventType.OTP_SENT, tenant_id, session_id, OtpSentData(
        id=otp_id, to=to, message_id=message_id, at=clock.now_iso()))


def otp_approved(tenant_id: str, session_id: str | None, otp_id: str, kind: str,
                 to: str | None, verified_phone: str | None, at: str) -> Event:
    return _event(EventType.OTP_APPROVED, tenant_id, session_id, OtpApprovedData(
        id=otp_id, kind=kind, to=to, verified_phone=verified_phone, at=at))


def otp_failed(tenant_id: str, session_id: str | None, otp_id: str, kind: str,
               to: str | None, reason: str, message_id: str | None = None) -> Event:
    return _event(EventType.OTP_FAILED, tenant_id, session_id, OtpFailedData(
        id=otp_id, kind=kind, to=to, reason=reason, message_id=message_id,
        at=clock.now_iso()))


class CampaignProgressData(_Data):
    total: int
    pending: int
    queued: int
    sent: int
    delivered: int
    read: int
    failed: int
    skipped: int
    opted_out: int


class CampaignData(_Data):
    id: str
    name: str
    status: str = Field(description="draft, scheduled, running, paused, completed or canceled.")
    reason: str | None = Field(default=None, description=(
        "Why it paused or ended: api (a caller), throttled / rate_limited / timelock / "
        "failure_rate (the send governor; it resumes by itself at resume_at), "
        "quota_exceeded, scheduled, throttle_ended, ended (its end_at came first)."))
    detail: str | None = None
    resume_at: str | None = None
    percent: int | None = Field(default=None, description="campaign.progress: the 10 % step "
                                                          "reached.")
    progress: CampaignProgressData
    at: str


_CAMPAIGN_KINDS = {"started": EventType.CAMPAIGN_STARTED, "paused": EventType.CAMPAIGN_PAUSED,
                   "resumed": EventType.CAMPAIGN_RESUMED,
                   "progress": EventType.CAMPAIGN_PROGRESS,
                   "completed": EventType.CAMPAIGN_COMPLETED,
                   "canceled": EventType.CAMPAIGN_CANCELED}
CATALOGUE.update({spec.type: spec for spec in (
    EventSpec(EventType.CAMPAIGN_STARTED, "A campaign started (by a caller or at its start_at).",
              CampaignData),
    EventSpec(EventType.CAMPAIGN_PAUSED, "A campaign paused: by a caller, or by the send "
              "governor when WhatsApp pushed back on one of its sessions.", CampaignData),
    EventSpec(EventType.CAMPAIGN_RESUMED, "A paused campaign runs again.", CampaignData),
    EventSpec(EventType.CAMPAIGN_PROGRESS, "Another 10 % of a campaign's recipients are done "
              "(sent, failed, skipped or opted out).", CampaignData),
    EventSpec(EventType.CAMPAIGN_COMPLETED, "Every recipient of a campaign is done (or its "
              "end_at came: the rest were skipped).", CampaignData),
    EventSpec(EventType.CAMPAIGN_CANCELED, "A campaign was canceled.", CampaignData),
)})


def campaign_event(kind: str, campaign: Campaign, percent: int | None = None,
                   detail: str | None = None, reason: str | None = None) -> Event:
    """``campaign.<kind>`` (started, paused, resumed, progress, completed, canceled);
    ``reason``: why it changed, when not the campaign's own (a start or resume)."""
    return _event(_CAMPAIGN_KINDS[kind], campaign.tenant_id, None, CampaignData(
        id=campaign.id, name=campaign.name, status=campaign.status.value,
        reason=reason or campaign.reason, detail=detail, resume_at=campaign.resume_at,
        percent=percent,
        progress=CampaignProgressData(**campaign.progress.model_dump()), at=clock.now_iso()))
# --- the send governor ---


class SessionThrottledData(_Data):
    reason: str = Field(description="rate_limited or timelock (WhatsApp refused a send), or "
                                    "failure_rate (too many of the session's sends failed).")
    until: str = Field(description="When the session's marketing traffic resumes.")
    categories: list[str] = Field(description="The categories held back (marketing).")
    lanes: list[str] = Field(description="The lanes whose messages of those categories wait "
                                         "(high-priority traffic never does).")


CATALOGUE.update({spec.type: spec for spec in (
    EventSpec(EventType.SESSION_THROTTLED, "The send governor paused a session's marketing "
                                           "traffic (and its campaigns) for a back-off: "
                                           "WhatsApp pushed back or its failures spiked.",
              SessionThrottledData),
)})


def session_throttled(tenant_id: str, session_id: str, reason: str, until: str,
                      categories: list[str], lanes: list[str]) -> Event:
    return _event(EventType.SESSION_THROTTLED, tenant_id, session_id, SessionThrottledData(
        reason=reason, until=until, categories=categories, lanes=lanes))
