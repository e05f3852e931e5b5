"""The sandbox engine's core: connections, pairing, sending and receipts.

Sessions ask for a QR code (rotating), a "phone" scans it (``scan``) or types a pairing code
(``link``), recipients acknowledge messages (delivered, then read, after set delays) and
"phones" write in (``inbound``), react to, edit or delete messages (``change``) or end the
link (``drop``). Auth state is a small JSON file, so a paired session reconnects after a
restart without a scan.

With ``wire_log`` (or WAGATE_SANDBOX_WIRE_LOG) every send is also appended to that file as a
JSON line, so what went over the "wire" can be counted across host processes (bench/failover).

Which numbers are on WhatsApp is deterministic: every valid number except those whose last
four digits are ``0000`` (and any listed in ``unregistered``), so tests and demos can reach
"not on WhatsApp" on purpose.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from chalicelib.domain.content import summary
from chalicelib.domain.jids import Jid, normalize_phone
from chalicelib.domain.live import Done
from chalicelib.domain.live.messages import EditMessage, RevokeMessage, StarMessage
from chalicelib.domain.live.sessions import PairingCode, RequestPairingCode
from chalicelib.domain.messages import MessageStatus
from chalicelib.domain.text import utf8_bytes
from chalicelib.sessionhost.engines.base import (
    CHANGE_MAX_BYTES,
    INBOUND_MAX_BYTES,
    ChangeKind,
    EngineBase,
    EngineError,
    EngineListener,
    EngineSession,
    Inbound,
    MessageChange,
    Outbound,
)

if TYPE_CHECKING:
    from chalicelib.services.ports import RecipientInbox

T = TypeVar("T")
AUTH_FILE = "sandbox-auth.json"
HELD_RECEIPTS = 1_000  # per session, while no connection of it is up (oldest dropped)
# What the sandbox remembers of its latest sends and actions: enough for tests and demos,
# bounded for a long ``make run``.
KEEP = 256
ISSUED = 1_000  # message ids a phone can still react to, edit or delete, per session
log = logging.getLogger(__name__)


class _Latest(list):
    """A list that keeps only its latest ``KEEP`` entries."""

    def append(self, entry: object) -> None:
        super().append(entry)
        if len(self) > KEEP:
            del self[0]


class Scheduler:
    """One thread running callbacks at their time (cheaper than a Timer thread each)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._cv = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="sandbox-scheduler", daemon=True)
        self._thread.start()

    def call_later(self, delay_s: float, fn: Callable[[], None]) -> None:
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._counter), fn))
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cv.wait(timeout=(self._heap[0][0] - time.monotonic())
                                  if self._heap else None)
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:  # a failing callback must not stop the clock
                log.exception("sandbox callback failed")


@dataclass
class _Connection:
    session: EngineSession
    listener: EngineListener
    generation: int  # bumps on every start/stop so stale timers do nothing
    phone: str | None = None
    qr_rotations: int = 0
    pairing: tuple[str, str] | None = None  # (code, phone) while a pairing code is pending
    sent: dict[str, Outbound] = field(default_factory=dict)  # engine id -> what was sent


def sandbox_phone(session_id: str) -> str:
    """A stable, valid test number for a session that scans without naming one."""
    digits = int(hashlib.sha256(session_id.encode()).hexdigest(), 16) % 10000
    return normalize_phone(f"+1415555{digits:04d}")


