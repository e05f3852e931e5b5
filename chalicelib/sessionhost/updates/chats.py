"""The host's part for chats and labels: each chat's last message, activity and unread count
as messages come in (``_chat_received``) and go out (``_chat_sent``), one write per message;
changes made on the phone (``chats.changed``, ``labels.*``: stored, labels published); and the
history WhatsApp sends after pairing (``chats.history``): imported within the host's bounds
(days back, messages per chat), each message stored once (by its engine id, as live inbound
messages are) and published as nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from chalicelib.domain import clock, events, ids
from chalicelib.domain.chats import PREVIEW_BYTES, LastMessage, StoredLabel
from chalicelib.domain.jids import GROUP_SERVER
from chalicelib.domain.live.chats import (
    HISTORY_CHATS,
    HISTORY_MESSAGES,
    ChatChanged,
    HistoryChat,
    HistoryMessage,
    HistorySynced,
    kept_history,
)
from chalicelib.domain.live.labels import LabelChanged, LabelChatChanged
from chalicelib.domain.messages import Direction, Message, MessageStatus, StatusChange
from chalicelib.domain.text import clip
from chalicelib.services.ports import ChatRepo
from chalicelib.sessionhost.core import HostCore, Running
from chalicelib.sessionhost.engines.base import ENGINE_ID_MAX_BYTES, INBOUND_MAX_BYTES

log = logging.getLogger("wagate.host")


class ChatsUpdates(HostCore):
    _chats: ChatRepo | None
    _history_bounds: tuple[int, int]  # (days back, messages per chat)

    # --- a chat's activity, from the host's message paths ---

    def _chat_received(self, running: Running, message: Message) -> None:
        """An inbound message was stored: its chat's last message, one more unread."""
        name = message.push_name if not message.chat.endswith(GROUP_SERVER) else None
        self._touch(running, message.chat, LastMessage.of(message, message.created_at), 1,
                    name)

    def _chat_sent(self, running: Running, message: dict[str, Any], engine_id: str) -> None:
        """An outbound message was sent: its chat's last message."""
        at = clock.now_iso()
        text = message.get("text")
        last = LastMessage(id=message["id"], engine_message_id=engine_id,
                           direction=Direction.OUTBOUND,
                           type=(message.get("content") or {}).get("type") or "text",
                           text=clip(text, PREVIEW_BYTES) if text else None, at=at)
        self._touch(running, message["chat"], last, 0, None)

    def _touch(self, running: Running, chat: str, last: LastMessage, unread: int,
               name: str | None) -> None:
        if self._chats is None:
            return
        try:
            self._chats.touch(running.tenant_id, running.session_id, chat, last, unread, name)
        except Exception:  # the chat list lags; the message itself is stored and published
            log.exception("could not update chat %s of %s/%s", chat, *running.key)

    # --- what the phone changed ---

    def _on_chats_changed(self, running: Running, update: ChatChanged) -> None:
        if self._chats is None:
            return
        key = (running.tenant_id, running.session_id, update.chat)
        if update.deleted or update.cleared:
            self._chats.clear(*key, ids.floor_id(clock.now()), delete=update.deleted)
            return
        sets: dict[str, Any] = {}
        remove: tuple[str, ...] = ()
        if update.archived is not None:
            sets["archived"] = update.archived
        if update.pinned is not None:
            sets["pinned"] = update.pinned
        if update.unmuted:
            remove = ("muted_until",)
        elif update.muted_until:
            sets["muted_until"] = update.muted_until
        if update.read:
            sets["unread_count"] = 0
        elif update.read is False:
            chat = self._chats.get(*key)
            if chat is None or chat.unread_count == 0:
                sets["unread_count"] = 1  # marked unread: shown as one unread message
        if sets or remove:
            self._chats.change(*key, sets, remove=remove)

    def _on_labels_changed(self, running: Running, update: LabelChanged) -> None:
        if self._chats is None:
            return
        tenant_id, session_id = running.key
        old = self._chats.get_label(tenant_id, session_id, update.id)
        if update.deleted:
            self._chats.delete_label(tenant_id, session_id, update.id)
            change = "deleted"
            name, color = (old.name, old.color) if old else (None, None)
        else:
            now = clock.now_iso()
            name = update.name or (old.name if old else update.id)
            color = update.color if update.color is not None else (old.color if old else 0)
            self._chats.put_label(tenant_id, StoredLabel(
                session_id=session_id, id=update.id, name=name, color=color,
                created_at=old.created_at if old else now, updated_at=now))
            change = "updated" if old else "created"
        self._events.publish(events.label_changed(tenant_id, session_id, change, update.id,
                                                  name=name, color=color, source="phone"))

    def _on_labels_chat(self, running: Running, update: LabelChatChanged) -> None:
        if self._chats is None:
            return
        self._chats.label_chat(*running.key, update.chat, update.id, update.on)
        self._events.publish(events.label_chat(*running.key, update.id, update.chat, update.on,
                                               source="phone"))

    # --- history after pairing ---

    def _on_chats_history(self, running: Running, update: HistorySynced) -> None:
        """Import the chats and messages of a history sync within the host's bounds; nothing
        is published (these are not new messages)."""
        days, per_chat = self._history_bounds
        now = datetime.now(UTC)
        stored = 0
        for chat in update.chats[:HISTORY_CHATS]:
            kept = kept_history(chat.messages[:HISTORY_MESSAGES], now, days, per_chat)
            if not kept:
                continue  # nothing of it within the bounds
            last = None
            for item in kept:
                if len(item.engine_message_id) > ENGINE_ID_MAX_BYTES:
                    continue  # no WhatsApp id: nothing to store it once by
                message = _history_message(running, chat, item)
                if self._messages.store_inbound(message, self.host_id, running.fence):
                    stored += 1
                last = message
            if self._chats is not None and last is not None:
                self._chats.merge_history(
                    running.tenant_id, running.session_id, chat.chat, at=last.created_at,
                    last=LastMessage.of(last, last.created_at), name=chat.name,
                    unread_count=max(chat.unread_count, 0), archived=chat.archived,
                    pinned=chat.pinned, muted_until=chat.muted_until)
        log.info("history of %s/%s: %d messages stored", *running.key, stored)


def _history_message(running: Running, chat: HistoryChat, item: HistoryMessage) -> Message:
    """A history message as wagate stores it: its id sorts by when it was written (so a
    chat's messages list in order), inbound "received" or outbound "sent"."""
    at = clock.iso(item.timestamp)
    status = MessageStatus.SENT if item.from_me else MessageStatus.RECEIVED
    text = clip(item.text, INBOUND_MAX_BYTES["text"]) if item.text else None
    return Message(
        id=str(ULID.from_datetime(item.timestamp)), tenant_id=running.tenant_id,
        session_id=running.session_id,
        direction=Direction.OUTBOUND if item.from_me else Direction.INBOUND, chat=chat.chat,
        type=item.type, text=text,
        content={"type": "text", "text": text} if item.type == "text" and text else None,
        sender=None if item.from_me else item.sender,
        sender_phone=None if item.from_me else item.sender_phone,
        push_name=clip(item.push_name, INBOUND_MAX_BYTES["push_name"]) if item.push_name
        else None,
        status=status, engine_message_id=item.engine_message_id, created_at=at, updated_at=at,
        timestamps={status.value: at}, history=[StatusChange(status=status, at=at)])
