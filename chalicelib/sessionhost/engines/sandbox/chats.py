"""The sandbox's chats: what the fake network does when a session changes a chat (it keeps
each chat's archived, pinned and muted state, and what was acknowledged as read), the phone's
owner changing a chat (``sandbox.chat_change``), and the history it offers a session's first
pairing: a few chats with messages, some older than any sensible bound."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live import Done
from chalicelib.domain.live.chats import (
    ArchiveChat,
    ChatChanged,
    ClearChat,
    DeleteChat,
    HistoryChat,
    HistoryMessage,
    HistorySynced,
    MarkRead,
    MarkUnread,
    MuteChat,
    PhoneChangesChat,
    PinChat,
    SendChatState,
)
from chalicelib.domain.live.sandbox import Played
from chalicelib.sessionhost.engines.base import EngineSession
from chalicelib.sessionhost.engines.sandbox.core import SandboxCore, _Connection


@dataclass
class _ChatState:
    archived: bool = False
    pinned: bool = False
    muted_until: str | None = None


def sandbox_history(session_id: str, now: datetime) -> list[HistoryChat]:
    """The history the sandbox offers a newly paired session (same shape every time, ids
    unique per session): Alice (five recent messages and one of 40 days ago), Bob (archived,
    one recent message and one of 45 days ago) and a pinned group (three messages)."""
    tag = hashlib.sha256(session_id.encode()).hexdigest()[:8].upper()
    count = iter(range(1, 100))

    def message(ago: timedelta, text: str, from_me: bool = False, sender: str | None = None,
                name: str | None = None) -> HistoryMessage:
        return HistoryMessage(engine_message_id=f"3EB0H{tag}{next(count):03d}", from_me=from_me,
                              sender=sender, push_name=name, text=text,
                              sender_phone=f"+{sender.split('@')[0]}"
                              if sender and sender.endswith("@s.whatsapp.net") else None,
                              timestamp=now - ago)

    alice, bob, carol = "14155550111@s.whatsapp.net", "14155550122@s.whatsapp.net", \
        "14155550133@s.whatsapp.net"
    return [
        HistoryChat(chat=alice, name="Alice", unread_count=2, messages=[
            message(timedelta(days=40), "Happy new year!", sender=alice, name="Alice"),
            message(timedelta(days=2), "Is the shop open on Sunday?", sender=alice,
                    name="Alice"),
            message(timedelta(days=2) - timedelta(minutes=5), "Yes, 10 to 4.", from_me=True),
            message(timedelta(hours=5), "Great, see you then", sender=alice, name="Alice"),
            message(timedelta(hours=2), "Do you have the blue one?", sender=alice,
                    name="Alice"),
            message(timedelta(hours=1), "In size M?", sender=alice, name="Alice"),
        ]),
        HistoryChat(chat=bob, name="Bob", archived=True, messages=[
            message(timedelta(days=45), "Thanks for the order", from_me=True),
            message(timedelta(days=3), "Invoice received", sender=bob, name="Bob"),
        ]),
        HistoryChat(chat="120363000000000001@g.us", name="Team", pinned=True, messages=[
            message(timedelta(days=1), "Stock count tomorrow", sender=carol, name="Carol"),
            message(timedelta(hours=20), "I'll be there", from_me=True),
            message(timedelta(hours=3), "Keys are at the desk", sender=carol, name="Carol"),
        ]),
    ]


class ChatsPart(SandboxCore):
    offer_history = False  # offer ``sandbox_history`` on a first pairing (make run: on)

    def _chat(self, session: EngineSession, chat: str) -> _ChatState:
        chats = self._part("chats", dict)
        with self._lock:
            return chats.setdefault((*self._key(session), chat), _ChatState())  # type: ignore[no-any-return]

    def chats_read(self, session: EngineSession, op: MarkRead) -> Done:
        self._connected(session)
        self.actions.append((session.session_id, "read", op.chat,
                             [m.engine_message_id for m in op.messages]))
        return Done()

    def chats_unread(self, session: EngineSession, op: MarkUnread) -> Done:
        self._connected(session)
        self.actions.append((session.session_id, "unread", op.chat, None))
        return Done()

    def chats_archive(self, session: EngineSession, op: ArchiveChat) -> Done:
        self._connected(session)
        self._chat(session, op.chat).archived = op.archived
        self.actions.append((session.session_id, "archive", op.chat, op.archived))
        return Done()

    def chats_pin(self, session: EngineSession, op: PinChat) -> Done:
        self._connected(session)
        self._chat(session, op.chat).pinned = op.pinned
        self.actions.append((session.session_id, "pin", op.chat, op.pinned))
        return Done()

    def chats_mute(self, session: EngineSession, op: MuteChat) -> Done:
        self._connected(session)
        self._chat(session, op.chat).muted_until = (op.until or "forever") if op.muted else None
        self.actions.append((session.session_id, "mute", op.chat, op.until if op.muted else None))
        return Done()

    def chats_delete(self, session: EngineSession, op: DeleteChat) -> Done:
        self._connected(session)
        chats = self._part("chats", dict)
        with self._lock:
            chats.pop((*self._key(session), op.chat), None)
        self.actions.append((session.session_id, "delete_chat", op.chat, None))
        return Done()

    def chats_clear(self, session: EngineSession, op: ClearChat) -> Done:
        self._connected(session)
        self.actions.append((session.session_id, "clear_chat", op.chat, None))
        return Done()

    def chats_state(self, session: EngineSession, op: SendChatState) -> Done:
        self._connected(session)
        self.actions.append((session.session_id, "chat_state", op.chat, op.state))
        return Done()

    # --- the phone's side ---

    def sandbox_chat_change(self, session: EngineSession, op: PhoneChangesChat) -> Played:
        connection = self._connected(session)
        chat = str(parse_jid(op.chat, "chat_id"))
        state = self._chat(session, chat)
        if op.archived is not None:
            state.archived = op.archived
        if op.pinned is not None:
            state.pinned = op.pinned
        if op.muted_until or op.unmuted:
            state.muted_until = None if op.unmuted else op.muted_until
        connection.listener.on_update(ChatChanged(
            chat=chat, archived=op.archived, pinned=op.pinned, muted_until=op.muted_until,
            unmuted=op.unmuted, read=op.read))
        return Played()

    def _pair(self, connection: _Connection, phone: str) -> None:
        super()._pair(connection, phone)
        if self.offer_history:
            connection.listener.on_update(HistorySynced(
                chats=sandbox_history(connection.session.session_id, datetime.now(UTC))))
