"""The neonize engine: real WhatsApp through neonize (whatsmeow, in Go, underneath).

neonize keeps every client in plain Go maps, written when a client starts and when it stops:
two of those at once crash the whole process ("concurrent map writes"). So one starter thread
per process creates, connects and stops clients, one after another; it moves on to the next
start only once the previous client showed a sign of life (a QR code, an event, or an error),
or after ``connect_timeout_s`` (the watchdog: the session is reported disconnected and its
client stopped).

``NewClient.connect()`` blocks for the client's whole life (until ``stop()``), so each client
connects on a thread of its own. Event handlers run on the Go dispatch thread: they only
translate events (the pure functions below) and call the listener, which queues the work.

Each session's auth state is its own SQLite file, ``auth_dir / "neonize.sqlite3"``.

Connection trouble (no network, the watchdog, a dropped socket) is ``on_disconnected``: the
host retries with backoff and gives up after a few attempts. What retrying cannot fix is
``on_failed`` (QR never scanned, ban, stream replaced by another client, refused pairing) or
``on_logged_out`` (the phone unlinked the device; its auth file is deleted).

Known neonize 0.5.2 limits: while QR codes show, no other event gets through (a refused
pairing ends as "qr_timeout"); a client stopped while it shows QR codes, or whose codes ran
out, leaves its Go call (and two idle threads, one not a daemon) blocked for the rest of the
process; every start opens a SQLite handle that is never closed; events still buffered in Go
when a client stops are lost, although WhatsApp already counts them as delivered.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import itertools
import logging
import os
import queue
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.domain.jids import GROUP_SERVER, LID_SERVER, USER_SERVER, Jid
from chalicelib.domain.messages import MessageStatus
from chalicelib.sessionhost.engines.base import (
    Contact,
    EngineError,
    EngineListener,
    EngineSession,
    Inbound,
)

if TYPE_CHECKING:
    from google.protobuf.message import Message as ProtoMessage
    from neonize.client import NewClient
    from neonize.events import ConnectFailureEv, MessageEv, ReceiptEv, TemporaryBanEv
    from neonize.proto.Neonize_pb2 import JID, Device, IsOnWhatsAppResponse

log = logging.getLogger(__name__)

AUTH_FILE = "neonize.sqlite3"
FIRST_QR_S = 60.0  # whatsmeow shows the first code of a connection for 60 s ...
NEXT_QR_S = 20.0  # ... and each of the (usually five) later ones for 20 s, then gives up
QR_GRACE_S = 5.0  # after the last code's expiry before the session counts as unscanned

_CHAT_SERVERS = frozenset({USER_SERVER, GROUP_SERVER, LID_SERVER})
# Message contents we pass on, by the WAWebProtobufsE2E.Message field that carries them;
# anything else (reactions, edits, protocol and key-distribution messages...) is not a message
# a person wrote.
_CONTENT_TYPES = (
    ("conversation", "text"), ("extendedTextMessage", "text"), ("imageMessage", "image"),
    ("videoMessage", "video"), ("ptvMessage", "video"), ("audioMessage", "audio"),
    ("documentMessage", "document"), ("stickerMessage", "sticker"),
    ("locationMessage", "location"), ("liveLocationMessage", "location"),
    ("contactMessage", "contact"), ("contactsArrayMessage", "contact"),
    ("pollCreationMessage", "poll"), ("pollCreationMessageV2", "poll"),
    ("pollCreationMessageV3", "poll"),
)
# Receipt.ReceiptType names; neonize 0.5.2 encodes PLAYED_SELF as SERVER_ERROR, ignored here.
_RECEIPT_STATUS = {
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ, "read_self": MessageStatus.READ,
    "played": MessageStatus.PLAYED, "played_self": MessageStatus.PLAYED,
}
# whatsmeow's error texts (neonize passes errors on as strings only).
_SEND_REFUSALS = (
    ("not_connected", ("websocket not connected", "client is nil", "doesn't contain a device")),
    ("not_on_whatsapp", ("no LID found for",)),
)
_ATTEMPTS = itertools.count(1)  # makes each client's Go key unique, restarts included


# --- translation (pure) ---

def jid_from_proto(jid: JID) -> Jid:
    """Our Jid from neonize's (the device and agent parts name a phone's device, not a chat)."""
    return Jid(jid.User, jid.Server)


def jid_to_proto(jid: Jid) -> JID:
    """neonize's JID for ours."""
    from neonize.utils.jid import build_jid

    return build_jid(jid.user, jid.server)


