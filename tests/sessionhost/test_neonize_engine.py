"""The neonize engine, offline: translation of real neonize protobuf events both ways, the
engine's life-cycle with neonize's network calls replaced (events still go through neonize's
own dispatcher, as the Go side delivers them), and real clients that cannot reach WhatsApp."""

from __future__ import annotations

import ctypes
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.content import Text
from chalicelib.domain.jids import Jid, parse_jid
from chalicelib.domain.live.contacts import CheckNumbers, NumberCheck
from chalicelib.domain.live.sessions import RequestPairingCode
from chalicelib.domain.messages import MessageStatus
from chalicelib.sessionhost.engines.base import (
    EngineError,
    EngineSession,
    Inbound,
    MessageChange,
    Outbound,
)
from chalicelib.sessionhost.engines.neonize import NeonizeEngine, connection, convert

pb = pytest.importorskip("neonize.proto.Neonize_pb2")
e2e = pytest.importorskip("neonize.proto.waE2E.WAWebProtobufsE2E_pb2")
client_module = pytest.importorskip("neonize.client")
events = pytest.importorskip("neonize.events")
enums = pytest.importorskip("neonize.utils.enum")
MessageKey = pytest.importorskip("neonize.proto.waCommon.WACommon_pb2").MessageKey

REPO_ROOT = Path(__file__).resolve().parents[2]
ME = "14155552671"
FRIEND = "447911123456"
LID = "123456789012345"
GROUP = "120363025246125888"
WHEN = datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)


def jid(user: str, server: str = "s.whatsapp.net", device: int = 0) -> Any:
    return pb.JID(User=user, Server=server, Device=device, RawAgent=0, Integrator=0,
                  IsEmpty=False)


# neonize's event fields are proto2 "required": events are built complete, as Go sends them.
NO_JID = pb.JID(User="", Server="", Device=0, RawAgent=0, Integrator=0, IsEmpty=True)


def source(chat: Any, sender: Any, from_me: bool = False, sender_alt: Any = None) -> Any:
    return pb.MessageSource(Chat=chat, Sender=sender, IsFromMe=from_me,
                            IsGroup=chat.Server == "g.us", SenderAlt=sender_alt or NO_JID,
                            RecipientAlt=NO_JID, BroadcastListOwner=NO_JID)


def message_event(content: Any, chat: Any = None, sender: Any = None, sender_alt: Any = None,
                  from_me: bool = False) -> Any:
    sender = sender or jid(FRIEND)
    info = pb.MessageInfo(MessageSource=source(chat or sender, sender, from_me, sender_alt),
                          ID="3EB0AA11", ServerID=0, Type="text", Pushname="Ana",
                          Timestamp=int(WHEN.timestamp() * 1000), Category="", Multicast=False,
                          MediaType="", Edit="")
    return pb.Message(Info=info, Message=content, IsEphemeral=False, IsViewOnce=False,
                      IsViewOnceV2=False, IsViewOnceV2Extension=False,
                      IsDocumentWithCaption=False, IsLottieSticker=False, IsEdit=False,
                      UnavailableRequestID="", RetryCount=0)


def text_to(phone: str, text: str) -> Outbound:
    return Outbound(parse_jid(f"+{phone}"), Text(text=text))


def receipt(kind: int, ids: tuple[str, ...] = ("3EB0AA11", "3EB0BB22")) -> Any:
    return pb.Receipt(MessageSource=source(jid(FRIEND), jid(FRIEND)), MessageIDs=list(ids),
                      Timestamp=int(WHEN.timestamp()), Type=kind)


def device(push_name: str = "") -> Any:
    return pb.Device(JID=jid(ME, device=7), Platform="", BussinessName="", PushName=push_name,
                     Initialized=True)


def pair_status(status: int, error: str = "") -> Any:
    return pb.PairStatus(ID=jid(ME, device=7) if not error else NO_JID, BusinessName="",
                         Platform="", Status=status, Error=error)


def failure_reason(name: str) -> int:
    return pb.ConnectFailureReason.Value(name)


def connect_failure(reason: str, message: str) -> Any:
    return pb.ConnectFailure(Reason=failure_reason(reason), Message=message,
                             Raw=pb.Node(Tag="failure"))


CONNECTED = pb.Connected(status=True)
DISCONNECTED = pb.Disconnected(status=True)


# --- translation ---

