"""The neonize engine: real WhatsApp through neonize (whatsmeow, in Go, underneath).

neonize keeps every client in plain Go maps, written when a client starts and when it stops:
two of those at once crash the whole process ("concurrent map writes"). So one starter thread
per process creates, connects and stops clients, one after another; it moves on to the next
start only once the previous client showed a sign of life (a QR code, an event, or an error),
or after ``connect_timeout_s`` (the watchdog: the session is reported disconnected and its
client stopped).

``NewClient.connect()`` blocks for the client's whole life (until ``stop()``), so each client
connects on a thread of its own. Event handlers run on the Go dispatch thread: they only
translate events (``convert``'s pure functions) and call the listener, which queues the work.

Each session's auth state is its own SQLite file, ``auth_dir / "neonize.sqlite3"``.

Connection trouble (no network, the watchdog, a dropped socket) is ``on_disconnected``: the
host retries with backoff and gives up after a few attempts. What retrying cannot fix is
``on_failed`` (QR never scanned, ban, stream replaced by another client, refused pairing) or
``on_logged_out`` (the phone unlinked the device; its auth file is deleted).

Sending: ``build_message`` turns an Outbound into the WhatsApp protobuf (pure); media are
prepared first (``prepare_media``: sizes, thumbnails and sticker conversion with Pillow, an
OGG/Opus duration read from its pages) and uploaded with ``client.upload`` (encrypted by
whatsmeow), so no ffmpeg is needed: neonize's own ``build_video_message``/
``build_audio_message``/animated stickers call ffmpeg, which the engine never uses. Without it,
videos go without a thumbnail or duration, audio that is not OGG/Opus without a duration, and
nothing is transcoded: videos must already be MP4 (H.264/AAC), voice notes play reliably only
as OGG/Opus, stickers must be WebP or a still image (converted here to a 512x512 WebP).

A Go call on a stopped client crashes the process (neonize looks the client up in a Go map and
calls it even when it is gone), so every call into a client is counted while it runs, none
starts once the client is released, and its Go-side stop waits for the count to reach zero
(``_hold``).

Known neonize 0.5.2 limits: while QR codes show, no other event gets through (a refused
pairing ends as "qr_timeout"); a client stopped while it shows QR codes, or whose codes ran
out, leaves its Go call (and two idle threads, one not a daemon) blocked for the rest of the
process; every start opens a SQLite handle that is never closed; events still buffered in Go
when a client stops are lost, although WhatsApp already counts them as delivered; starring
cannot work, so ``messages.star`` is not_supported: starring is an app-state patch
(whatsmeow's appstate.BuildStar: "regular_high"), and neonize's ``send_app_state`` cannot
deliver one (its Go side compares enum pointers, so every patch reaches whatsmeow with an
empty patch name, and it has no REGULAR_HIGH at all).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import queue
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.domain.content import MEDIA_TYPES, Text
from chalicelib.domain.jids import Jid
from chalicelib.domain.live import Done
from chalicelib.domain.live.contacts import CheckNumbers, NumbersChecked
from chalicelib.domain.live.messages import EditMessage, RevokeMessage
from chalicelib.domain.live.sessions import PairingCode, RequestPairingCode
from chalicelib.sessionhost.engines.base import (
    EngineBase,
    EngineError,
    EngineListener,
    EngineSession,
    Outbound,
)
from chalicelib.sessionhost.engines.neonize.convert import (
    LinkPreview,
    build_edit,
    build_message,
    build_revoke,
    change_from_event,
    connect_failure_reason,
    engine_error,
    enum_name,
    first_url,
    inbound_from_event,
    jid_to_proto,
    lenient_jid,
    numbers_checked,
    receipt_from_event,
    temporary_ban_reason,
)
from chalicelib.sessionhost.engines.neonize.loader import load_neonize
from chalicelib.sessionhost.engines.neonize.media import prepare_media

if TYPE_CHECKING:
    from neonize.client import NewClient
    from neonize.events import MessageEv, ReceiptEv
    from neonize.proto.Neonize_pb2 import Device
    from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message as WAMessage

log = logging.getLogger(__name__)

AUTH_FILE = "neonize.sqlite3"
FIRST_QR_S = 60.0  # whatsmeow shows the first code of a connection for 60 s ...
NEXT_QR_S = 20.0  # ... and each of the (usually five) later ones for 20 s, then gives up
QR_GRACE_S = 5.0  # after the last code's expiry before the session counts as unscanned
_ATTEMPTS = itertools.count(1)  # makes each client's Go key unique, restarts included


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
    busy: int = 0  # calls into the client running now (see NeonizeEngine._hold)
    stop_pending: bool = False  # released while busy: the last call out stops it in Go
    gone: threading.Event = field(default_factory=threading.Event)  # set once released


class NeonizeCore(EngineBase):
    """Real WhatsApp sessions through neonize (see the module's docstring)."""

    name = "neonize"

    def __init__(self, connect_timeout_s: float = 30,
                 link_preview: Callable[[str], LinkPreview | None] | None = None) -> None:
        """``link_preview`` fetches the preview card of a text's first link when the text asks
        for one; without it, texts go without a card. (neonize's own fetcher follows any URL,
        internal addresses included: give one that refuses those.)"""
        self._connect_timeout_s = connect_timeout_s
        self._link_preview = link_preview
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

    def message_id(self, session: EngineSession) -> None:
        """None: neonize 0.5.2's ``send_message`` cannot carry an id chosen beforehand (its Go
        side takes no ``SendRequestExtra``; only ``send_fb_message`` does, for another kind
        of message), so whatsmeow picks one. The host then relies on its per-message send
        token alone: a second attempt refuses, but the id is only known once sent."""
        return None

    def send(self, session: EngineSession, outbound: Outbound,
             message_id: str | None = None) -> str:
        """Send any content: media are prepared and uploaded first, then the message built
        (``build_message``) goes out as a protobuf (never as a string, which neonize would
        scan for "@digits" mentions and links). ``message_id`` must be None (see
        ``message_id``)."""
        if message_id is not None:
            raise EngineError("unsupported", "neonize cannot send with a chosen message id")
        content = outbound.content
        with self._using(session) as connection:
            from neonize.exc import NeonizeError
            from neonize.utils.enum import MediaType

            media = prepare_media(content, outbound.media) if content.type in MEDIA_TYPES \
                else None
            preview = self._preview(content)
            client = connection.client
            assert client is not None  # (held)
            try:
                upload = client.upload(media.data, MediaType[media.upload_type]) \
                    if media is not None else None
                message = build_message(outbound, me=_me(connection), media=media,
                                        upload=upload, preview=preview)
                return client.send_message(jid_to_proto(outbound.to), message).ID
            except NeonizeError as exc:
                raise engine_error(exc) from exc

    def typing(self, session: EngineSession, chat: Jid, duration_ms: int,
               media: Literal["text", "audio"] = "text") -> None:
        """Show "typing…" (with ``media="audio"``: "recording audio…") for ``duration_ms``,
        then stop showing it. Cut short when the session stops."""
        with self._using(session) as connection:
            from neonize.exc import NeonizeError
            from neonize.utils.enum import ChatPresence, ChatPresenceMedia

            client = connection.client
            assert client is not None  # (held)
            jid = jid_to_proto(chat)
            kind = ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO if media == "audio" \
                else ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT
            try:
                client.send_chat_presence(jid, ChatPresence.CHAT_PRESENCE_COMPOSING, kind)
            except NeonizeError as exc:
                raise engine_error(exc, "presence_failed") from exc
            if connection.gone.wait(max(duration_ms, 0) / 1000):
                return
            try:
                client.send_chat_presence(jid, ChatPresence.CHAT_PRESENCE_PAUSED, kind)
            except NeonizeError:  # WhatsApp ends the indicator by itself after ~25 s
                log.debug("neonize %s: could not end the typing indicator", connection.uuid,
                          exc_info=True)

    def messages_edit(self, session: EngineSession, op: EditMessage) -> Done:
        chat = lenient_jid(op.chat)
        self._send_built(session, chat, lambda: build_edit(chat, op.engine_message_id, op.text))
        return Done()

    def messages_revoke(self, session: EngineSession, op: RevokeMessage) -> Done:
        chat = lenient_jid(op.chat)
        self._send_built(session, chat, lambda: build_revoke(chat, op.engine_message_id))
        return Done()

    def sessions_pairing_code(self, session: EngineSession,
                              op: RequestPairingCode) -> PairingCode:
        connection = self._connections.get(_key(session))
        # whatsmeow pairs by code only inside the QR loop: after the first code, before a scan.
        if connection is None or connection.closed or connection.phone \
                or not connection.qr_count or connection.client is None:
            raise EngineError("not_scanning", "the session is not showing a QR code")
        from neonize.exc import NeonizeError
        from neonize.utils.enum import ClientName

        try:
            with self._hold(connection, "not_scanning") as client:
                code = client.PairPhone(op.phone.lstrip("+"), True, ClientName.LINUX)
        except NeonizeError as exc:
            raise EngineError("pairing_failed", str(exc)) from exc
        return PairingCode(code=code.replace("-", ""), phone=op.phone)  # shown "ABCD-EFGH"

    def contacts_check(self, session: EngineSession, op: CheckNumbers) -> NumbersChecked:
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            assert connection.client is not None  # (held)
            try:
                found = connection.client.is_on_whatsapp(*op.phones)
            except NeonizeError as exc:
                raise EngineError("check_failed", str(exc)) from exc
        return numbers_checked(op.phones, found)

    # --- sending and downloading (the host's threads) ---

    def _send_built(self, session: EngineSession, to: Jid, build: Callable[[], WAMessage]
                    ) -> str:
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            assert connection.client is not None  # (held)
            try:
                return connection.client.send_message(jid_to_proto(to), build()).ID
            except NeonizeError as exc:
                raise engine_error(exc) from exc

    def _preview(self, content: Any) -> LinkPreview | None:
        """The preview card of a text's first link, when it asks for one and we can fetch it."""
        fetch = self._link_preview
        if fetch is None or not isinstance(content, Text) or not content.link_preview:
            return None
        url = first_url(content.text)
        if url is None:
            return None
        try:
            return fetch(url)
        except Exception:
            log.warning("no link preview for %s", url, exc_info=True)
            return None

    def _download(self, session: EngineSession, media: WAMessage) -> bytes:
        """An inbound media file's bytes (an Inbound's ``media_loader``): through the
        session's current client, so a download still works after the session restarted."""
        with self._using(session) as connection:
            from neonize.exc import NeonizeError

            assert connection.client is not None  # (held)
            try:
                return connection.client.download_any(media) or b""
            except NeonizeError as exc:
                raise engine_error(exc, "download_failed") from exc

    @contextlib.contextmanager
    def _using(self, session: EngineSession) -> Iterator[_Connection]:
        """The session's connected connection, held (see ``_hold``) while the block runs;
        EngineError("not_connected") when there is none."""
        connection = self._connections.get(_key(session))
        if connection is None or connection.closed or not connection.phone:
            raise EngineError("not_connected", "the session is not connected")
        with self._hold(connection):
            yield connection

    @contextlib.contextmanager
    def _hold(self, connection: _Connection, refusal: str = "not_connected"
              ) -> Iterator[NewClient]:
        """The connection's client, kept in neonize's Go map while the block runs.

        neonize finds a client by its key in a Go map on every call, and calls it even when
        ``stop()`` deleted it: a nil pointer, which crashes the whole process. So calls are
        counted here, none starts once the connection is released, and the Go-side stop of a
        released connection waits for the count to reach zero (``_stop_when_idle``)."""
        with connection.lock:
            if connection.released or connection.client is None:
                raise EngineError(refusal, "the session's client is stopping")
            connection.busy += 1
        try:
            yield connection.client
        finally:
            with connection.lock:
                connection.busy -= 1
                stop = connection.busy == 0 and connection.stop_pending
                if stop:
                    connection.stop_pending = False
            if stop:
                _STARTER.submit(lambda: self._stop_client(connection), urgent=True)

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
        load_neonize()
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

    def _stop_when_idle(self, connection: _Connection) -> None:
        """Stop a released client in Go now, or (while calls into it run) when the last one
        returns (see ``_hold``)."""
        with connection.lock:
            if connection.busy:
                connection.stop_pending = True
                return
        self._stop_client(connection)

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
            connection.gone.set()
            if connection.qr_timer is not None:
                connection.qr_timer.cancel()
        if first is not None and connection.phone and connection.client is not None:
            try:
                first(connection.client)
            except Exception:
                log.warning("neonize %s: %s failed", connection.uuid, first.__name__,
                            exc_info=True)
        _STARTER.submit(lambda: self._stop_when_idle(connection), urgent=True)

    # --- events (Go dispatch thread: translate, hand over, never block) ---

    def _handlers(self) -> dict[type, Callable[[_Connection, Any], None]]:
        from neonize import events as ev

        handlers: dict[type, Callable[[_Connection, Any], None]] = {
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
        for name in dir(type(self)):  # each part of the engine adds the events it handles
            if name.startswith("_events_"):
                handlers.update(getattr(self, name)())
        return handlers

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
        if enum_name(event, "Status") == "success":
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
        session = connection.session
        inbound = inbound_from_event(
            event, lambda media: functools.partial(self._download, session, media))
        if inbound is not None:
            connection.listener.on_message(inbound)
            return
        change = change_from_event(event)
        if change is not None:
            connection.listener.on_change(change)

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


def _key(session: EngineSession) -> tuple[str, str]:
    return session.tenant_id, session.session_id


def _me(connection: _Connection) -> Jid | None:
    """The session's own (phone) JID, once connected."""
    return Jid(connection.phone.lstrip("+")) if connection.phone else None


def _own_device(connection: _Connection) -> Device | None:
    """The session's own device: neonize hands it over (``client.me``) before any event."""
    return connection.client.me if connection.client is not None else None


def _disconnect(client: NewClient) -> None:
    client.disconnect()


def _logout(client: NewClient) -> None:
    client.logout()  # unlinks the device on WhatsApp, then disconnects