def phone_of(jid: JID) -> str | None:
    """The E.164 number ("+digits") of a phone JID, else None (groups, @lid, unset)."""
    return jid_from_proto(jid).phone if jid.User else None


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else datetime.now(UTC)


def _enum_name(message: ProtoMessage, name: str) -> str:
    """An enum field's value name, in lower case.

    neonize's event fields are proto2 ``required``: an event whose enum neonize's Go side
    cannot name (a new receipt type, ban code or failure reason) never arrives; encoding it
    fails and ends the client's event loop, which the engine reports as a disconnect."""
    values = message.DESCRIPTOR.fields_by_name[name].enum_type.values_by_number
    return values[getattr(message, name)].name.lower()


def inbound_from_event(event: MessageEv) -> Inbound | None:
    """An inbound message from a MessageEv; None for our own messages, for chats that are not
    a person or a group (status updates, newsletters, broadcast lists) and for messages that
    carry no content of a person (reactions, edits, protocol messages...)."""
    from neonize.utils.message import extract_text

    info = event.Info
    source = info.MessageSource
    chat = jid_from_proto(source.Chat)
    kind = next((kind for name, kind in _CONTENT_TYPES if event.Message.HasField(name)), None)
    if source.IsFromMe or chat.server not in _CHAT_SERVERS or kind is None:
        return None
    sender = jid_from_proto(source.Sender)
    return Inbound(
        engine_message_id=info.ID, chat=chat, sender=sender,
        text=extract_text(event.Message) or None,
        timestamp=_from_epoch(info.Timestamp / 1000),  # MessageInfo.Timestamp: milliseconds
        push_name=info.Pushname or None,
        sender_phone=phone_of(source.SenderAlt) if sender.server == LID_SERVER else sender.phone,
        type=kind)


def receipt_from_event(event: ReceiptEv) -> tuple[list[str], MessageStatus, datetime] | None:
    """(message ids, status, when) from a ReceiptEv; None for receipt types we do not track."""
    status = _RECEIPT_STATUS.get(_enum_name(event, "Type"))
    if status is None or not event.MessageIDs:
        return None
    return list(event.MessageIDs), status, _from_epoch(event.Timestamp)  # Receipt: seconds


def temporary_ban_reason(event: TemporaryBanEv) -> str:
    return f"temporary_ban: {_enum_name(event, 'Code')}, expires in {event.Expire} s"


def connect_failure_reason(event: ConnectFailureEv) -> str:
    detail = f": {event.Message}" if event.Message else ""
    return f"connect_failure: {_enum_name(event, 'Reason')}{detail}"


def contacts_from_lookup(phones: list[str], found: Iterable[IsOnWhatsAppResponse]
                         ) -> dict[str, Contact | None]:
    """``check_numbers``' answer from ``is_on_whatsapp``'s: WhatsApp's own phone JID for a
    number on WhatsApp (it may differ from the query), the queried number's when it answers
    with an @lid, and None for the others."""
    on: dict[str, Contact] = {}
    for response in found:
        digits = re.sub(r"\D", "", response.Query)
        if response.IsIn and digits:
            jid = jid_from_proto(response.JID)
            on[digits] = Contact(jid if jid.is_user else Jid(digits))
    return {phone: on.get(phone.lstrip("+")) for phone in phones}


def send_error_code(message: str) -> str:
    """The EngineError code for a neonize send error."""
    return next((code for code, texts in _SEND_REFUSALS if any(t in message for t in texts)),
                "send_failed")


# --- neonize, loaded late ---