def test_jids_round_trip_without_the_device_part() -> None:
    for raw in ("+14155552671", f"{GROUP}@g.us", f"{LID}@lid"):
        ours = parse_jid(raw)
        proto = convert.jid_to_proto(ours)
        assert isinstance(proto, pb.JID) and (proto.Device, proto.RawAgent) == (0, 0)
        assert convert.jid_from_proto(proto) == ours
    proto = convert.jid_to_proto(parse_jid("+14155552671"))
    assert (proto.User, proto.Server) == (ME, "s.whatsapp.net")
    assert convert.jid_from_proto(jid(ME, device=12)) == Jid(ME)
    assert convert.phone_of(jid(ME, device=12)) == f"+{ME}"
    assert convert.phone_of(jid(LID, "lid")) is None
    assert convert.phone_of(NO_JID) is None


def test_a_message_from_a_phone() -> None:
    inbound = convert.inbound_from_event(message_event(e2e.Message(conversation="hello")))
    assert inbound == Inbound(engine_message_id="3EB0AA11", chat=Jid(FRIEND), sender=Jid(FRIEND),
                              text="hello", timestamp=WHEN, push_name="Ana",
                              sender_phone=f"+{FRIEND}", type="text")


def test_a_message_in_a_group() -> None:
    content = e2e.Message(extendedTextMessage=e2e.ExtendedTextMessage(text="hi all"))
    inbound = convert.inbound_from_event(message_event(content, chat=jid(GROUP, "g.us"),
                                                       sender=jid(FRIEND, device=3)))
    assert inbound is not None
    assert inbound.chat == Jid(GROUP, "g.us") and inbound.chat.is_group
    assert inbound.sender == Jid(FRIEND) and inbound.sender_phone == f"+{FRIEND}"
    assert inbound.text == "hi all"


def test_an_lid_sender_has_the_phone_number_behind_it() -> None:
    lid = jid(LID, "lid")
    content = e2e.Message(conversation="hey")
    inbound = convert.inbound_from_event(message_event(content, sender=lid, sender_alt=jid(FRIEND)))
    assert inbound is not None
    assert inbound.sender == Jid(LID, "lid") and inbound.chat == Jid(LID, "lid")
    assert inbound.sender_phone == f"+{FRIEND}"
    in_group = convert.inbound_from_event(message_event(content, chat=jid(GROUP, "g.us"),
                                                        sender=lid, sender_alt=jid(FRIEND)))
    assert in_group is not None and in_group.sender_phone == f"+{FRIEND}"
    unknown = convert.inbound_from_event(message_event(content, sender=lid))  # no SenderAlt
    assert unknown is not None and unknown.sender_phone is None


@pytest.mark.parametrize(("content", "kind", "text"), [
    (e2e.Message(conversation="plain"), "text", "plain"),
    (e2e.Message(extendedTextMessage=e2e.ExtendedTextMessage(text="see https://x.y")), "text",
     "see https://x.y"),
    (e2e.Message(imageMessage=e2e.ImageMessage(caption="a cat", mimetype="image/jpeg")),
     "image", "a cat"),
    (e2e.Message(imageMessage=e2e.ImageMessage(mimetype="image/jpeg")), "image", None),
    (e2e.Message(documentMessage=e2e.DocumentMessage(caption="the invoice")), "document",
     "the invoice"),
    (e2e.Message(audioMessage=e2e.AudioMessage(PTT=False)), "audio", None),
    (e2e.Message(audioMessage=e2e.AudioMessage(PTT=True)), "voice", None),  # a voice note
])
def test_texts_and_captions(content: Any, kind: str, text: str | None) -> None:
    inbound = convert.inbound_from_event(message_event(content))
    assert inbound is not None and (inbound.type, inbound.text) == (kind, text)


@pytest.mark.parametrize("event", [
    message_event(e2e.Message(conversation="mine"), from_me=True),
    message_event(e2e.Message(conversation="status"), chat=jid("status", "broadcast")),
    message_event(e2e.Message(reactionMessage=e2e.ReactionMessage(text="👍"))),
    message_event(e2e.Message(protocolMessage=e2e.ProtocolMessage(type=0))),  # a revoke
], ids=["from-me", "status-update", "reaction", "protocol"])
def test_what_is_not_an_inbound_message(event: Any) -> None:
    assert convert.inbound_from_event(event) is None


def reaction(emoji: str, target: str = "3EB0TARGET") -> Any:
    return e2e.Message(reactionMessage=e2e.ReactionMessage(
        key=MessageKey(remoteJID=f"{FRIEND}@s.whatsapp.net", fromMe=True, ID=target), text=emoji,
        senderTimestampMS=int(WHEN.timestamp() * 1000)))


