"""Messages: accept (every type, templates, scheduling, expiry, priority), read, cancel,
forward, edit, delete for everyone, star; the send worker's delivery; the reconciler."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.content import (
    MAX_RECORD_BYTES,
    MEDIA_TYPES,
    Content,
    Quote,
    StoredMedia,
    Text,
    masked,
    summary,
)
from chalicelib.domain.errors import (
    AppError,
    Conflict,
    NotFound,
    OutcomeUnknown,
    SessionUnavailable,
    Unavailable,
    ValidationFailed,
    field_path,
)
from chalicelib.domain.events import status_changes
from chalicelib.domain.jids import Jid, parse_jid
from chalicelib.domain.live import LiveOp, LiveResult, sandbox
from chalicelib.domain.live.messages import EditMessage, RevokeMessage, StarMessage
from chalicelib.domain.messages import (
    MESSAGE_EXISTS,
    ChangeKind,
    Direction,
    Message,
    MessageStatus,
    Priority,
    StatusChange,
    parties,
)
from chalicelib.domain.optouts import Category, phone_of
from chalicelib.domain.paging import Page
from chalicelib.domain.sessions import Session, not_ready, not_ready_error, require_sandbox
from chalicelib.domain.text import utf8_bytes
from chalicelib.domain.vcard import vcard
from chalicelib.services.account import AccountService
from chalicelib.services.live import LiveService
from chalicelib.services.media import MediaService, MediaSource
from chalicelib.services.ports import (
    EventPublisher,
    Fleet,
    Lane,
    MessageRepo,
    OptOutList,
    Scheduler,
    Sealer,
    SessionRepo,
)
from chalicelib.services.templates import TemplateService

log = logging.getLogger(__name__)
MAX_SCHEDULE_AHEAD = timedelta(days=35)
SQS_MAX_DELAY_S = 900
PAST_TOLERANCE = timedelta(seconds=5)
STUCK_AFTER = timedelta(minutes=5)
# How long a message waits for its session to be sendable again (a host that died, a
# connection being restored) before it fails; the waits between tries start short.
SESSION_WAIT = timedelta(minutes=2)
RETRY_DELAYS_S = (1, 1, 2, 3, 5, 8, 13)
RETRY_DELAY_MAX_S = 15
METADATA_MAX_ENTRIES = 20
METADATA_KEY_MAX_BYTES = 64
METADATA_VALUE_MAX_BYTES = 1_024
RECORD_KEYS_BYTES = 1_024  # keys, index attributes and the send token around the message
INLINE_MEDIA_MAX = 5 * 1024 * 1024  # API Gateway answers at most ~6 MB: larger ones are linked
_CONTENT = TypeAdapter(Content)


class RetryLater(Exception):
    """The record should come back from the queue later (reported as a batch item failure)."""


def retry_delay(attempt: int) -> int:
    """Seconds before try ``attempt + 1`` of a message no host could take: 1, 1, 2, 3, 5, 8,
    13, then 15 — quick at first, since a dead host's sessions move within one lease TTL."""
    return RETRY_DELAYS_S[attempt - 1] if 1 <= attempt <= len(RETRY_DELAYS_S) \
        else RETRY_DELAY_MAX_S


