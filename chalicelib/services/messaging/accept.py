"""Accepting messages: checks, content, storage, the queue (or a schedule)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.content import (
    MAX_RECORD_BYTES,
    MEDIA_TYPES,
    Quote,
    StoredMedia,
    masked,
    summary,
)
from chalicelib.domain.errors import (
    Conflict,
    Unavailable,
    ValidationFailed,
    field_path,
)
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.media import ANY_MEDIA
from chalicelib.domain.messages import (
    MESSAGE_EXISTS,
    Direction,
    Message,
    MessageStatus,
    Priority,
    StatusChange,
    parties,
)
from chalicelib.domain.optouts import Category
from chalicelib.domain.sessions import Session, not_ready_error
from chalicelib.domain.text import utf8_bytes
from chalicelib.domain.vcard import vcard
from chalicelib.services.messaging.common import (
    _CONTENT,
    MAX_SCHEDULE_AHEAD,
    METADATA_KEY_MAX_BYTES,
    METADATA_MAX_ENTRIES,
    METADATA_VALUE_MAX_BYTES,
    PAST_TOLERANCE,
    RECORD_KEYS_BYTES,
    SQS_MAX_DELAY_S,
    Draft,
    MessagingCore,
    Outgoing,
    _schedule_name,
    _utc,
    log,
    stored_bytes,
)


class Accepting(MessagingCore):
    """Accepting messages: every type, templates, scheduling, expiry, priority; forwards."""

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
        if draft.type in MEDIA_TYPES or draft.type == ANY_MEDIA:  # before any upload
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

    def compose(self, caller: Principal, draft: Draft, key: str) -> dict[str, Any]:
        """A draft's content checked and its media stored once (under ``key``), as JSON: the
        prototype a batch fills per recipient (``accept_batch``)."""
        return dict(self._content(caller, draft, key).model_dump(mode="json"))

    def accept_batch(self, tenant_id: str, releases: Sequence[Outgoing]) -> int:
        """Store and queue a batch of messages on the bulk lane (batch writes, ten records to
        a queue call): the ones stored already are queued again, never stored twice (a
        redone release); a content the variables made invalid is stored failed
        (``invalid_content``). Charges the tenant's counters once for the new ones
        (QuotaExceeded, nothing stored, when they would pass a limit). Returns how many were
        new."""
        now = clock.now()
        stored = self._messages.existing(tenant_id, [r.message_id for r in releases])
        fresh = [self._released(tenant_id, r, now) for r in releases
                 if r.message_id not in stored]
        if fresh:
            self._messages.charge(tenant_id, self._account.message_charges(tenant_id, now),
                                  len(fresh))
            self._messages.create_many(fresh)
        failed = {m.id for m in fresh if m.status == MessageStatus.FAILED}
        self._lanes[Priority.BULK.value].send_many([
            ({"tenant_id": tenant_id, "message_id": r.message_id}, r.delay_s)
            for r in releases if r.message_id not in failed])
        for message in fresh:
            if message.status == MessageStatus.FAILED:
                self._publish_changes(message)
        return len(fresh)

    def _released(self, tenant_id: str, release: Outgoing, now: datetime) -> Message:
        stamp = clock.iso(now)
        status, error = MessageStatus.QUEUED, None
        try:
            content = _CONTENT.validate_python(release.content)
        except ValidationError as exc:
            status = MessageStatus.FAILED
            error = {"code": "invalid_content", "message": "; ".join(
                f"{field_path(e['loc'][1:]) or 'content'}: {e['msg']}" for e in exc.errors())}
            content = None
        message = Message(
            id=release.message_id, tenant_id=tenant_id, session_id=release.session_id,
            direction=Direction.OUTBOUND, chat=release.to,
            type=str(release.content.get("type", "text")),
            text=summary(content) if content else None,
            content=content.model_dump(mode="json") if content else release.content,
            priority=Priority.BULK, category=release.category,
            expires_at=clock.iso(release.expires_at) if release.expires_at else None,
            typing_ms=release.typing_ms, status=status, created_at=stamp, updated_at=stamp,
            timestamps={status.value: stamp}, error=error,
            history=[StatusChange(status=status, at=stamp,
                                  reason="invalid_content" if error else None)],
            campaign_id=release.campaign_id, **parties(release.to, inbound=False))
        if error is None:
            try:
                self._check_size(message)
            except ValidationFailed as exc:
                return message.model_copy(update={
                    "status": MessageStatus.FAILED, "content": None,
                    "timestamps": {MessageStatus.FAILED.value: stamp},
                    "error": {"code": "invalid_content", "message": exc.message},
                    "history": [StatusChange(status=MessageStatus.FAILED, at=stamp,
                                             reason="invalid_content")]})
        return message

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
        """The draft's typed content (a ``media`` draft takes the type its file suits)."""
        body = dict(draft.body)
        kind = draft.type
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
        elif draft.type in MEDIA_TYPES or draft.type == ANY_MEDIA:
            if draft.media is None:
                raise ValidationFailed.field(draft.type, "is required for this type")
            stored: StoredMedia
            if draft.type == ANY_MEDIA:
                kind, stored = self._media.ingest_any(caller.tenant_id, message_id, draft.media,
                                                      draft.type)
            else:
                stored = self._media.ingest(caller.tenant_id, message_id, draft.type,
                                            draft.media, draft.type)
            body["media"] = stored.model_dump()
            if kind == "document":
                body["filename"] = body.get("filename") or stored.filename or "document"
            elif draft.type == ANY_MEDIA:
                body.pop("filename", None)
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
            return _CONTENT.validate_python({**body, "type": kind})
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
        else:
            self._scheduler.schedule(_schedule_name(message.id), schedule_at, lane.arn, body)

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