def protocol(kind: int, edited: Any = None) -> Any:
    return e2e.Message(protocolMessage=e2e.ProtocolMessage(
        type=kind, key=MessageKey(remoteJID=f"{FRIEND}@s.whatsapp.net", fromMe=False,
                                  ID="3EB0TARGET"), editedMessage=edited))


def edit_event(edited: Any, wrapped: bool = False) -> Any:
    """A contact's edit as neonize hands it over: whatsmeow has unwrapped the editedMessage
    (FutureProofMessage) around the ProtocolMessage and says IsEdit; or still wrapped."""
    content = protocol(e2e.ProtocolMessage.MESSAGE_EDIT, edited)
    if wrapped:
        return message_event(e2e.Message(editedMessage=e2e.FutureProofMessage(message=content)))
    event = message_event(content)
    event.IsEdit = True
    return event


def change(kind: str, text: str | None, **fields: Any) -> MessageChange:
    return MessageChange(**{"kind": kind, "target_engine_id": "3EB0TARGET", "chat": Jid(FRIEND),
                            "sender": Jid(FRIEND), "text": text, "timestamp": WHEN,
                            "sender_phone": f"+{FRIEND}", **fields})


@pytest.mark.parametrize(("event", "expected"), [
    (message_event(reaction("👍")), change("reaction", "👍")),
    (message_event(reaction("")), change("reaction", "")),  # taken back
    (message_event(protocol(e2e.ProtocolMessage.REVOKE)), change("revoked", None)),
    (edit_event(e2e.Message(conversation="fixed")), change("edited", "fixed")),
    (edit_event(e2e.Message(extendedTextMessage=e2e.ExtendedTextMessage(text="see x.y"))),
     change("edited", "see x.y")),
    (edit_event(e2e.Message(imageMessage=e2e.ImageMessage(caption="a cat"))),
     change("edited", "a cat")),
    (edit_event(e2e.Message(conversation="wrapped"), wrapped=True), change("edited", "wrapped")),
], ids=["reaction", "reaction-removed", "revoke", "edit", "edit-extended", "edit-caption",
        "edit-wrapped"])
def test_changes_to_a_message(event: Any, expected: MessageChange) -> None:
    assert convert.inbound_from_event(event) is None
    assert convert.change_from_event(event) == expected


def test_a_change_in_a_group_by_an_lid_sender() -> None:
    event = message_event(protocol(e2e.ProtocolMessage.REVOKE), chat=jid(GROUP, "g.us"),
                          sender=jid(LID, "lid"), sender_alt=jid(FRIEND))
    assert convert.change_from_event(event) == change(
        "revoked", None, chat=Jid(GROUP, "g.us"), sender=Jid(LID, "lid"))


@pytest.mark.parametrize("event", [
    message_event(reaction("👍"), from_me=True),
    message_event(protocol(e2e.ProtocolMessage.REVOKE), from_me=True),
    message_event(reaction("👍"), chat=jid("status", "broadcast")),
    message_event(reaction("👍", target="")),
    message_event(e2e.Message(protocolMessage=e2e.ProtocolMessage(
        key=MessageKey(ID="3EB0TARGET")))),  # no type: not a revoke
    message_event(protocol(e2e.ProtocolMessage.HISTORY_SYNC_NOTIFICATION)),
    message_event(e2e.Message(conversation="a message, not a change")),
], ids=["own-reaction", "own-revoke", "status-update", "no-target", "untyped-protocol",
        "history-sync", "message"])
def test_what_is_not_a_change(event: Any) -> None:
    assert convert.change_from_event(event) is None


@pytest.mark.parametrize(("kind", "status"), [
    (pb.Receipt.DELIVERED, MessageStatus.DELIVERED),
    (pb.Receipt.READ, MessageStatus.READ),
    (pb.Receipt.READ_SELF, MessageStatus.READ),
    (pb.Receipt.PLAYED, MessageStatus.PLAYED),
    (pb.Receipt.PLAYED_SELF, MessageStatus.PLAYED),  # (neonize 0.5.2 sends it as SERVER_ERROR)
])
def test_receipts(kind: int, status: MessageStatus) -> None:
    assert convert.receipt_from_event(receipt(kind)) == (["3EB0AA11", "3EB0BB22"], status,
                                                         WHEN.replace(microsecond=0))