@functools.cache
def _load_neonize() -> None:
    """Import neonize once, after the host has set up logging (its import calls
    ``logging.basicConfig``), with the bot marker off and its loggers quiet."""
    _bot_tag_off()
    importlib.import_module("neonize")
    # "neonize.utils.log"'s own level is also the log level neonize hands to whatsmeow.
    for name in ("neonize", "neonize.utils.log", "whatsmeow", "Whatsmeow"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _bot_tag_off() -> None:
    """Ask neonize not to mark outgoing messages as a bot's.

    neonize's Go code reads the environment the process started with: Python can change a
    variable that was there before neonize loads, but cannot add one. The session-host image
    sets NEONIZE_BOT_TAG=off; say so when a process started without it."""
    os.environ["NEONIZE_BOT_TAG"] = "off"
    with contextlib.suppress(OSError):
        if b"\0NEONIZE_BOT_TAG=" not in b"\0" + Path("/proc/self/environ").read_bytes():
            log.warning("NEONIZE_BOT_TAG=off is not in this process's initial environment: "
                        "neonize will mark outgoing messages as sent by a bot")


class _Starter:
    """The one thread per process that creates, connects and stops neonize clients, in turn.

    Stops are urgent: they run before pending starts (a stopped session must let go of
    WhatsApp soon, and a restart must find its predecessor gone)."""

    def __init__(self) -> None:
        self._jobs: queue.PriorityQueue[tuple[int, int, Callable[[], None]]] = \
            queue.PriorityQueue()
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None], urgent: bool = False) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="neonize-starter",
                                                daemon=True)
                self._thread.start()
        self._jobs.put((0 if urgent else 1, next(self._order), job))

    def _work(self) -> None:
        while True:
            *_, job = self._jobs.get()
            try:
                job()
            except Exception:
                log.exception("a neonize start/stop failed")


_STARTER = _Starter()


@dataclass(eq=False)
class _Connection:
    """One neonize client and the session it serves (a new one on every start)."""

    session: EngineSession
    listener: EngineListener
    uuid: str  # the client's key inside neonize's Go side
    client: NewClient | None = None
    settled: threading.Event = field(default_factory=threading.Event)  # Go showed life
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False  # its life-cycle was reported over: no more on_qr/on_connected/...
    released: bool = False  # being stopped: no more callbacks at all
    phone: str | None = None  # set once connected
    qr_count: int = 0
    qr_timer: threading.Timer | None = None


