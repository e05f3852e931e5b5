"""The neonize engine's chats: mark read (read receipts), chat state (typing, recording,
paused), and the history WhatsApp sends a newly linked device (``HistorySyncEv``).

Archive, pin, mute, delete and clear are not_supported: on WhatsApp each is an app-state
patch (whatsmeow's appstate.BuildArchive, BuildPin, BuildMute, BuildDeleteChat, …), and
neonize 0.5.2's ``send_app_state`` cannot deliver one (see ``connection``'s docstring: its Go
side reaches whatsmeow with an empty patch name). neonize's ``put_archived``/``put_pinned``/
``put_muted_until`` only write whatsmeow's local store, so WhatsApp would never see them.
For the same reason, changes made on the phone never arrive: neonize 0.5.2 hands over no
app-state events (archive, pin, mute, mark read, labels) at all.

Labels (WhatsApp Business) are app-state patches too (appstate.BuildLabelEdit,
BuildLabelChat): every ``labels.*`` operation is not_supported on neonize."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.jids import Jid
from chalicelib.domain.live import Done
from chalicelib.domain.live.chats import (
    HISTORY_CHATS,
    HISTORY_MESSAGES,
    HistoryChat,
    HistoryMessage,
    HistorySynced,
    MarkRead,
    SendChatState,
)
from chalicelib.sessionhost.engines.base import EngineSession
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore, _Connection
from chalicelib.sessionhost.engines.neonize.convert import (
    _CHAT_SERVERS,
    _CONTENT_TYPES,
    engine_error,
    jid_to_proto,
    lenient_jid,
)

if TYPE_CHECKING:
    from neonize.events import HistorySyncEv
    from neonize.proto.waHistorySync.WAWebProtobufsHistorySync_pb2 import Conversation
    from neonize.proto.waWeb.WAWebProtobufsWeb_pb2 import WebMessageInfo


class ChatsOps(NeonizeCore):
    def chats_read(self, session: EngineSession, op: MarkRead) -> Done:
        """Read receipts for the given messages, one call per sender (WhatsApp's receipts
        name theirs); nothing to acknowledge is done at once."""
        chat = lenient_jid(op.chat)
        by_sender: dict[str, list[str]] = defaultdict(list)
        for mark in op.messages:
            by_sender[mark.sender or op.chat].append(mark.engine_message_id)
        if not by_sender:
            return Done()
        with self._using(session) as connection:
            from neonize.exc import NeonizeError
            from neonize.utils.enum import ReceiptType

            assert connection.client is not None  # (held)
            try:
                for sender, ids in by_sender.items():
                    connection.client.mark_read(*ids, chat=jid_to_proto(chat),
                                                sender=jid_to_proto(lenient_jid(sender)),
                                                receipt=ReceiptType.READ)
            except NeonizeError as exc:
                raise engine_error(exc, "read_failed") from exc
        return Done()

    def chats_state(self, session: EngineSession, op: SendChatState) -> Done:
        with self._using(session) as connection:
            from neonize.exc import NeonizeError
            from neonize.utils.enum import ChatPresence, ChatPresenceMedia

            assert connection.client is not None  # (held)
            state = ChatPresence.CHAT_PRESENCE_PAUSED if op.state == "paused" \
                else ChatPresence.CHAT_PRESENCE_COMPOSING
            media = ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO if op.state == "recording" \
                else ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT
            try:
                connection.client.send_chat_presence(jid_to_proto(lenient_jid(op.chat)), state,
                                                     media)
            except NeonizeError as exc:
                raise engine_error(exc, "presence_failed") from exc
        return Done()

    def _events_chats(self) -> dict[type, Any]:
        from neonize import events as ev

        return {ev.HistorySyncEv: self._on_history}

    def _on_history(self, connection: _Connection, event: HistorySyncEv) -> None:
        update = history_from_event(event)
        if update is not None:
            connection.listener.on_update(update)


def history_from_event(event: HistorySyncEv) -> HistorySynced | None:
    """The chats (people and groups) of a history sync and their messages a person wrote;
    None when it carries none (push names, status updates, settings…)."""
    chats = []
    for conversation in list(event.Data.conversations)[:HISTORY_CHATS]:
        chat = history_chat(conversation)
        if chat is not None:
            chats.append(chat)
    return HistorySynced(chats=chats) if chats else None


def history_chat(conversation: Conversation) -> HistoryChat | None:
    jid = _jid(conversation.ID)
    if jid is None:
        return None
    messages = []
    for item in list(conversation.messages)[:HISTORY_MESSAGES]:
        message = history_message(item.message, jid)
        if message is not None:
            messages.append(message)
    mute_end = conversation.muteEndTime
    muted_until = None
    if mute_end:
        moment = datetime.fromtimestamp(mute_end / 1000 if mute_end > 10**11 else mute_end, UTC)
        muted_until = "forever" if moment.year >= 2100 else \
            moment.isoformat().replace("+00:00", "Z") if moment > datetime.now(UTC) else None
    return HistoryChat(chat=str(jid), name=(conversation.name or conversation.displayName
                                            or None),
                       unread_count=max(conversation.unreadCount, 0),
                       archived=conversation.archived, pinned=conversation.pinned > 0,
                       muted_until=muted_until, messages=messages)


def history_message(info: WebMessageInfo, chat: Jid) -> HistoryMessage | None:
    """A message of a history sync; None for what no person wrote (stubs, protocol
    messages, reactions)."""
    from neonize.utils.message import extract_text

    kind = next((kind for name, kind in _CONTENT_TYPES if info.message.HasField(name)), None)
    if kind is None or not info.key.ID or not info.messageTimestamp:
        return None
    if kind == "audio" and info.message.audioMessage.PTT:
        kind = "voice"
    from_me = info.key.fromMe
    sender = None
    if not from_me:
        sender = _jid(info.key.participant or info.participant) if chat.is_group else chat
    return HistoryMessage(
        engine_message_id=info.key.ID, from_me=from_me,
        sender=str(sender) if sender else None,
        sender_phone=sender.phone if sender else None, push_name=info.pushName or None,
        type=kind, text=extract_text(info.message) or None,
        timestamp=datetime.fromtimestamp(info.messageTimestamp, UTC))


def _jid(raw: str) -> Jid | None:
    """A person's or group's JID from a history string; None for anything else."""
    if "@" not in raw:
        return None
    jid = lenient_jid(raw)
    return jid if jid.server in _CHAT_SERVERS and jid.user else None