@pytest.mark.parametrize("kind", [pb.Receipt.SENDER, pb.Receipt.RETRY, pb.Receipt.SERVER_ERROR,
                                  pb.Receipt.INACTIVE, pb.Receipt.PEER_MSG])
def test_receipts_we_do_not_track(kind: int) -> None:
    assert convert.receipt_from_event(receipt(kind)) is None


def test_timestamps_are_milliseconds_in_messages_and_seconds_in_receipts() -> None:
    inbound = convert.inbound_from_event(message_event(e2e.Message(conversation="t")))
    assert inbound is not None and inbound.timestamp == WHEN  # the milliseconds survive
    read = convert.receipt_from_event(receipt(pb.Receipt.READ))
    assert read is not None and read[2] == WHEN.replace(microsecond=0)


def test_failure_reasons() -> None:
    ban = pb.TemporaryBan(Code=pb.TemporaryBan.SEND_TO_TOO_MANY_PEOPLE, Expire=3600)
    assert convert.temporary_ban_reason(ban) == \
        "temporary_ban: send_to_too_many_people, expires in 3600 s"
    assert convert.connect_failure_reason(connect_failure("BAD_USER_AGENT", "go away")) == \
        "connect_failure: bad_user_agent: go away"
    assert convert.connect_failure_reason(connect_failure("EXPERIMENTAL", "")) == \
        "connect_failure: experimental"


def test_number_lookup() -> None:
    found = [
        pb.IsOnWhatsAppResponse(Query=f"+{ME}", JID=jid(ME), IsIn=True),
        pb.IsOnWhatsAppResponse(Query=f"+{FRIEND}", JID=jid(LID, "lid"), IsIn=True),
        pb.IsOnWhatsAppResponse(Query="+14155550000", JID=jid("14155550000"), IsIn=False),
    ]
    phones = [f"+{ME}", f"+{FRIEND}", "+14155550000", "+14155550001"]
    assert convert.numbers_checked(phones, found).results == [
        NumberCheck(phone=f"+{ME}", on_whatsapp=True, jid=f"{ME}@s.whatsapp.net"),
        NumberCheck(phone=f"+{FRIEND}", on_whatsapp=True, jid=f"{FRIEND}@s.whatsapp.net",
                    lid=f"{LID}@lid"),
        NumberCheck(phone="+14155550000", on_whatsapp=False),
        NumberCheck(phone="+14155550001", on_whatsapp=False)]


def test_send_error_codes() -> None:
    assert convert.send_error_code("websocket not connected") == "not_connected"
    assert convert.send_error_code("client is nil") == "not_connected"
    assert convert.send_error_code("no LID found for 15550001@s.whatsapp.net from server") == \
        "not_on_whatsapp"
    # Once the message node may have left, nobody knows whether it arrived.
    assert convert.send_error_code("timed out waiting for message send response") == \
        "outcome_unknown"
    assert convert.send_error_code("failed to send message node: write tcp: broken pipe") == \
        "outcome_unknown"
    assert convert.send_error_code("failed to send message node: websocket not connected") == \
        "not_connected"
    assert convert.send_error_code("server returned error 479") == "send_failed"


def test_whatsapp_pushback_maps_to_the_governors_codes() -> None:
    """whatsmeow's texts (send.go: ``fmt.Errorf("%w %d", ErrServerReturnedError, code)``;
    errors.go: ``ErrIQRateOverLimit``), as neonize raises them in a SendMessageError."""
    from neonize.exc import SendMessageError

    assert convert.engine_error(SendMessageError("server returned error 429")).code == \
        "rate_limited"
    assert convert.send_error_code("info query returned status 429: rate-overlimit") == \
        "rate_limited"
    assert convert.engine_error(SendMessageError("server returned error 463")).code == \
        "timelock"


# --- the engine, with neonize's network calls replaced ---