class NeonizeEngine:
    """Real WhatsApp sessions through neonize (see the module's docstring)."""

    name = "neonize"

    def __init__(self, connect_timeout_s: float = 30) -> None:
        self._connect_timeout_s = connect_timeout_s
        self._connections: dict[tuple[str, str], _Connection] = {}
        self._lock = threading.Lock()

    # --- the engine port ---

    def start(self, session: EngineSession, listener: EngineListener) -> None:
        uuid = f"{session.tenant_id}:{session.session_id}:{next(_ATTEMPTS)}"
        connection = _Connection(session, listener, uuid)
        with self._lock:
            previous = self._connections.get(_key(session))
            self._connections[_key(session)] = connection
        if previous is not None:
            self._release(previous, first=_disconnect)
        _STARTER.submit(lambda: self._connect(connection))

    def stop(self, session: EngineSession) -> None:
        connection = self._pop(session)
        if connection is not None:
            self._release(connection, first=_disconnect)

    def logout(self, session: EngineSession) -> None:
        connection = self._pop(session)
        if connection is not None:
            self._release(connection, first=_logout)
        shutil.rmtree(session.auth_dir, ignore_errors=True)

    def send_text(self, session: EngineSession, to: Jid, text: str) -> str:
        client = self._connected_client(session)  # (so neonize is loaded)
        from neonize.exc import NeonizeError
        from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message

        try:
            # A Message, not the text itself: neonize would turn "@digits" into mentions.
            return client.send_message(jid_to_proto(to), Message(conversation=text)).ID
        except NeonizeError as exc:
            raise EngineError(send_error_code(str(exc)), str(exc)) from exc

    def pairing_code(self, session: EngineSession, phone: str) -> str:
        connection = self._connections.get(_key(session))
        # whatsmeow pairs by code only inside the QR loop: after the first code, before a scan.
        if connection is None or connection.closed or connection.phone \
                or not connection.qr_count or connection.client is None:
            raise EngineError("not_scanning", "the session is not showing a QR code")
        from neonize.exc import NeonizeError
        from neonize.utils.enum import ClientName

        try:
            code = connection.client.PairPhone(phone.lstrip("+"), True, ClientName.LINUX)
        except NeonizeError as exc:
            raise EngineError("pairing_failed", str(exc)) from exc
        return code.replace("-", "")  # whatsmeow shows "ABCD-EFGH"

    def check_numbers(self, session: EngineSession, phones: list[str]) -> dict[str, Contact | None]:
        client = self._connected_client(session)
        from neonize.exc import NeonizeError

        try:
            found = client.is_on_whatsapp(*phones)
        except NeonizeError as exc:
            raise EngineError("check_failed", str(exc)) from exc
        return contacts_from_lookup(phones, found)

    # --- the client's life (starter thread, its own thread) ---

    def _connect(self, connection: _Connection) -> None:
        if connection.closed:
            return  # stopped before its turn came
        try:
            connection.client = self._new_client(connection)
        except Exception as exc:
            self._disconnected(connection, f"connect_failure: {exc}", release=True)
            return
        threading.Thread(target=self._run, args=(connection, connection.client),
                         name=f"neonize {connection.uuid}", daemon=True).start()
        if not connection.settled.wait(self._connect_timeout_s):
            self._disconnected(connection, "connect_timeout: no QR code and no connection after "
                               f"{self._connect_timeout_s:g} s", release=True)

    def _new_client(self, connection: _Connection) -> NewClient:
        _load_neonize()
        from neonize.client import NewClient

        connection.session.auth_dir.mkdir(parents=True, exist_ok=True)
        client = NewClient(str(connection.session.auth_dir / AUTH_FILE), uuid=connection.uuid)
        # We stop clients ourselves, on the starter thread; neonize's garbage-collection hook
        # would stop one at any time, on any thread (a Go map write, see above).
        client._stop_finalizer.detach()
        client.event.qr(functools.partial(self._on_qr, connection))
        for event_type, handler in self._handlers().items():
            client.event(event_type)(functools.partial(self._dispatch, connection, handler))
        return client

    def _run(self, connection: _Connection, client: NewClient) -> None:
        try:
            client.connect()  # returns once stopped, raises when it cannot connect
            reason = "connect_failure: the neonize client ended"
        except Exception as exc:
            reason = f"connect_failure: {exc}"
        connection.settled.set()
        self._disconnected(connection, reason, release=True)  # nothing if we stopped it

    def _stop_client(self, connection: _Connection) -> None:
        if connection.client is not None:
            connection.client.stop()

    def _release(self, connection: _Connection,
                 first: Callable[[NewClient], None] | None = None) -> None:
        """Let go of a connection once: ``first`` (disconnect or log out, when connected) right
        here, then the Go-side stop on the starter thread. Disconnecting before returning means
        a restart never meets its predecessor still online (WhatsApp would drop one of the two
        as "stream replaced"); it waits while whatsmeow is redialling, up to its dial timeout."""
        with connection.lock:
            connection.closed = True
            if connection.released:
                return
            connection.released = True
            if connection.qr_timer is not None:
                connection.qr_timer.cancel()
        if first is not None and connection.phone and connection.client is not None:
            try:
                first(connection.client)
            except Exception:
                log.warning("neonize %s: %s failed", connection.uuid, first.__name__,
                            exc_info=True)
        _STARTER.submit(lambda: self._stop_client(connection), urgent=True)

    # --- events (Go dispatch thread: translate, hand over, never block) ---

    def _handlers(self) -> dict[type, Callable[[_Connection, Any], None]]:
        from neonize import events as ev

        return {
            ev.PairStatusEv: self._on_pair_status,
            ev.ConnectedEv: lambda c, _: self._on_connected(c),
            ev.MessageEv: self._on_message,
            ev.ReceiptEv: self._on_receipt,
            ev.LoggedOutEv: lambda c, _: self._logged_out(c),
            ev.TemporaryBanEv: lambda c, e: self._failed(c, temporary_ban_reason(e)),
            ev.ConnectFailureEv: lambda c, e: self._failed(c, connect_failure_reason(e)),
            ev.ClientOutdatedEv: lambda c, _: self._failed(
                c, "client_outdated: WhatsApp refuses this neonize (whatsmeow) version"),
            ev.StreamReplacedEv: lambda c, _: self._failed(c, "stream_replaced"),
            ev.DisconnectedEv: lambda c, _: self._disconnected(c, "connection_lost"),
            ev.KeepAliveTimeoutEv: lambda c, _: self._disconnected(c, "keepalive_timeout"),
        }

    def _dispatch(self, connection: _Connection, handler: Callable[[_Connection, Any], None],
                  _client: NewClient, event: Any) -> None:
        connection.settled.set()
        if connection.released:
            return
        try:
            handler(connection, event)
        except Exception:
            log.exception("neonize %s: handling %s failed", connection.uuid,
                          type(event).__name__)

    def _on_qr(self, connection: _Connection, _client: NewClient, code: bytes) -> None:
        connection.settled.set()
        with connection.lock:
            if connection.closed or connection.phone:
                return
            connection.qr_count += 1
            lifetime = FIRST_QR_S if connection.qr_count == 1 else NEXT_QR_S
            if connection.qr_timer is not None:
                connection.qr_timer.cancel()
            connection.qr_timer = threading.Timer(lifetime + QR_GRACE_S, self._qr_expired,
                                                  (connection, connection.qr_count))
            connection.qr_timer.daemon = True
            connection.qr_timer.start()
        connection.listener.on_qr(code.decode(), datetime.now(UTC) + timedelta(seconds=lifetime))

    def _qr_expired(self, connection: _Connection, count: int) -> None:
        if connection.qr_count == count and connection.phone is None:
            self._failed(connection, "qr_timeout")

    def _on_pair_status(self, connection: _Connection, event: Any) -> None:
        if _enum_name(event, "Status") == "success":
            self._connected(connection, f"+{event.ID.User}")
        else:
            self._failed(connection, f"pair_error: {event.Error}")

    def _on_connected(self, connection: _Connection) -> None:
        me = _own_device(connection)
        if me is not None:
            self._connected(connection, f"+{me.JID.User}")

    def _connected(self, connection: _Connection, phone: str) -> None:
        with connection.lock:
            if connection.closed or connection.phone:
                return  # Connected follows PairStatus after a scan: report once
            connection.phone = phone
            if connection.qr_timer is not None:
                connection.qr_timer.cancel()
        me = _own_device(connection)
        connection.listener.on_connected(phone, (me.PushName or None) if me else None)

    def _on_message(self, connection: _Connection, event: MessageEv) -> None:
        inbound = inbound_from_event(event)
        if inbound is not None:
            connection.listener.on_message(inbound)

    def _on_receipt(self, connection: _Connection, event: ReceiptEv) -> None:
        receipt = receipt_from_event(event)
        if receipt is not None:
            connection.listener.on_receipt(*receipt)

    def _report_once(self, connection: _Connection) -> bool:
        """Close the connection's life-cycle; False when it already was."""
        with connection.lock:
            if connection.closed:
                return False
            connection.closed = True
            return True

    def _disconnected(self, connection: _Connection, reason: str, release: bool = False) -> None:
        """The host stops and restarts the session (with backoff); messages keep flowing to it
        until then. With ``release`` (the client never connected, or its neonize loop ended),
        the client is let go of here."""
        if self._report_once(connection):
            connection.listener.on_disconnected(reason)
        if release:
            self._release(connection)

    def _failed(self, connection: _Connection, reason: str) -> None:
        if self._report_once(connection):
            self._forget(connection)
            self._release(connection)
            connection.listener.on_failed(reason)

    def _logged_out(self, connection: _Connection) -> None:
        if self._report_once(connection):
            self._forget(connection)
            self._release(connection)
            shutil.rmtree(connection.session.auth_dir, ignore_errors=True)
            connection.listener.on_logged_out("logged_out")

    # --- bookkeeping ---

    def _pop(self, session: EngineSession) -> _Connection | None:
        with self._lock:
            return self._connections.pop(_key(session), None)

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            if self._connections.get(_key(connection.session)) is connection:
                del self._connections[_key(connection.session)]

    def _connected_client(self, session: EngineSession) -> NewClient:
        connection = self._connections.get(_key(session))
        if connection is None or connection.closed or not connection.phone \
                or connection.client is None:
            raise EngineError("not_connected", "the session is not connected")
        return connection.client


def _key(session: EngineSession) -> tuple[str, str]:
    return session.tenant_id, session.session_id


def _own_device(connection: _Connection) -> Device | None:
    """The session's own device: neonize hands it over (``client.me``) before any event."""
    return connection.client.me if connection.client is not None else None


def _disconnect(client: NewClient) -> None:
    client.disconnect()


def _logout(client: NewClient) -> None:
    client.logout()  # unlinks the device on WhatsApp, then disconnects
