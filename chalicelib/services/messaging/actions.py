"""What callers do with accepted messages: read, find, search, list, media, cancel, edit,
revoke, star."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib.domain import clock
from chalicelib.domain.auth import Principal
from chalicelib.domain.content import (
    StoredMedia,
    Text,
)
from chalicelib.domain.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from chalicelib.domain.jids import Jid, parse_jid
from chalicelib.domain.live import LiveOp, LiveResult, sandbox
from chalicelib.domain.live.messages import EditMessage, RevokeMessage, StarMessage
from chalicelib.domain.messages import (
    ChangeKind,
    Direction,
    Message,
    MessageStatus,
)
from chalicelib.domain.paging import MAX_LIMIT, Page, collect
from chalicelib.domain.sessions import require_sandbox
from chalicelib.services.messaging.common import (
    INLINE_MEDIA_MAX,
    MessagingCore,
    _schedule_name,
)

SEARCH_SCAN = 1_000  # the newest messages a search reads, at most


class MessageActions(MessagingCore):
    """Reading, canceling, editing, deleting for everyone, starring; sandbox changes."""

    def list(self, caller: Principal, session_id: str | None, chat: str | None, limit: int,
             cursor: str | None) -> Page:
        if chat and not session_id:
            raise ValidationFailed.field("session_id", "is required with chat")
        chat_jid = str(parse_jid(chat, "chat")) if chat else None
        return self._messages.list(caller.tenant_id, session_id, chat_jid, limit, cursor)

    def find(self, caller: Principal, session_id: str, ref: str) -> Message:
        """A message of the session named by our id or by WhatsApp's id for it (404
        otherwise, and for another session's message)."""
        message = self._messages.get(caller.tenant_id, ref) if ref else None
        if message is None and ref:
            message = self._messages.by_engine_id(caller.tenant_id, session_id, ref)
        if message is None or message.session_id != session_id:
            raise NotFound("message not found")
        return message

    def search(self, caller: Principal, session_id: str | None, query: str,
               chat: str | None, limit: int) -> list[Message]:
        """Up to ``limit`` messages whose text contains ``query`` (case-insensitive), newest
        first, among the newest ``SEARCH_SCAN`` of the session (or of one of its chats)."""
        if not query.strip():
            raise ValidationFailed.field("q", "is required")
        if chat and not session_id:
            raise ValidationFailed.field("session_id", "is required with chat")
        chat_jid = str(parse_jid(chat, "chat")) if chat else None
        wanted = query.strip().casefold()
        scanned = collect(lambda cursor: self._messages.list(
            caller.tenant_id, session_id, chat_jid, MAX_LIMIT, cursor), SEARCH_SCAN)
        return [m for m in scanned if wanted in (m.text or "").casefold()][:limit]

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