class Recorder:
    """An EngineListener that remembers what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._cv = threading.Condition()

    def _add(self, name: str, *args: Any) -> None:
        with self._cv:
            self.calls.append((name, args))
            self._cv.notify_all()

    def on_qr(self, code: str, expires_at: datetime) -> None:
        self._add("on_qr", code, expires_at)

    def on_connected(self, phone: str, push_name: str | None) -> None:
        self._add("on_connected", phone, push_name)

    def on_disconnected(self, reason: str) -> None:
        self._add("on_disconnected", reason)

    def on_logged_out(self, reason: str) -> None:
        self._add("on_logged_out", reason)

    def on_failed(self, reason: str) -> None:
        self._add("on_failed", reason)

    def on_message(self, message: Inbound) -> None:
        self._add("on_message", message)

    def on_receipt(self, engine_ids: list[str], status: MessageStatus, at: datetime) -> None:
        self._add("on_receipt", engine_ids, status, at)

    def on_change(self, change: MessageChange) -> None:
        self._add("on_change", change)

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]

    def wait(self, name: str, count: int = 1, timeout: float = 5.0) -> list[tuple[Any, ...]]:
        with self._cv:
            assert self._cv.wait_for(lambda: len(self.named(name)) >= count, timeout), \
                f"no {name} after {timeout} s: {self.calls}"
            return self.named(name)


class FakeWhatsApp:
    """Stands in for the network side of neonize's NewClient: connect() blocks until stop(),
    as neonize's does; sends, lookups, pairing and logout answer from here."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clients: list[Any] = []
        self.calls: list[tuple[Any, ...]] = []
        self.connect_error: Exception | None = None
        self._gates: dict[bytes, threading.Event] = {}
        self._cv = threading.Condition()
        fake = self
        cls = client_module.NewClient

        def connect(client: Any, proxy_settings: Any = None) -> None:
            with fake._cv:
                fake.clients.append(client)
                fake._cv.notify_all()
            fake.calls.append(("connect", client.uuid))
            if fake.connect_error is not None:
                raise fake.connect_error
            fake._gate(client).wait(10)

        def stop(client: Any) -> None:
            fake.calls.append(("stop", client.uuid))
            fake._gate(client).set()

        def record(name: str, answer: Any = None) -> Any:
            def method(client: Any, *args: Any) -> Any:
                fake.calls.append((name, client.uuid, *args))
                return answer(*args) if callable(answer) else answer
            return method

        monkeypatch.setattr(cls, "connect", connect)
        monkeypatch.setattr(cls, "stop", stop)
        monkeypatch.setattr(cls, "disconnect", record("disconnect"))
        monkeypatch.setattr(cls, "logout", record("logout"))
        monkeypatch.setattr(cls, "PairPhone", record("PairPhone", "ABCD-EFGH"))
        monkeypatch.setattr(cls, "send_message", record(
            "send_message", lambda to, msg: pb.SendResponse(ID="3EB0C0FFEE")))
        monkeypatch.setattr(cls, "is_on_whatsapp", record("is_on_whatsapp", lambda *phones: [
            pb.IsOnWhatsAppResponse(Query=p, JID=jid(p.lstrip("+")), IsIn=not p.endswith("0"))
            for p in phones]))

    def _gate(self, client: Any) -> threading.Event:
        return self._gates.setdefault(client.uuid, threading.Event())

    def client(self, index: int = 0, timeout: float = 5.0) -> Any:
        with self._cv:
            assert self._cv.wait_for(lambda: len(self.clients) > index, timeout), \
                "the engine did not connect a client"
            return self.clients[index]

    def names(self, uuid: bytes) -> list[str]:
        return [call[0] for call in self.calls if call[1] == uuid]

    def release_all(self) -> None:
        for gate in self._gates.values():
            gate.set()


def fire(client: Any, event: Any) -> None:
    """Deliver an event the way neonize's Go side does: bytes through Event.execute."""
    data = event.SerializeToString()
    buffer = ctypes.create_string_buffer(data, len(data) or 1)
    client.event.execute(client.uuid, ctypes.addressof(buffer), len(data),
                         events.EVENT_TO_INT[type(event)])


def show_qr(client: Any, code: bytes) -> None:
    """A QR code rotation, the way neonize's Go side reports it (a C string)."""
    buffer = ctypes.create_string_buffer(code)
    client._NewClient__onQr(0, ctypes.addressof(buffer))


def starter_idle(timeout: float = 5.0) -> None:
    done = threading.Event()
    connection._STARTER.submit(done.set)
    assert done.wait(timeout)


def connected(engine: NeonizeEngine, session: EngineSession, wa: FakeWhatsApp,
              listener: Recorder) -> Any:
    engine.start(session, listener)
    client = wa.client()
    fire(client, device("Shop"))  # neonize hands over its own device first
    fire(client, CONNECTED)
    assert listener.wait("on_connected") == [(f"+{ME}", "Shop")]
    return client


