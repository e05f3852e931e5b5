"""The neonize engine's chats, offline: history syncs (real neonize protobufs) translated into
chats and messages, read receipts and chat states through the client, and the chat and label
operations neonize cannot deliver answered not_supported."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.live import LiveUpdate
from chalicelib.domain.live.chats import (
    ArchiveChat,
    HistorySynced,
    MarkRead,
    ReadMark,
    SendChatState,
)
from chalicelib.domain.live.labels import CreateLabel, LabelChat
from chalicelib.sessionhost.engines.base import EngineError, EngineSession
from chalicelib.sessionhost.engines.neonize import NeonizeEngine
from chalicelib.sessionhost.engines.neonize.chats import history_from_event
from tests.sessionhost.test_neonize_engine import (
    FakeWhatsApp,
    Recorder,
    connected,
    fire,
)

events = pytest.importorskip("neonize.events")
e2e = pytest.importorskip("neonize.proto.waE2E.WAWebProtobufsE2E_pb2")
hs = pytest.importorskip("neonize.proto.waHistorySync.WAWebProtobufsHistorySync_pb2")
web = pytest.importorskip("neonize.proto.waWeb.WAWebProtobufsWeb_pb2")
MessageKey = pytest.importorskip("neonize.proto.waCommon.WACommon_pb2").MessageKey
NOW = int(time.time())
GROUP = "120363000000000001@g.us"


def item(chat: str, msg_id: str, text: str | None, *, from_me: bool = False,
         participant: str = "", ago_s: int = 60, push_name: str = "") -> Any:
    content = e2e.Message(conversation=text) if text is not None else e2e.Message()
    return hs.HistorySyncMsg(message=web.WebMessageInfo(
        key=MessageKey(remoteJID=chat, fromMe=from_me, ID=msg_id, participant=participant),
        message=content, messageTimestamp=NOW - ago_s, pushName=push_name))


def history_event() -> Any:
    return events.HistorySyncEv(Data=hs.HistorySync(syncType=0, conversations=[
        hs.Conversation(ID="4915112345678@s.whatsapp.net", name="Max", unreadCount=2,
                        archived=True, muteEndTime=NOW + 3600, messages=[
                            item("4915112345678@s.whatsapp.net", "A1", "hello",
                                 push_name="Max"),
                            item("4915112345678@s.whatsapp.net", "A2", "hi!", from_me=True),
                            item("4915112345678@s.whatsapp.net", "A3", None)]),  # no content
        hs.Conversation(ID=GROUP, displayName="Team", pinned=1700000000, messages=[
            item(GROUP, "G1", "morning", participant="14155550133@s.whatsapp.net")]),
        hs.Conversation(ID="status@broadcast", messages=[
            item("status@broadcast", "S1", "a status")]),
    ]))


def test_a_history_sync_becomes_chats_and_messages() -> None:
    update = history_from_event(history_event())
    assert isinstance(update, HistorySynced)
    person, group = update.chats  # status updates are no chat
    assert person.chat == "4915112345678@s.whatsapp.net" and person.name == "Max"
    assert person.unread_count == 2 and person.archived and not person.pinned
    assert person.muted_until is not None and person.muted_until.endswith("Z")
    assert [(m.engine_message_id, m.from_me, m.text) for m in person.messages] == [
        ("A1", False, "hello"), ("A2", True, "hi!")]
    assert person.messages[0].sender == "4915112345678@s.whatsapp.net"
    assert person.messages[0].sender_phone == "+4915112345678"
    assert person.messages[0].push_name == "Max" and person.messages[1].sender is None
    assert person.messages[0].timestamp == datetime.fromtimestamp(NOW - 60, UTC)
    assert group.chat == GROUP and group.name == "Team" and group.pinned
    assert group.messages[0].sender == "14155550133@s.whatsapp.net"


def test_a_history_sync_without_chats_is_nothing() -> None:
    assert history_from_event(events.HistorySyncEv(Data=hs.HistorySync(syncType=4))) is None


class Updates(Recorder):
    def on_update(self, update: LiveUpdate) -> None:
        self._add("on_update", update)


def test_history_arrives_as_an_update(wa: FakeWhatsApp, session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Updates()
    client = connected(engine, session, wa, listener)
    fire(client, history_event())
    (update,), = listener.wait("on_update")
    assert [c.chat for c in update.chats] == ["4915112345678@s.whatsapp.net", GROUP]
    engine.stop(session)


def test_read_receipts_per_sender_and_chat_states(wa: FakeWhatsApp, session: EngineSession,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from neonize import client as client_module

    for name in ("mark_read", "send_chat_presence"):
        def record(client: Any, *args: Any, _name: str = name, **kwargs: Any) -> None:
            wa.calls.append((_name, client.uuid, args, kwargs))
        monkeypatch.setattr(client_module.NewClient, name, record)
    engine, listener = NeonizeEngine(), Updates()
    connected(engine, session, wa, listener)
    engine.live(session, MarkRead(chat=GROUP, messages=[
        ReadMark(engine_message_id="G1", sender="14155550133@s.whatsapp.net"),
        ReadMark(engine_message_id="G2", sender="14155550144@s.whatsapp.net"),
        ReadMark(engine_message_id="G3", sender="14155550133@s.whatsapp.net")]))
    reads = [c for c in wa.calls if c[0] == "mark_read"]
    assert [(c[2], c[3]["sender"].User) for c in reads] == [
        (("G1", "G3"), "14155550133"), (("G2",), "14155550144")]
    assert all(c[3]["chat"].Server == "g.us" for c in reads)
    engine.live(session, MarkRead(chat=GROUP))  # nothing unread: no call
    assert len([c for c in wa.calls if c[0] == "mark_read"]) == 2
    for state in ("typing", "recording", "paused"):
        engine.live(session, SendChatState(chat="4915112345678@s.whatsapp.net", state=state))
    from neonize.utils.enum import ChatPresence, ChatPresenceMedia

    presences = [c[2][1:] for c in wa.calls if c[0] == "send_chat_presence"]
    assert presences == [
        (ChatPresence.CHAT_PRESENCE_COMPOSING, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT),
        (ChatPresence.CHAT_PRESENCE_COMPOSING, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO),
        (ChatPresence.CHAT_PRESENCE_PAUSED, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT)]
    engine.stop(session)


@pytest.mark.parametrize("op", [
    ArchiveChat(chat=GROUP), CreateLabel(name="VIP"), LabelChat(id="1", chat=GROUP)])
def test_app_state_operations_are_not_supported(op: Any) -> None:
    with pytest.raises(EngineError) as refused:
        NeonizeEngine().live(EngineSession("t", "s", None), op)  # type: ignore[arg-type]
    assert refused.value.code == "not_supported" and refused.value.status == 501
