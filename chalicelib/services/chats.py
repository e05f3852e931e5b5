"""A session's chats: the list and each chat's messages from wagate's own store (whatever the
session's state), and what changes a chat on WhatsApp (mark read or unread, archive, pin,
mute, delete, clear, chat state) as live operations, recorded in the store once WhatsApp took them.

Clear and delete never remove wagate's message records (they are the tenant's log of what was
sent and received, with statuses, on ``/v1/messages``): the chat's own message list starts
after the clear or delete, a delete also takes the chat off the chat list until its next
message.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.chats import Chat
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live.chats import (
    READ_MARKS,
    ArchiveChat,
    ChatState,
    ClearChat,
    DeleteChat,
    MarkRead,
    MarkUnread,
    MuteChat,
    PinChat,
    ReadMark,
    SendChatState,
    mute_until,
)
from chalicelib.domain.messages import Direction
from chalicelib.domain.paging import Page
from chalicelib.domain.sessions import Session
from chalicelib.services.live import LiveService
from chalicelib.services.ports import ChatRepo, MessageRepo


def chat_jid(chat_id: str, field: str = "chat_id") -> str:
    """A chat's JID from a phone number or JID; 422 naming ``field`` otherwise."""
    return str(parse_jid(chat_id, field))


class ChatsService:
    def __init__(self, live: LiveService, chats: ChatRepo, messages: MessageRepo) -> None:
        self._live = live
        self._chats = chats
        self._messages = messages

    def list(self, caller: Principal, session_id: str, limit: int, cursor: str | None, *,
             archived: bool | None = None, pinned: bool | None = None,
             unread: bool | None = None) -> Page:
        session = self._live.session(caller, session_id)
        return self._chats.list(caller.tenant_id, session.id, limit, cursor, archived=archived,
                                pinned=pinned, unread=unread)

    def get(self, caller: Principal, session_id: str, chat_id: str) -> Chat:
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        chat = self._chats.get(caller.tenant_id, session.id, jid)
        if chat is None or not chat.listed:
            raise NotFound("no such chat in this session")
        return chat

    def messages(self, caller: Principal, session_id: str, chat_id: str, limit: int,
                 cursor: str | None) -> Page:
        """The chat's messages in wagate's store, newest first (since its last clear)."""
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        chat = self._chats.get(caller.tenant_id, session.id, jid)
        after = chat.cleared_before if chat else None
        return self._messages.list(caller.tenant_id, session.id, jid, limit, cursor,
                                   after=after)

    def _changed(self, session: Session, jid: str) -> Chat:
        chat = self._chats.get(session.tenant_id, session.id, jid)
        return chat or Chat(session_id=session.id, jid=jid)

    def read(self, caller: Principal, session_id: str, chat_id: str) -> Chat:
        """Read receipts for the chat's latest unread messages; its unread count is 0."""
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        chat = self._chats.get(caller.tenant_id, session.id, jid)
        marks: list[ReadMark] = []
        unread = min(chat.unread_count, READ_MARKS) if chat else 0
        if unread > 0:
            page = self._messages.list(caller.tenant_id, session.id, jid, unread, None,
                                       after=chat.cleared_before if chat else None)
            marks = [ReadMark(engine_message_id=m.engine_message_id, sender=m.sender)
                     for m in page.items
                     if m.direction == Direction.INBOUND and m.engine_message_id]
        self._live.on(session, MarkRead(chat=jid, messages=marks))
        self._chats.change(caller.tenant_id, session.id, jid, {"unread_count": 0})
        return self._changed(session, jid)

    def unread(self, caller: Principal, session_id: str, chat_id: str) -> Chat:
        """Mark the chat unread on WhatsApp; here it counts at least one unread message (as
        when the phone marks a chat unread)."""
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        self._live.on(session, MarkUnread(chat=jid))
        chat = self._chats.get(caller.tenant_id, session.id, jid)
        if chat is None or chat.unread_count == 0:
            self._chats.change(caller.tenant_id, session.id, jid, {"unread_count": 1})
        return self._changed(session, jid)

    def archive(self, caller: Principal, session_id: str, chat_id: str, archived: bool) -> Chat:
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        self._live.on(session, ArchiveChat(chat=jid, archived=archived))
        self._chats.change(caller.tenant_id, session.id, jid, {"archived": archived})
        return self._changed(session, jid)

    def pin(self, caller: Principal, session_id: str, chat_id: str, pinned: bool) -> Chat:
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        self._live.on(session, PinChat(chat=jid, pinned=pinned))
        self._chats.change(caller.tenant_id, session.id, jid, {"pinned": pinned})
        return self._changed(session, jid)

    def mute(self, caller: Principal, session_id: str, chat_id: str,
             until: datetime | None) -> Chat:
        """Mute until ``until`` (at most a year ahead), or forever when None."""
        jid = chat_jid(chat_id)
        try:
            muted_until = mute_until(until, clock.now())
        except ValueError as exc:
            raise ValidationFailed.field("until", str(exc)) from exc
        session = self._live.session(caller, session_id)
        self._live.on(session, MuteChat(chat=jid, until=None if until is None else muted_until))
        self._chats.change(caller.tenant_id, session.id, jid, {"muted_until": muted_until})
        return self._changed(session, jid)

    def unmute(self, caller: Principal, session_id: str, chat_id: str) -> Chat:
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        self._live.on(session, MuteChat(chat=jid, muted=False))
        self._chats.change(caller.tenant_id, session.id, jid, {}, remove=("muted_until",))
        return self._changed(session, jid)

    def clear(self, caller: Principal, session_id: str, chat_id: str) -> Chat:
        """Clear the chat on WhatsApp; its message list here starts afresh."""
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        self._live.on(session, ClearChat(chat=jid))
        self._chats.clear(caller.tenant_id, session.id, jid, ids.floor_id(clock.now()))
        return self._changed(session, jid)

    def delete(self, caller: Principal, session_id: str, chat_id: str) -> str:
        """Delete the chat on WhatsApp; here it leaves the chat list until its next message."""
        jid = chat_jid(chat_id)
        session = self._live.session(caller, session_id)
        self._live.on(session, DeleteChat(chat=jid))
        self._chats.clear(caller.tenant_id, session.id, jid, ids.floor_id(clock.now()),
                          delete=True)
        return jid

    def state(self, caller: Principal, session_id: str, chat_id: str, state: ChatState) -> str:
        """Show typing or recording in the chat, or stop (paused)."""
        jid = chat_jid(chat_id)
        self._live.run(caller, session_id, SendChatState(chat=jid, state=state))
        return jid