def test_qr_codes_a_pairing_code_and_the_scan(wa: FakeWhatsApp, session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    with pytest.raises(EngineError) as refused:
        engine.live(session, RequestPairingCode(phone=f"+{ME}"))
    assert refused.value.code == "not_scanning"

    engine.start(session, listener)
    client = wa.client()
    assert client.name == str(session.auth_dir / "neonize.sqlite3")
    assert client.uuid.decode().startswith("t1:s1:")
    show_qr(client, b"2@first,key,adv")
    show_qr(client, b"2@second,key,adv")
    (first, second) = listener.wait("on_qr", 2)
    now = datetime.now(UTC)
    assert first[0] == "2@first,key,adv" and 55 < (first[1] - now).total_seconds() <= 60
    assert second[0] == "2@second,key,adv" and 15 < (second[1] - now).total_seconds() <= 20

    assert engine.live(session, RequestPairingCode(phone=f"+{ME}")).code == "ABCDEFGH"
    assert ("PairPhone", client.uuid, ME, True, enums.ClientName.LINUX) in wa.calls
    with pytest.raises(EngineError) as early:
        engine.send(session, text_to(FRIEND, "too soon"))
    assert early.value.code == "not_connected"

    fire(client, device())  # no push name yet, right after pairing
    fire(client, pair_status(pb.PairStatus.SUCCESS))
    fire(client, CONNECTED)  # after the reconnect that follows a scan
    assert listener.wait("on_connected") == [(f"+{ME}", None)]
    time.sleep(0.05)
    assert len(listener.named("on_connected")) == 1
    with pytest.raises(EngineError):
        engine.live(session, RequestPairingCode(phone=f"+{ME}"))
    engine.stop(session)


def test_send_check_and_stop(wa: FakeWhatsApp, session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, wa, listener)

    assert engine.send(session, text_to(FRIEND, "hi @14155552671")) == "3EB0C0FFEE"
    (_, _, to, message) = next(c for c in wa.calls if c[0] == "send_message")
    assert (to.User, to.Server) == (FRIEND, "s.whatsapp.net")
    assert message == e2e.Message(conversation="hi @14155552671")  # no mention parsing

    assert engine.live(session, CheckNumbers(phones=[f"+{FRIEND}", "+14155550000"])).results == [
        NumberCheck(phone=f"+{FRIEND}", on_whatsapp=True, jid=f"{FRIEND}@s.whatsapp.net"),
        NumberCheck(phone="+14155550000", on_whatsapp=False)]

    engine.stop(session)
    starter_idle()
    assert wa.names(client.uuid)[-2:] == ["disconnect", "stop"]  # at once, then Go-side
    assert session.auth_dir.exists()  # stop keeps the auth state
    with pytest.raises(EngineError) as stopped:
        engine.send(session, text_to(FRIEND, "gone"))
    assert stopped.value.code == "not_connected"
    fire(client, message_event(e2e.Message(conversation="late")))
    assert not listener.named("on_message")


def test_messages_and_receipts_reach_the_listener(wa: FakeWhatsApp,
                                                  session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, wa, listener)
    fire(client, message_event(e2e.Message(conversation="mine"), from_me=True))
    fire(client, message_event(e2e.Message(conversation="hello")))
    fire(client, receipt(pb.Receipt.READ))
    fire(client, receipt(pb.Receipt.SENDER))
    (inbound,) = listener.wait("on_message")[0]
    assert (inbound.text, inbound.sender_phone) == ("hello", f"+{FRIEND}")
    assert listener.wait("on_receipt") == [(["3EB0AA11", "3EB0BB22"], MessageStatus.READ,
                                            WHEN.replace(microsecond=0))]
    assert len(listener.named("on_message")) == 1
    engine.stop(session)


def test_changes_reach_the_listener(wa: FakeWhatsApp, session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, wa, listener)
    fire(client, message_event(reaction("❤️"), from_me=True))  # our own: nothing
    fire(client, message_event(reaction("👍")))
    fire(client, edit_event(e2e.Message(conversation="fixed")))
    fire(client, message_event(e2e.Message(conversation="hello")))
    (reacted,), (edited,) = listener.wait("on_change", 2)
    assert (reacted.kind, reacted.text, reacted.target_engine_id) == ("reaction", "👍",
                                                                      "3EB0TARGET")
    assert (edited.kind, edited.text) == ("edited", "fixed")
    (inbound,) = listener.wait("on_message")[0]
    assert inbound.text == "hello"
    assert len(listener.named("on_change")) == 2 and len(listener.named("on_message")) == 1
    engine.stop(session)


def test_logged_out_deletes_the_auth_state(wa: FakeWhatsApp, session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, wa, listener)
    (session.auth_dir / "neonize.sqlite3").write_bytes(b"SQLite format 3\0")

    fire(client, pb.LoggedOut(OnConnect=False, Reason=failure_reason("LOGGED_OUT")))
    assert listener.wait("on_logged_out") == [("logged_out",)]
    assert not (session.auth_dir / "neonize.sqlite3").exists()
    starter_idle()
    assert "stop" in wa.names(client.uuid)
    fire(client, message_event(e2e.Message(conversation="after")))
    assert not listener.named("on_message")
    with pytest.raises(EngineError):
        engine.send(session, text_to(FRIEND, "x"))


@pytest.mark.parametrize(("event", "reason"), [
    (pb.TemporaryBan(Code=pb.TemporaryBan.BLOCKED_BY_USERS, Expire=86400),
     "temporary_ban: blocked_by_users, expires in 86400 s"),
    (connect_failure("GENERIC", "nope"), "connect_failure: generic: nope"),
    (pb.StreamReplaced(), "stream_replaced"),
    (pb.ClientOutdated(), "client_outdated: WhatsApp refuses this neonize (whatsmeow) version"),
], ids=["ban", "connect-failure", "stream-replaced", "outdated"])
def test_what_ends_a_session(wa: FakeWhatsApp, session: EngineSession, event: Any,
                             reason: str) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, wa, listener)
    fire(client, event)
    fire(client, DISCONNECTED)  # what whatsmeow does next: not reported
    assert listener.wait("on_failed") == [(reason,)]
    starter_idle()
    assert "stop" in wa.names(client.uuid)
    assert not listener.named("on_disconnected")
    assert session.auth_dir.exists()