def stored_bytes(value: Any) -> int:
    """About how many bytes DynamoDB counts for a JSON-like value: UTF-8 strings, up to 21
    bytes a number, 3 bytes a map or list plus 1 an element, attribute names included."""
    if isinstance(value, str):
        return utf8_bytes(value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float):
        return 21
    if isinstance(value, dict):
        return 3 + sum(utf8_bytes(str(k)) + stored_bytes(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(stored_bytes(v) + 1 for v in value)
    return utf8_bytes(str(value))


@dataclass
class Draft:
    """A message as the caller asked for it, before it is checked and stored."""

    session_id: str
    to: str
    type: str = "text"
    body: dict[str, Any] = field(default_factory=dict)  # the type's own fields
    media: MediaSource | None = None
    template_id: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    reply_to: str | None = None
    schedule_at: datetime | None = None
    expires_at: datetime | None = None
    ttl_seconds: int | None = None
    priority: Priority = Priority.NORMAL
    typing_ms: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    category: Category = "transactional"
    # Given by senders that may run twice for one cause (bots, opt-out confirmations): a
    # second send with the same id returns the first message and sends nothing.
    message_id: str | None = None
    # Parts of the text stored and shown masked (an OTP code): the real content is sealed
    # and opened only by the send worker.
    conceal: tuple[str, ...] = ()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _schedule_name(message_id: str) -> str:
    return f"msg-{message_id}"


class MessagingService:
    def __init__(self, messages: MessageRepo, sessions: SessionRepo, lanes: dict[str, Lane],
                 scheduler: Scheduler, events: EventPublisher, fleet: Fleet,
                 media: MediaService, templates: TemplateService, account: AccountService,
                 max_attempts: int, live: LiveService, sealer: Sealer,
                 opt_outs: OptOutList | None = None) -> None:
        self._messages = messages
        self._sessions = sessions
        self._lanes = lanes
        self._scheduler = scheduler
        self._events = events
        self._fleet = fleet
        self._media = media
        self._templates = templates
        self._account = account
        self._max_attempts = max_attempts
        self._live = live
        self._sealer = sealer
        self._opt_outs = opt_outs

    # --- accepting ---

    def send(self, caller: Principal, draft: Draft) -> Message:
        now = clock.now()
        chat = parse_jid(draft.to, "to")
        schedule_at, expires_at = self._timing(draft, now)
        if draft.message_id is not None:
            existing = self._messages.get(caller.tenant_id, draft.message_id)
            if existing is not None:
                return existing
        message_id = draft.message_id or ids.new_id()
        reply = self._quote(caller, draft.reply_to, "reply_to") if draft.reply_to else None
        metadata = self._metadata(draft.metadata)
        if draft.type in MEDIA_TYPES:  # before any upload (otherwise the accepting write checks)
            self._ready_session(caller, draft.session_id)
        content = self._content(caller, draft, message_id)
        sealed = None
        if draft.conceal:
            real = content.model_dump(mode="json")
            sealed = self._sealer.seal(json.dumps(real).encode())
            content = _CONTENT.validate_python(masked(real, draft.conceal))
        try:
            return self._accept(caller, message_id, draft.session_id, str(chat), content, now,
                                schedule_at, expires_at, draft.priority, draft.typing_ms,
                                reply, metadata, draft.category, sealed)
        except Conflict as exc:  # a twin run took the derived id first: that message stands
            existing = self._messages.get(caller.tenant_id, message_id) \
                if exc.code == MESSAGE_EXISTS and draft.message_id else None
            if existing is None:
                raise
            return existing

    def _ready_session(self, caller: Principal, session_id: str) -> Session:
        """The session, if it can take messages now: WORKING, or reconnecting after it was
        paired. Anything else is refused at once (409 ``session_not_ready``) rather than
        accepted and failed later; scheduled messages too (they are checked again when due)."""
        session = self._sessions.get(caller.tenant_id, session_id)
        if session is None:
            raise ValidationFailed.field("session_id", "no such session")
        refusal = not_ready_error(session)
        if refusal is not None:
            raise refusal
        return session

    @staticmethod
    def _metadata(metadata: dict[str, str]) -> dict[str, str]:
        if len(metadata) > METADATA_MAX_ENTRIES:
            raise ValidationFailed.field("metadata", f"may have at most {METADATA_MAX_ENTRIES} "
                                         "entries")
        for key, value in metadata.items():
            if utf8_bytes(key) > METADATA_KEY_MAX_BYTES:
                raise ValidationFailed.field("metadata", f"keys may be at most "
                                             f"{METADATA_KEY_MAX_BYTES} bytes (UTF-8)")
            if utf8_bytes(value) > METADATA_VALUE_MAX_BYTES:
                raise ValidationFailed.field(f"metadata.{key}", f"may be at most "
                                             f"{METADATA_VALUE_MAX_BYTES} bytes (UTF-8)")
        return metadata

    def _accept(self, caller: Principal, message_id: str, session_id: str, chat: str,
                content: Any, now: datetime, schedule_at: datetime | None,
                expires_at: datetime | None, priority: Priority, typing_ms: int,
                reply: Quote | None, metadata: dict[str, str],
                category: Category = "transactional",
                sealed: str | None = None) -> Message:
        status = MessageStatus.SCHEDULED if schedule_at else MessageStatus.QUEUED
        stamp = clock.iso(now)
        message = Message(
            id=message_id, tenant_id=caller.tenant_id, session_id=session_id,
            direction=Direction.OUTBOUND, chat=chat, type=content.type, text=summary(content),
            content=content.model_dump(mode="json"), priority=priority, category=category,
            reply_to=reply.message_id if reply else None,
            quoted=reply.model_dump(mode="json") if reply else None,
            schedule_at=clock.iso(schedule_at) if schedule_at else None,
            expires_at=clock.iso(expires_at) if expires_at else None, typing_ms=typing_ms,
            status=status, created_at=stamp, updated_at=stamp, timestamps={status.value: stamp},
            history=[StatusChange(status=status, at=stamp)], metadata=metadata,
            sealed=sealed, **parties(chat, inbound=False))
        self._check_size(message)
        self._messages.create(message, self._account.message_charges(caller.tenant_id, now))
        try:
            self._enqueue(message, schedule_at, now)
        except Exception as exc:  # never leave an accepted message silently unsent
            log.exception("enqueue failed for %s", message.id)
            self._messages.transition(message.tenant_id, message.id, MessageStatus.FAILED,
                                      reason="enqueue_failed")
            raise Unavailable("could not queue the message; it was not sent",
                              code="queue_unavailable") from exc
        return message

    @staticmethod
    def _check_size(message: Message) -> None:
        """Refuse a message whose stored record would be too large (``MAX_RECORD_BYTES``, well
        under DynamoDB's item limit), naming the largest part the caller gave."""
        dumped = message.model_dump(mode="json")
        total = RECORD_KEYS_BYTES + stored_bytes(dumped)
        if total <= MAX_RECORD_BYTES:
            return
        parts = {"content": stored_bytes(dumped["content"]) + stored_bytes(dumped["text"]),
                 "metadata": stored_bytes(dumped["metadata"]),
                 "reply_to": stored_bytes(dumped["quoted"])}
        largest = max(parts, key=lambda name: parts[name])
        name = {"content": "text" if message.type == "text" else message.type}.get(largest,
                                                                                    largest)
        raise ValidationFailed.field(name, f"makes the message too large ({total} bytes; at "
                                     f"most {MAX_RECORD_BYTES} bytes in all)")

    def _timing(self, draft: Draft, now: datetime) -> tuple[datetime | None, datetime | None]:
        schedule_at = _utc(draft.schedule_at) if draft.schedule_at else None
        if schedule_at is not None:
            if schedule_at < now - PAST_TOLERANCE:
                raise ValidationFailed.field("schedule_at", "is in the past")
            if schedule_at > now + MAX_SCHEDULE_AHEAD:
                raise ValidationFailed.field("schedule_at", "may be at most 35 days ahead")
            if schedule_at <= now:
                schedule_at = None  # due now (never early: a later one waits its delay)
        if draft.expires_at and draft.ttl_seconds:
            raise ValidationFailed.field("ttl_seconds", "give expires_at or ttl_seconds, not both")
        expires_at = _utc(draft.expires_at) if draft.expires_at else (
            now + timedelta(seconds=draft.ttl_seconds) if draft.ttl_seconds else None)
        if expires_at is not None:
            name = "expires_at" if draft.expires_at else "ttl_seconds"
            if expires_at <= now:
                raise ValidationFailed.field(name, "is in the past")
            if schedule_at and expires_at <= schedule_at:
                raise ValidationFailed.field(name, "is not after schedule_at")
        return schedule_at, expires_at

    def _content(self, caller: Principal, draft: Draft, message_id: str) -> Any:
        body = dict(draft.body)
        if draft.template_id:
            filled = self._templates.render(caller, draft.template_id, draft.variables)
            key = "text" if draft.type in ("text", "list") else "caption"
            if draft.type not in ("text", "list", "image", "video", "document"):
                raise ValidationFailed.field("template_id",
                                             f"cannot fill a {draft.type} message")
            body[key] = filled
        if draft.type == "text":
            body["mentions"] = [str(parse_jid(m, f"mentions[{i}]"))
                                for i, m in enumerate(body.get("mentions", []))]
        elif draft.type in MEDIA_TYPES:
            if draft.media is None:
                raise ValidationFailed.field(draft.type, "is required for this type")
            stored: StoredMedia = self._media.ingest(caller.tenant_id, message_id, draft.type,
                                                     draft.media, draft.type)
            body["media"] = stored.model_dump()
            if draft.type == "document":
                body["filename"] = body.get("filename") or stored.filename or "document"
        elif draft.type == "contact":
            body["contacts"] = [
                {"name": c["name"], "vcard": c.get("vcard") or vcard(c["name"], c.get("phone"))}
                if isinstance(c, dict) and "name" in c else c
                for c in body.get("contacts", [])]
        elif draft.type == "reaction":
            target_id = body.pop("message_id", None)
            if not target_id:
                raise ValidationFailed.field("reaction.message_id", "is required")
            body["target"] = self._quote(caller, target_id, "reaction.message_id").model_dump()
        try:
            return _CONTENT.validate_python({**body, "type": draft.type})
        except ValidationError as exc:
            prefix = "" if draft.type == "text" else f"{draft.type}."
            details = [{"field": prefix + (field_path(e["loc"][1:]) or "type"), "message": e["msg"]}
                       for e in exc.errors()]
            raise ValidationFailed("; ".join(f"{d['field']}: {d['message']}" for d in details),
                                   details=details) from exc

    def _quote(self, caller: Principal, message_id: str, field_name: str) -> Quote:
        """An earlier message of the tenant, as WhatsApp needs it to quote or react."""
        target = self._messages.get(caller.tenant_id, message_id)
        if target is None:
            raise ValidationFailed.field(field_name, "no such message")
        if not target.engine_message_id:
            raise ValidationFailed.field(field_name, "that message has not reached WhatsApp")
        outbound = target.direction == Direction.OUTBOUND
        return Quote(message_id=target.id, engine_message_id=target.engine_message_id,
                     chat=target.chat, sender=None if outbound else target.sender,
                     from_me=outbound, text=target.text)

    def _enqueue(self, message: Message, schedule_at: datetime | None, now: datetime) -> None:
        lane = self._lanes[message.priority.value]
        body = {"tenant_id": message.tenant_id, "message_id": message.id}
        if schedule_at is None:
            lane.send(body)
            return
        delay = math.ceil((schedule_at - now).total_seconds())  # never early: round up
        if delay <= SQS_MAX_DELAY_S:
            lane.send(body, delay_seconds=delay)
        else:  # the scheduler counts whole seconds: the next one, never the one before
            at = schedule_at if schedule_at.microsecond == 0 else \
                schedule_at.replace(microsecond=0) + timedelta(seconds=1)
            self._scheduler.schedule(_schedule_name(message.id), at, lane.arn, body)

    # --- reading ---

    def get(self, caller: Principal, message_id: str) -> Message:
        message = self._messages.get(caller.tenant_id, message_id)
        if message is None:
            raise NotFound("message not found")
        return message

    def list(self, caller: Principal, session_id: str | None, chat: str | None, limit: int,
             cursor: str | None) -> Page:
        if chat and not session_id:
            raise ValidationFailed.field("session_id", "is required with chat")
        chat_jid = str(parse_jid(chat, "chat")) if chat else None
        return self._messages.list(caller.tenant_id, session_id, chat_jid, limit, cursor)

    def media(self, caller: Principal, message_id: str) -> tuple[StoredMedia, bytes | str]:
        """A message's media: the bytes when small, else a short-lived download link."""
        message = self.get(caller, message_id)
        stored = (message.content or {}).get("media")
        if not stored:
            raise NotFound("this message has no media")
        media = StoredMedia.model_validate(stored)
        if media.size <= INLINE_MEDIA_MAX:
            return media, self._media.read(caller.tenant_id, media)
        return media, self._media.link(caller.tenant_id, media)

    # --- changing ---

    def cancel(self, caller: Principal, message_id: str) -> Message:
        message = self.get(caller, message_id)
        canceled = self._messages.transition(caller.tenant_id, message_id,
                                             MessageStatus.CANCELED, reason="canceled")
        if canceled is None:
            raise Conflict(f"a {message.status.value} message cannot be canceled",
                           code="not_cancelable")
        if message.status == MessageStatus.SCHEDULED:
            self._scheduler.cancel(_schedule_name(message_id))
        self._publish_changes(canceled)
        return canceled

    def forward(self, caller: Principal, message_id: str, to: str,
                session_id: str | None) -> Message:
        original = self.get(caller, message_id)
        if not original.content or original.type == "reaction":
            raise ValidationFailed.field("message_id", f"a {original.type} cannot be forwarded")
        content = _CONTENT.validate_python(original.content)
        chat = parse_jid(to, "to")
        return self._accept(caller, ids.new_id(), session_id or original.session_id, str(chat),
                            content, clock.now(), None, None, Priority.NORMAL, 0, None,
                            {"forwarded_from": original.id})

    def act(self, caller: Principal, message_id: str, action: str,
            args: dict[str, Any]) -> Message:
        """Edit, delete for everyone, or star a message on WhatsApp."""
        message = self.get(caller, message_id)
        if not message.engine_message_id:
            raise Conflict(f"a {message.status.value} message is not on WhatsApp yet",
                           code="not_sent")
        outbound = message.direction == Direction.OUTBOUND
        if action in ("edit", "revoke") and not outbound:
            raise Conflict(f"only messages this session sent can be {action}ed",
                           code="not_own_message")
        if action == "edit" and message.type != "text":
            raise Conflict("only text messages can be edited", code="not_editable")
        if action == "edit":
            try:
                Text(text=args["text"])
            except ValidationError as exc:
                raise ValidationFailed.field("text", exc.errors()[0]["msg"]) from exc
        session = self._sessions.get(caller.tenant_id, message.session_id)
        if session is None:
            raise NotFound("the message's session no longer exists")
        target = {"chat": message.chat, "engine_message_id": message.engine_message_id}
        if action == "edit":
            op: LiveOp = EditMessage(**target, text=args["text"])
        elif action == "revoke":
            op = RevokeMessage(**target)
        else:
            op = StarMessage(**target, from_me=outbound, starred=bool(args.get("starred", True)))
        self._live.on(session, op)
        now = clock.now_iso()
        if action == "edit":
            fields: dict[str, Any] = {"text": args["text"], "content": {
                **(message.content or {}), "text": args["text"]}, "edited_at": now}
        elif action == "revoke":
            fields = {"revoked_at": now}
        else:
            fields = {"starred": bool(args.get("starred"))}
        return self._messages.update_fields(caller.tenant_id, message_id, fields)

    def sandbox_change(self, caller: Principal, session_id: str, message_id: str,
                       kind: ChangeKind, sender: Jid, text: str | None) -> LiveResult:
        """A sandbox session's phone reacts to, edits or deletes for everyone (``kind``
        reaction, edited, revoked) one of the session's messages, named by our id."""
        session = self._sessions.get(caller.tenant_id, session_id)
        if session is None:
            raise NotFound("session not found")
        message = self._messages.get(caller.tenant_id, message_id)
        if message is None or message.session_id != session_id:
            raise NotFound("message not found")
        require_sandbox(session)
        if not message.engine_message_id:
            raise Conflict(f"a {message.status.value} message is not on WhatsApp yet",
                           code="not_sent")
        return self._live.on(session, sandbox.Change(
            sender=str(sender), kind=kind, engine_message_id=message.engine_message_id,
            text=text))

    # --- send worker ---

    def deliver(self, tenant_id: str, message_id: str, receive_count: int,
                lane: str = "normal", attempt: int = 1, waiting_since: str | None = None) -> None:
        """Hand one due message to its session's host, never twice.

        ``attempt`` and ``waiting_since`` come with the records this method queues itself
        while the session cannot send (see ``_wait_for_session``). Raises RetryLater when
        nothing was sent and that record could not be queued (the record then comes back).
        """
        message = self._messages.get(tenant_id, message_id)
        if message is None or message.status not in (MessageStatus.QUEUED,
                                                      MessageStatus.SCHEDULED):
            return  # deleted, canceled, or a redelivery of a claimed message: never twice
        now = clock.now()
        if message.schedule_at:
            due = clock.parse(message.schedule_at)
            if due > now:  # early (long waits hop through SQS): never send before its time
                wait = min(math.ceil((due - now).total_seconds()), SQS_MAX_DELAY_S)
                self._lanes[lane].send({"tenant_id": tenant_id, "message_id": message_id},
                                       delay_seconds=wait)
                return
        if message.expires_at and \
                clock.parse(message.expires_at) <= now:
            self._end(message, MessageStatus.EXPIRED, "expired")
            return
        if self._opted_out(message):
            self._fail(message, "opted_out", "the recipient opted out of marketing messages")
            return
        session = self._sessions.get(tenant_id, message.session_id)
        if session is None:
            self._fail(message, "session_deleted")
            return
        why = not_ready(session)
        if why is not None:
            self._fail(message, *why)
            return
        try:
            content = self._unsealed(message)
        except ValueError:
            self._fail(message, "sealed_unreadable", "the message's concealed content cannot "
                       "be opened with this deployment's pepper (WAGATE_OTP_PEPPER changed?)")
            return
        claimed = self._messages.transition(tenant_id, message_id, MessageStatus.SENDING,
                                            attempts=attempt)
        if claimed is None:
            return  # another worker claimed it first
        try:
            self._fleet.send(session, claimed if content is None else
                             claimed.model_copy(update={"content": content, "sealed": None}))
        except (SessionUnavailable, OutcomeUnknown) as exc:
            self._wait_for_session(claimed, exc, lane, attempt, receive_count,
                                   waiting_since or clock.iso(now))
        except AppError as exc:
            if exc.code == "expired":
                self._end(claimed, MessageStatus.EXPIRED, "expired")
            else:
                self._fail(claimed, exc.code, exc.message)

    def _unsealed(self, message: Message) -> dict[str, Any] | None:
        """The real content of a message with concealed parts (None for any other)."""
        if message.sealed is None:
            return None
        content: dict[str, Any] = json.loads(self._sealer.open(message.sealed))
        return content

    def _opted_out(self, message: Message) -> bool:
        """A marketing message to a number on the opt-out list (one read; none otherwise)."""
        if message.category != "marketing" or self._opt_outs is None:
            return False
        phone = phone_of(message.to or message.chat)
        return phone is not None and self._opt_outs.is_opted_out(message.tenant_id, phone)

    def _wait_for_session(self, claimed: Message, exc: AppError, lane: str, attempt: int,
                          receive_count: int, waiting_since: str) -> None:
        """The host could not take the message. If no send began (no send token on it: the
        host refused, was unreachable, or died before handing it to its engine), it goes
        back to the queue and is tried again soon, for at most SESSION_WAIT; if one began,
        it may have gone out: it stays visibly in "sending" (receipts may still resolve
        it, else the reconciler ends it) and is never sent again."""
        requeued = self._messages.transition(claimed.tenant_id, claimed.id,
                                             MessageStatus.QUEUED, reason=exc.code)
        if requeued is None:
            log.warning("send of %s has an unknown outcome (%s); left in sending", claimed.id,
                        exc.message)
            return
        since = clock.parse(waiting_since)
        waited = clock.now() - since
        if waited >= SESSION_WAIT or receive_count >= self._max_attempts:
            self._fail(requeued, exc.code, f"{exc.message} (gave up after "
                       f"{int(waited.total_seconds())} s and {attempt} attempt(s))")
            return
        body = {"tenant_id": claimed.tenant_id, "message_id": claimed.id,
                "attempt": attempt + 1, "waiting_since": waiting_since}
        try:
            self._lanes[lane].send(body, delay_seconds=retry_delay(attempt))
        except Exception as error:  # this record comes back instead (a queue hiccup)
            raise RetryLater(f"could not queue try {attempt + 1} of {claimed.id}") from error

    def fail_poison(self, tenant_id: str, message_id: str, error: str) -> None:
        """The record failed on its last delivery: it goes to the DLQ, the message FAILED."""
        message = self._messages.get(tenant_id, message_id)
        if message is not None:
            self._fail(message, "poison", error)

    def reconcile(self) -> int:
        """Resolve messages stuck in "sending". One that no engine was handed (no send token:
        a worker or host died before the hand-over) goes back to the queue; one that an
        engine may have sent ends FAILED with reason ``outcome_unknown`` — never sent
        again, never left hanging. Scheduled messages long past due (a schedule or record
        that got lost) are queued again; the conditional claim keeps that from ever
        sending one twice."""
        cutoff = clock.iso(clock.now() - STUCK_AFTER)
        resolved = 0
        for message in self._messages.overdue(cutoff):
            self._lanes[message.priority.value].send({"tenant_id": message.tenant_id,
                                                      "message_id": message.id})
            resolved += 1
        for message in self._messages.inflight(cutoff):
            if self._messages.transition(message.tenant_id, message.id, MessageStatus.QUEUED,
                                         reason="requeued") is not None:
                self._lanes[message.priority.value].send({"tenant_id": message.tenant_id,
                                                          "message_id": message.id})
                resolved += 1
                continue
            failed = self._messages.transition(
                message.tenant_id, message.id, MessageStatus.FAILED, reason="outcome_unknown",
                error={"code": "outcome_unknown",
                       "message": "the session host did not confirm the send"})
            if failed is not None:
                resolved += 1
                self._publish_changes(failed)
        return resolved

    def _fail(self, message: Message, reason: str, detail: str | None = None) -> None:
        self._end(message, MessageStatus.FAILED, reason,
                  error={"code": reason, "message": detail or reason})

    def _end(self, message: Message, status: MessageStatus, reason: str,
             **fields: Any) -> None:
        ended = self._messages.transition(message.tenant_id, message.id, status, reason=reason,
                                          **fields)
        if ended is not None:
            self._publish_changes(ended)


    def _publish_changes(self, message: Message) -> None:
        for event in status_changes(message):
            self._events.publish(event)