class SandboxCore(EngineBase):
    name = "sandbox"

    def __init__(self, delivery_ms: int = 300, read_ms: int = 700, qr_rotate_s: float = 20,
                 qr_rotations: int = 8, unregistered: frozenset[str] = frozenset(),
                 wire_log: Path | None = None) -> None:
        self._delivery_s = delivery_ms / 1000
        self._read_s = read_ms / 1000
        self._qr_rotate_s = qr_rotate_s
        self._qr_rotations = qr_rotations
        self._connections: dict[tuple[str, str], _Connection] = {}
        self._generations = itertools.count(1)
        self._lock = threading.Lock()
        self._clock = Scheduler()
        self._unregistered = unregistered
        self._names: dict[str, str] = {}  # phone -> push name, learned from inbound messages
        self._parts: dict[str, Any] = {}  # each part's own state (see ``_part``)
        self._refuse: dict[tuple[str, str], int] = {}  # connects still to refuse, per session
        # WhatsApp's pushback still to answer, per session: (error code, sends left).
        self._pushback: dict[tuple[str, str], tuple[str, int]] = {}
        # Receipts for a session with no connection up wait for its next one (as WhatsApp
        # holds them for an offline device), whichever host connects it.
        self._held: dict[tuple[str, str], list[tuple[str, MessageStatus]]] = {}
        # The latest message ids issued per session, whichever connection issued them: the
        # chat of each and who wrote it (None: the session itself).
        self._issued: dict[tuple[str, str], dict[str, tuple[Jid, Jid | None]]] = {}
        # What the sandbox network saw, for tests and demos: (session, engine id, message)
        # and (session, action, target, argument).
        self.outbox: list[tuple[str, str, Outbound]] = _Latest()
        self.actions: list[tuple[str, str, str, object]] = _Latest()
        # Called with each send's engine id once it is on the wire (tests: raise HostDied
        # to play a host that dies before it could answer).
        self.after_send: Callable[[EngineSession, str], None] | None = None
        # Where each recipient's view of what it received is kept (GET
        # /v1/sandbox/recipients/{phone}/messages), full text included.
        self.recipients: RecipientInbox | None = None
        configured = os.environ.get("WAGATE_SANDBOX_WIRE_LOG")
        self._wire_log = wire_log or (Path(configured) if configured else None)

    def _part(self, name: str, factory: Callable[[], T]) -> T:
        """A part's state (a part is a module of this package adding a family of live
        operations), made on first use."""
        with self._lock:
            if name not in self._parts:
                self._parts[name] = factory()
            return self._parts[name]  # type: ignore[no-any-return]

    @staticmethod
    def _key(session: EngineSession) -> tuple[str, str]:
        return session.tenant_id, session.session_id

    def _current(self, session: EngineSession, generation: int) -> _Connection | None:
        connection = self._connections.get(self._key(session))
        return connection if connection and connection.generation == generation else None

    # --- the engine port ---

    def start(self, session: EngineSession, listener: EngineListener) -> None:
        connection = _Connection(session, listener, next(self._generations))
        with self._lock:
            self._connections[self._key(session)] = connection
        auth = session.auth_dir / AUTH_FILE
        if self._refuse.get(self._key(session), 0) > 0:
            self._refuse[self._key(session)] -= 1
            self._clock.call_later(0.01, lambda: self._refused(connection))
        elif auth.exists():
            phone = json.loads(auth.read_text())["phone"]
            self._clock.call_later(0.05, lambda: self._connect(connection, phone))
        else:
            self._clock.call_later(0.05, lambda: self._rotate_qr(connection))

    def stop(self, session: EngineSession) -> None:
        with self._lock:
            self._connections.pop(self._key(session), None)

    def logout(self, session: EngineSession) -> None:
        self.stop(session)
        with self._lock:
            self._held.pop(self._key(session), None)  # an unlinked device gets nothing more
            self._issued.pop(self._key(session), None)
        shutil.rmtree(session.auth_dir, ignore_errors=True)

    def message_id(self, session: EngineSession) -> str:
        return "3EB0" + secrets.token_hex(8).upper()

    def send(self, session: EngineSession, outbound: Outbound,
             message_id: str | None = None) -> str:
        connection = self._connected(session)
        self._pushed_back(session)
        to = outbound.to
        if to.is_user and not self._registered(to.phone or ""):
            raise EngineError("not_on_whatsapp", f"{to.phone} is not on WhatsApp")
        media = getattr(outbound.content, "media", None)
        if media is not None and (outbound.media is None or len(outbound.media) != media.size):
            raise EngineError("media_missing", "the media file did not arrive whole")
        engine_id = message_id or self.message_id(session)
        connection.sent[engine_id] = outbound
        if len(connection.sent) > KEEP:
            del connection.sent[next(iter(connection.sent))]
        self.outbox.append((session.session_id, engine_id, outbound))
        if to.is_user:
            self._received(session, engine_id, outbound)
        if outbound.content.type != "reaction":
            self._issue(session, engine_id, to, None)
        self._log_wire(session, engine_id, outbound)
        receipts = [(self._delivery_s, MessageStatus.DELIVERED), (self._read_s, MessageStatus.READ)]
        if outbound.content.type == "voice":  # a voice note is played after it is opened
            receipts.append((self._read_s * 1.5, MessageStatus.PLAYED))
        if outbound.content.type != "reaction":
            for delay, status in receipts:
                self._clock.call_later(delay, lambda s=status: self._receipt(
                    session, engine_id, s))
        if self.after_send is not None:
            self.after_send(session, engine_id)
        return engine_id

    def push_back(self, session: EngineSession, error: str, sends: int) -> None:
        """WhatsApp answers the session's next ``sends`` sends with ``error``."""
        with self._lock:
            self._pushback[self._key(session)] = (error, sends)

    def _pushed_back(self, session: EngineSession) -> None:
        """Refuse this send (nothing leaves) while pushback is pending."""
        with self._lock:
            error, left = self._pushback.get(self._key(session), ("", 0))
            if left <= 0:
                return
            if left == 1:
                del self._pushback[self._key(session)]
            else:
                self._pushback[self._key(session)] = (error, left - 1)
        raise EngineError(error, "WhatsApp refused the send: " + (
            "rate over limit (429)" if error == "rate_limited" else
            "reach-out timelock (463): this number may not start new chats for now"))

    def _received(self, session: EngineSession, engine_id: str, outbound: Outbound) -> None:
        """The recipient's phone shows the message (its full text): kept for the sandbox's
        recipient view. A failure to keep it never fails the send, which happened."""
        if self.recipients is None or not outbound.to.phone:
            return
        try:
            self.recipients.record(session.tenant_id, outbound.to.phone.lstrip("+"), {
                "id": outbound.message_id or engine_id, "session_id": session.session_id,
                "type": outbound.content.type, "text": summary(outbound.content),
                "received_at": datetime.now(UTC).isoformat(timespec="milliseconds")})
        except Exception:
            log.exception("could not keep the recipient view of %s", engine_id)

    def _log_wire(self, session: EngineSession, engine_id: str, outbound: Outbound) -> None:
        if self._wire_log is None:
            return
        line = json.dumps({"at": datetime.now(UTC).isoformat(), "tenant_id": session.tenant_id,
                           "session_id": session.session_id, "engine_id": engine_id,
                           "to": str(outbound.to), "type": outbound.content.type,
                           "text": summary(outbound.content)}) + "\n"
        with self._lock, self._wire_log.open("a", encoding="utf-8") as out:
            out.write(line)

    def typing(self, session: EngineSession, chat: Jid, duration_ms: int) -> None:
        self._connected(session)
        self.actions.append((session.session_id, "typing", str(chat), duration_ms))
        time.sleep(duration_ms / 1000)

    def messages_edit(self, session: EngineSession, op: EditMessage) -> Done:
        self._own(session, op.engine_message_id)
        self.actions.append((session.session_id, "edit", op.engine_message_id, op.text))
        return Done()

    def messages_revoke(self, session: EngineSession, op: RevokeMessage) -> Done:
        self._own(session, op.engine_message_id)
        self.actions.append((session.session_id, "revoke", op.engine_message_id, None))
        return Done()

    def messages_star(self, session: EngineSession, op: StarMessage) -> Done:
        self._connected(session)
        self.actions.append((session.session_id, "star", op.engine_message_id, op.starred))
        return Done()

    def _connected(self, session: EngineSession) -> _Connection:
        connection = self._connections.get(self._key(session))
        if connection is None or connection.phone is None:
            raise EngineError("not_connected", "the session is not connected")
        return connection

    def _own(self, session: EngineSession, engine_message_id: str) -> None:
        if engine_message_id not in self._connected(session).sent:
            raise EngineError("unknown_message", "this session did not send that message")

    def sessions_pairing_code(self, session: EngineSession,
                              op: RequestPairingCode) -> PairingCode:
        connection = self._scanning(session)
        alphabet = "ABCDEFGHJKLMNPQRSTVWXYZ23456789"
        code = "".join(secrets.choice(alphabet) for _ in range(8))
        connection.pairing = (code, normalize_phone(op.phone))
        return PairingCode(code=code, phone=op.phone)

    def _registered(self, phone: str) -> bool:
        return not phone.endswith("0000") and phone not in self._unregistered

    # --- playing the phone ---

    def _scanning(self, session: EngineSession) -> _Connection:
        connection = self._connections.get(self._key(session))
        if connection is None or connection.phone is not None or connection.qr_rotations == 0:
            raise EngineError("not_scanning", "the session is not showing a QR code")
        return connection

    def scan(self, session: EngineSession, phone: str | None) -> str:
        connection = self._scanning(session)
        phone = phone or sandbox_phone(session.session_id)
        self._pair(connection, phone)
        return phone

    def link(self, session: EngineSession, code: str) -> str:
        """The phone's owner types the pairing code the session showed."""
        connection = self._scanning(session)
        typed = code.replace("-", "").strip().upper()
        if connection.pairing is None or connection.pairing[0] != typed:
            raise EngineError("wrong_code", "that is not the pairing code of this session")
        phone = connection.pairing[1]
        self._pair(connection, phone)
        return phone

    def _pair(self, connection: _Connection, phone: str) -> None:
        session = connection.session
        session.auth_dir.mkdir(parents=True, exist_ok=True)
        (session.auth_dir / AUTH_FILE).write_text(json.dumps({"phone": phone}))
        self._connect(connection, phone)

    def inbound(self, session: EngineSession, sender: Jid, text: str | None,
                push_name: str | None, media: tuple[bytes, str, str | None] | None = None,
                message_type: str = "text") -> str:
        """A phone writes to the session: text, or a media file (bytes, MIME type, name)
        with ``text`` as its caption."""
        for name, value in (("text", text), ("push_name", push_name),
                            ("filename", media[2] if media else None),
                            ("mime_type", media[1] if media else None)):
            limit = INBOUND_MAX_BYTES[name]
            if value is not None and utf8_bytes(value) > limit:
                raise EngineError("too_large", f"{name}: may be at most {limit} bytes (UTF-8)")
        connection = self._connected(session)
        engine_id = self.message_id(session)
        if push_name and sender.phone:
            self._names[sender.phone] = push_name
        data = media[0] if media else None
        self._issue(session, engine_id, sender, sender)
        connection.listener.on_message(Inbound(
            engine_message_id=engine_id, chat=sender, sender=sender, text=text,
            timestamp=datetime.now(UTC), push_name=push_name, sender_phone=sender.phone,
            type=message_type if media else "text",
            media_loader=(lambda: data) if data is not None else None,  # type: ignore[return-value]
            mime_type=media[1] if media else None, filename=media[2] if media else None))
        return engine_id

    def change(self, session: EngineSession, sender: Jid, kind: ChangeKind,
               target_engine_id: str, text: str | None = None) -> None:
        """A phone reacts to a message of its chat with the session (``text``: the emoji,
        empty takes it back), or edits (``text``: the new text) or deletes for everyone a
        message it wrote itself."""
        if kind not in get_args(ChangeKind):
            raise EngineError("invalid_change", f"no change of kind {kind}")
        limit = CHANGE_MAX_BYTES.get(kind)
        if limit is not None and text is not None and utf8_bytes(text) > limit:
            raise EngineError("too_large", f"{'emoji' if kind == 'reaction' else 'text'}: "
                              f"may be at most {limit} bytes (UTF-8)")
        if (kind == "revoked") != (text is None) or (kind == "edited" and not text):
            raise EngineError("invalid_change", f"a change of kind {kind} needs "
                              + ("no text" if kind == "revoked" else "its text"))
        connection = self._connected(session)
        with self._lock:
            chat, author = self._issued.get(self._key(session), {}).get(
                target_engine_id, (None, None))
        if chat is None:
            raise EngineError("not_found", "the sandbox knows no message with that id (it "
                              "remembers the latest it issued, in this host process)")
        if chat != sender:
            raise EngineError("not_in_chat", "that message is not in this phone's chat with "
                              "the session")
        if kind != "reaction" and author != sender:
            raise EngineError("not_own_message", "a phone can only edit or delete for "
                              "everyone the messages it wrote")
        connection.listener.on_change(MessageChange(
            kind=kind, target_engine_id=target_engine_id, chat=sender, sender=sender,
            text=text, timestamp=datetime.now(UTC), sender_phone=sender.phone))

    def drop(self, session: EngineSession, logged_out: bool = False,
             refuse_reconnects: int = 0) -> None:
        """The phone side ends the connection (or unlinks the device); the next
        ``refuse_reconnects`` connection attempts fail too (a phone gone offline)."""
        connection = self._connections.get(self._key(session))
        if connection is None:
            return
        self._refuse[self._key(session)] = refuse_reconnects
        if logged_out:
            self.logout(session)
            connection.listener.on_logged_out("logged_out")
        else:
            connection.listener.on_disconnected("connection_lost")

    # --- internals ---

    def _refused(self, connection: _Connection) -> None:
        if self._current(connection.session, connection.generation) is not None:
            connection.listener.on_disconnected("connection_refused")

    def _connect(self, connection: _Connection, phone: str) -> None:
        if self._current(connection.session, connection.generation) is None:
            return
        connection.phone = phone
        connection.listener.on_connected(phone, "Sandbox")
        with self._lock:
            held = self._held.pop(self._key(connection.session), [])
        for engine_id, status in held:
            connection.listener.on_receipt([engine_id], status, datetime.now(UTC))

    def _rotate_qr(self, connection: _Connection) -> None:
        if self._current(connection.session, connection.generation) is None \
                or connection.phone is not None:
            return
        if connection.qr_rotations >= self._qr_rotations:
            connection.listener.on_failed("qr_timeout")
            self.stop(connection.session)
            return
        connection.qr_rotations += 1
        code = f"2@{secrets.token_urlsafe(48)},{secrets.token_urlsafe(32)},sandbox"
        expires = datetime.now(UTC) + timedelta(seconds=self._qr_rotate_s)
        connection.listener.on_qr(code, expires)
        self._clock.call_later(self._qr_rotate_s, lambda: self._rotate_qr(connection))

    def _issue(self, session: EngineSession, engine_id: str, chat: Jid,
               author: Jid | None) -> None:
        with self._lock:
            issued = self._issued.setdefault(self._key(session), {})
            issued[engine_id] = (chat, author)
            if len(issued) > ISSUED:
                del issued[next(iter(issued))]

    def _receipt(self, session: EngineSession, engine_id: str, status: MessageStatus) -> None:
        """The recipient's phone acknowledges: to the session's connection that is up now
        (which may be another host's than the one that sent), else held for the next."""
        key = self._key(session)
        with self._lock:
            connection = self._connections.get(key)
            if connection is None or connection.phone is None:
                held = self._held.setdefault(key, [])
                held.append((engine_id, status))
                del held[:-HELD_RECEIPTS]
                return
        connection.listener.on_receipt([engine_id], status, datetime.now(UTC))