def test_a_refused_pairing_fails(wa: FakeWhatsApp, session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    engine.start(session, listener)
    client = wa.client()
    show_qr(client, b"2@code")
    fire(client, pair_status(pb.PairStatus.ERROR, "invalid device signature"))
    assert listener.wait("on_failed") == [("pair_error: invalid device signature",)]


@pytest.mark.parametrize(("event", "reason"), [
    (DISCONNECTED, "connection_lost"),
    (pb.KeepAliveTimeout(ErrorCount=1, LastSuccess=int(WHEN.timestamp())), "keepalive_timeout"),
])
def test_connection_trouble_is_a_disconnect(wa: FakeWhatsApp, session: EngineSession,
                                            event: Any, reason: str) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, wa, listener)
    fire(client, event)
    assert listener.wait("on_disconnected") == [(reason,)]
    # whatsmeow reconnects on its own: messages keep reaching the host until it stops us
    fire(client, message_event(e2e.Message(conversation="meanwhile")))
    assert listener.wait("on_message")
    fire(client, CONNECTED)
    assert len(listener.named("on_connected")) == 1
    engine.stop(session)
    starter_idle()
    assert wa.names(client.uuid)[-2:] == ["disconnect", "stop"]


def test_logout_unlinks_and_deletes_the_auth_state(wa: FakeWhatsApp,
                                                   session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    client = connected(engine, session, wa, listener)
    (session.auth_dir / "neonize.sqlite3").write_bytes(b"SQLite format 3\0")
    engine.logout(session)
    starter_idle()
    assert wa.names(client.uuid)[-2:] == ["logout", "stop"]
    assert not session.auth_dir.exists()
    assert not listener.named("on_logged_out")  # the host asked; nothing to report


def test_the_watchdog_when_neither_qr_nor_connection_comes(
        wa: FakeWhatsApp, session: EngineSession) -> None:
    engine, listener = NeonizeEngine(connect_timeout_s=0.3), Recorder()
    started = time.monotonic()
    engine.start(session, listener)
    client = wa.client()
    (reason,) = listener.wait("on_disconnected")[0]
    assert reason == "connect_timeout: no QR code and no connection after 0.3 s"
    assert time.monotonic() - started < 3
    starter_idle()
    assert wa.names(client.uuid) == ["connect", "stop"]  # the client was stopped


def test_a_connect_error_is_a_disconnect(wa: FakeWhatsApp, session: EngineSession) -> None:
    from neonize.exc import NeonizeError

    wa.connect_error = NeonizeError("failed to dial whatsapp web websocket: no such host")
    engine, listener = NeonizeEngine(), Recorder()
    engine.start(session, listener)
    assert listener.wait("on_disconnected") == [
        ("connect_failure: failed to dial whatsapp web websocket: no such host",)]
    starter_idle()
    assert "stop" in wa.names(wa.client().uuid)  # neonize's Go maps are cleaned up


def test_an_unscanned_qr_code_times_out(wa: FakeWhatsApp, session: EngineSession,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "FIRST_QR_S", 0.2)
    monkeypatch.setattr(connection, "QR_GRACE_S", 0.1)
    engine, listener = NeonizeEngine(), Recorder()
    engine.start(session, listener)
    client = wa.client()
    show_qr(client, b"2@only")
    assert listener.wait("on_failed") == [("qr_timeout",)]
    starter_idle()
    assert "stop" in wa.names(client.uuid)


def test_clients_start_one_after_another(wa: FakeWhatsApp, tmp_path: Path) -> None:
    engine, first, second = NeonizeEngine(), Recorder(), Recorder()
    one = EngineSession("t1", "one", tmp_path / "one")
    two = EngineSession("t1", "two", tmp_path / "two")
    engine.start(one, first)
    engine.start(two, second)
    client = wa.client(0)
    time.sleep(0.3)
    assert len(wa.clients) == 1, "the second client started before the first showed life"
    show_qr(client, b"2@one")
    assert wa.client(1).uuid.decode().startswith("t1:two:")
    engine.stop(one)
    engine.stop(two)


def test_a_restart_stops_the_previous_client_first(wa: FakeWhatsApp,
                                                   session: EngineSession) -> None:
    engine, listener = NeonizeEngine(), Recorder()
    old = connected(engine, session, wa, listener)
    engine.start(session, listener)  # e.g. the host restarting without a stop
    new = wa.client(1)
    assert new.uuid != old.uuid
    assert wa.calls.index(("stop", old.uuid)) < wa.calls.index(("connect", new.uuid))
    engine.stop(session)


def test_importing_the_engine_leaves_neonize_unloaded() -> None:
    """neonize loads with the first client (after the host set up logging, with the bot marker
    off), not with the engine's package; Pillow with the first media."""
    probe = ("import sys, json, chalicelib.sessionhost.engines.neonize, "
             "chalicelib.sessionhost.link_preview; print(json.dumps(sorted({m.split('.')[0] "
             "for m in sys.modules} & {'neonize', 'PIL', 'google'})))")
    output = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=True, timeout=60)
    assert json.loads(output.stdout.strip().splitlines()[-1]) == []


# --- real neonize clients that cannot reach WhatsApp ---

_CHILD = """
import json, sys, time
from pathlib import Path
from chalicelib.sessionhost.engines.base import EngineSession
from chalicelib.sessionhost.engines.neonize import NeonizeEngine

class Listener:
    def __init__(self):
        self.said = None
    def __getattr__(self, name):
        def record(*args):
            if self.said is None:
                self.said = [name, str(args[0]), time.monotonic() - started]
        return record

listener = Listener()
session = EngineSession("t1", "s1", Path(sys.argv[1]))
engine = NeonizeEngine(connect_timeout_s=2)
started = time.monotonic()
engine.start(session, listener)
while listener.said is None and time.monotonic() - started < 20:
    time.sleep(0.05)
engine.stop(session)
print(json.dumps(listener.said), flush=True)
"""


def _proxy_listener() -> socket.socket:
    """A local HTTP proxy that accepts connections and never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    return silent


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("proxy", ["silent", "refusing"])
def test_a_real_client_without_whatsapp_reports_and_lets_go(proxy: str, tmp_path: Path) -> None:
    # In a child process: Go reads the environment the process started with (the proxy keeps
    # the test offline wherever it runs), and neonize's Go state stays out of this one.
    silent = _proxy_listener() if proxy == "silent" else None
    port = silent.getsockname()[1] if silent else _closed_port()
    env = {**os.environ, "HTTPS_PROXY": f"http://127.0.0.1:{port}", "NEONIZE_BOT_TAG": "off"}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path / "auth")],
                             cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        name, reason, elapsed = json.loads(child.stdout.readline() or "null")
        assert name == "on_disconnected"
        if silent:
            assert reason == "connect_timeout: no QR code and no connection after 2 s"
            assert 1.9 < elapsed < 6
            silent.close()  # the hung dial fails now; the client's Go call returns
        else:
            assert reason.startswith("connect_failure: failed to dial whatsapp web websocket")
            assert "connection refused" in reason
            assert elapsed < 5
        assert child.wait(timeout=15) == 0, child.stderr.read() if child.stderr else ""
        assert (tmp_path / "auth" / "neonize.sqlite3").exists()
    finally:
        if silent:
            silent.close()
        if child.poll() is None:
            child.kill()
            child.wait()
