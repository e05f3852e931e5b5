"""The session host: holds WhatsApp connections through engines, leased from DynamoDB.

Engine callbacks are queued and handled on one worker thread (never on the engine's own
thread). Every write about a session carries the host's fencing token; a write refused as
stale means another host took over, and this one lets go at once.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from chalicelib.adapters.hosts_repo import DynamoHostRepo, HostRecord
from chalicelib.adapters.messages_repo import DynamoMessageRepo
from chalicelib.adapters.sessions_repo import DynamoSessionRepo
from chalicelib.domain import clock, events, ids
from chalicelib.domain.content import Content, Quote
from chalicelib.domain.errors import (
    AppError,
    Conflict,
    NotFound,
    OutcomeUnknown,
    SessionUnavailable,
    StaleFence,
    ValidationFailed,
)
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.messages import Direction, Message, MessageStatus, StatusChange
from chalicelib.domain.sessions import Session, SessionStatus
from chalicelib.domain.text import clip, utf8_bytes
from chalicelib.services.ports import EventPublisher, MediaStore
from chalicelib.sessionhost.engines.base import (
    CHANGE_MAX_BYTES,
    ENGINE_ID_MAX_BYTES,
    INBOUND_MAX_BYTES,
    Engine,
    EngineError,
    EngineSession,
    Inbound,
    MessageChange,
    Outbound,
)

log = logging.getLogger("wagate.host")
_CONTENT: TypeAdapter[Any] = TypeAdapter(Content)
RUN_FIELDS = ("run_shard", "run_key", "qr")
PLACEMENT_GRACE_S = 5.0  # a never-held session is left to the API's placement this long


def _age_s(iso: str) -> float:
    try:
        moment = clock.parse(iso)
    except ValueError:
        return float("inf")
    return (datetime.now(UTC) - moment).total_seconds()


class NotOwner(Conflict):
    code = "not_owner"


class EngineRefused(AppError):
    """The engine refused for good (e.g. the recipient is not on WhatsApp)."""

    status = 422


def backoff_seconds(failures: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: a random wait up to ``base * 2**(failures-1)``."""
    return random.uniform(0, min(cap, base * 2 ** max(failures - 1, 0)))  # noqa: S311


@dataclass
class Running:
    tenant_id: str
    session_id: str
    engine: Engine
    ref: EngineSession
    fence: int
    status: SessionStatus
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    next_send_at: float = 0.0  # monotonic time before which the next send waits (pacing)
    failures: int = 0  # consecutive connection failures

    @property
    def key(self) -> tuple[str, str]:
        return self.tenant_id, self.session_id


class _Listener:
    """Turns engine callbacks into work items for the host's worker thread."""

    def __init__(self, host: SessionHost, key: tuple[str, str], fence: int) -> None:
        self._host, self._key, self._fence = host, key, fence

    def _put(self, handler: Callable[..., None], *args: Any) -> None:
        self._host.enqueue(self._key, self._fence, handler, *args)

    def on_qr(self, code: str, expires_at: datetime) -> None:
        self._put(self._host._on_qr, code, expires_at)

    def on_connected(self, phone: str, push_name: str | None) -> None:
        self._put(self._host._on_connected, phone, push_name)

    def on_disconnected(self, reason: str) -> None:
        self._put(self._host._on_disconnected, reason)

    def on_logged_out(self, reason: str) -> None:
        self._put(self._host._finish, SessionStatus.STOPPED, reason)

    def on_failed(self, reason: str) -> None:
        self._put(self._host._finish, SessionStatus.FAILED, reason)

    def on_message(self, message: Inbound) -> None:
        self._put(self._host._on_message, message)

    def on_receipt(self, engine_ids: list[str], status: MessageStatus, at: datetime) -> None:
        self._put(self._host._on_receipt, engine_ids, status)

    def on_change(self, change: MessageChange) -> None:
        self._put(self._host._on_change, change)


class SessionHost:
    def __init__(self, host_id: str, address: str, capacity: int, sessions: DynamoSessionRepo,
                 messages: DynamoMessageRepo, hosts: DynamoHostRepo, events: EventPublisher,
                 engines: dict[str, Engine], state_dir: Path, lease_ttl_s: float = 30,
                 reconnect_attempts: int = 6, reconnect_base_s: float = 1.0,
                 reconnect_cap_s: float = 60.0,
                 report_load: Callable[[str, int, int], None] | None = None,
                 media: MediaStore | None = None) -> None:
        self.host_id = host_id
        self.address = address
        self.capacity = capacity
        self._sessions = sessions
        self._messages = messages
        self._hosts = hosts
        self._events = events
        self.engines = engines
        self._state_dir = state_dir
        self._ttl_ms = int(lease_ttl_s * 1000)
        self._reconnect = (reconnect_attempts, reconnect_base_s, reconnect_cap_s)
        self._report_load = report_load
        self._media = media
        self._running: dict[tuple[str, str], Running] = {}
        self._lock = threading.RLock()
        self._work: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._stopped = threading.Event()
        self.draining = False
        self._threads: list[threading.Thread] = []

    # --- life cycle ---

    def run_background(self, heartbeat: bool = True) -> None:
        """Handle engine events on a thread; with ``heartbeat``, also renew leases, report
        load and adopt sessions (tests that drive those by hand pass False)."""
        loops = [(self._worker, "host-worker")]
        if heartbeat:
            loops.append((self._beat_loop, "host-heartbeat"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def drain(self) -> None:
        """Stop taking sessions, let go of every lease so others adopt them now, and leave."""
        self.draining = True
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        for r in running:
            r.engine.stop(r.ref)
            self._sessions.release(r.tenant_id, r.session_id, self.host_id, r.fence)
        self._hosts.remove(self.host_id)
        self._stopped.set()
        self._work.put(None)
        log.info("host %s drained %d session(s)", self.host_id, len(running))

    def kill(self) -> None:
        """Stop without telling anyone (tests: a host that dies; it takes nothing more)."""
        self.draining = True
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        for r in running:
            r.engine.stop(r.ref)
        self._stopped.set()
        self._work.put(None)

    @property
    def session_count(self) -> int:
        return len(self._running)

    def register(self) -> None:
        """Tell the fleet registry where this host is and how loaded it is."""
        self._hosts.heartbeat(HostRecord(host_id=self.host_id, address=self.address,
                                         capacity=self.capacity, sessions=self.session_count,
                                         alive_until_ms=int(time.time() * 1000) + self._ttl_ms,
                                         draining=self.draining))

    def heartbeat(self) -> None:
        now = int(time.time() * 1000)
        self.register()
        if self._report_load:
            self._report_load(self.host_id, self.session_count, self.capacity)
        with self._lock:
            running = list(self._running.values())
        for r in running:
            if not self._sessions.renew(r.tenant_id, r.session_id, self.host_id, r.fence,
                                        self._ttl_ms, now):
                self._lost(r.key)

    def adopt(self) -> None:
        """Take sessions that should run but that no live host holds."""
        if self.draining:
            return
        now = int(time.time() * 1000)
        for session in self._sessions.runnable():
            if self.session_count >= self.capacity:
                return
            if (session.tenant_id, session.id) in self._running \
                    or session.engine not in self.engines:
                continue
            if session.owner and session.lease_until_ms > now:
                continue
            if session.fence == 0 and _age_s(session.updated_at) < PLACEMENT_GRACE_S:
                continue  # brand new: the API is placing it on the least-loaded host
            try:
                self.start_session(session.tenant_id, session.id)
            except AppError as exc:
                log.info("adopt %s: %s", session.id, exc.message)

    def _beat_loop(self) -> None:
        """Renew leases every third of the TTL; look for sessions to adopt every tenth, so a
        dead host's sessions move within about one TTL of its last renewal."""
        sweep_s = max(self._ttl_ms / 10_000, 0.2)
        sweeps_per_beat = max(round(self._ttl_ms / 3000 / sweep_s), 1)
        tick = 0
        while not self._stopped.wait(sweep_s):
            tick += 1
            try:
                if tick % sweeps_per_beat == 0:
                    self.heartbeat()
                self.adopt()
            except Exception:
                log.exception("heartbeat failed")

    # --- the work queue ---

    def enqueue(self, key: tuple[str, str], fence: int, handler: Callable[..., None],
                *args: Any) -> None:
        self._work.put((key, fence, handler, args))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every engine callback queued so far has been handled."""
        done = threading.Event()
        self._work.put((None, 0, lambda: done.set(), ()))
        done.wait(timeout)

    def _worker(self) -> None:
        while (item := self._work.get()) is not None:
            key, fence, handler, args = item
            if key is None:
                handler()
                continue
            running = self._running.get(key)
            if running is None or running.fence != fence:
                continue  # the session moved on since the engine spoke
            try:
                handler(running, *args)
            except StaleFence:
                log.warning("lost the lease of %s/%s", *key)
                self._lost(key)
            except Exception:
                log.exception("handling an engine event of %s/%s failed", *key)

    # --- commands (internal API) ---

    def _auth_dir(self, session: Session) -> Path:
        return self._state_dir / session.tenant_id / session.id / f"epoch-{session.auth_epoch}"

    def start_session(self, tenant_id: str, session_id: str) -> dict[str, Any]:
        if self.draining:
            raise SessionUnavailable("this host is draining", code="host_draining")
        key = (tenant_id, session_id)
        with self._lock:
            if key in self._running:
                return {"status": self._running[key].status.value, "host_id": self.host_id}
            if len(self._running) >= self.capacity:
                raise SessionUnavailable("this host is full", code="host_full")
            now = int(time.time() * 1000)
            fence = self._sessions.claim(tenant_id, session_id, self.host_id, self._ttl_ms, now)
            session = self._sessions.get(tenant_id, session_id)
            if fence is None or session is None:
                if session and session.owner and session.owner != self.host_id:
                    raise NotOwner(f"session is held by {session.owner}")
                raise Conflict("session is not meant to run", code="not_runnable")
            engine = self.engines.get(session.engine)
            ref = EngineSession(tenant_id, session_id, self._auth_dir(session))
            running = Running(tenant_id, session_id, engine, ref, fence,  # type: ignore[arg-type]
                              SessionStatus.STARTING)
            self._running[key] = running
        if engine is None:
            self.enqueue(key, fence, self._finish, SessionStatus.FAILED, "engine_unavailable")
            return {"status": SessionStatus.STARTING.value, "host_id": self.host_id}
        self._write(running, status=SessionStatus.STARTING.value, publish=session.status
                    != SessionStatus.STARTING, remove=("reason",))
        engine.start(ref, _Listener(self, key, fence))
        self.register()  # placement sees the new load at once, not at the next heartbeat
        log.info("session %s/%s started on %s (fence %d)", tenant_id, session_id, self.host_id,
                 fence)
        return {"status": SessionStatus.STARTING.value, "host_id": self.host_id}

    def _owned(self, tenant_id: str, session_id: str) -> Running:
        running = self._running.get((tenant_id, session_id))
        if running is None:
            raise NotOwner("this host does not hold the session")
        return running

    def stop_session(self, tenant_id: str, session_id: str, logout: bool) -> dict[str, Any]:
        running = self._owned(tenant_id, session_id)
        if logout:
            running.engine.logout(running.ref)
        else:
            running.engine.stop(running.ref)
        self._finish(running, SessionStatus.STOPPED, "logged_out" if logout else None)
        return {"status": SessionStatus.STOPPED.value}

    def send(self, tenant_id: str, session_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Send one message the worker claimed, at most once whoever asks (see ``_begin``)."""
        running = self._owned(tenant_id, session_id)
        if running.status != SessionStatus.WORKING:
            raise SessionUnavailable(f"the session is {running.status.value}",
                                     code="session_not_ready")
        interval_s = max(0, int(message.get("send_interval_ms") or 0)) / 1000
        outbound = self._outbound(tenant_id, message)
        with running.send_lock:  # one send at a time per session, in arrival order
            wait = running.next_send_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                self._prepare(running, message, outbound)
                token, engine_id = self._begin(running, message["id"])
                try:
                    engine_id = running.engine.send(running.ref, outbound, engine_id)
                except EngineError as exc:
                    if exc.code != "outcome_unknown":  # nothing left: a later try may send
                        self._messages.abandon_send(tenant_id, session_id, message["id"],
                                                    token, engine_id)
                    raise
            except EngineError as exc:
                raise self._send_error(exc) from exc
            finally:
                # Pace with jitter so a burst does not look like a bot to WhatsApp.
                running.next_send_at = time.monotonic() + interval_s * random.uniform(0.8, 1.2)  # noqa: S311
        if self._messages.record_sent(tenant_id, session_id, message["id"], engine_id, token):
            self._events.publish(events.message_sent(tenant_id, session_id, message))
        else:
            log.info("sent %s (%s) but its status had moved on", message["id"], engine_id)
        return {"engine_message_id": engine_id}

    @staticmethod
    def _prepare(running: Running, message: dict[str, Any], outbound: Outbound) -> None:
        """What comes before the hand-over: "typing…", then a last look at the expiry."""
        if message.get("typing_ms"):
            running.engine.typing(running.ref, outbound.to, int(message["typing_ms"]))
        expires_at = message.get("expires_at")
        if expires_at and clock.parse(expires_at) \
                <= datetime.now(UTC):
            raise EngineRefused("the message expired before it could be sent", code="expired")

    def _begin(self, running: Running, message_id: str) -> tuple[str, str | None]:
        """Claim the message's one hand-over to an engine: a send token (and the engine id
        the send will carry, where the engine lets us choose it) stored on the message
        before anything leaves, so that no second attempt, here or on a host that adopts
        the session later, sends it again."""
        token = ids.new_id()
        engine_id = running.engine.message_id(running.ref)
        try:
            began = self._messages.begin_send(running.tenant_id, running.session_id,
                                              message_id, token, engine_id, self.host_id,
                                              running.fence)
        except StaleFence as exc:
            self._lost(running.key)
            raise NotOwner("this host no longer holds the session") from exc
        if not began:
            log.warning("send of %s refused: it was handed to an engine before (or is no "
                        "longer being sent)", message_id)
            raise OutcomeUnknown("this message was already handed to WhatsApp once (or is no "
                                 "longer being sent); it is not sent again",
                                 code="already_attempted")
        return token, engine_id

    @staticmethod
    def _send_error(exc: EngineError) -> AppError:
        if exc.code == "outcome_unknown":
            return OutcomeUnknown(exc.message)
        if exc.code == "not_connected":
            return SessionUnavailable(exc.message, code=exc.code)
        return EngineRefused(exc.message, code=exc.code)

    def _outbound(self, tenant_id: str, message: dict[str, Any]) -> Outbound:
        """What the engine sends: the typed content, its media file, what it quotes."""
        content = _CONTENT.validate_python(message.get("content") or
                                           {"type": "text", "text": message.get("text") or ""})
        data = None
        stored = getattr(content, "media", None)
        if stored is not None:
            if self._media is None:
                raise EngineRefused("this host has no media store", code="media_unavailable")
            data = self._media.get(stored, tenant_id)
        quoted = Quote.model_validate(message["quoted"]) if message.get("quoted") else None
        return Outbound(to=parse_jid(message["chat"]), content=content, media=data,
                        reply_to=quoted)

    def act(self, tenant_id: str, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Edit, delete for everyone, or star a message already on WhatsApp."""
        running = self._owned(tenant_id, session_id)
        if running.status != SessionStatus.WORKING:
            raise SessionUnavailable(f"the session is {running.status.value}",
                                     code="session_not_ready")
        chat, engine_id = parse_jid(body["chat"]), body["engine_message_id"]
        try:
            with running.send_lock:
                if body["action"] == "edit":
                    running.engine.edit(running.ref, chat, engine_id, body["text"])
                elif body["action"] == "revoke":
                    running.engine.revoke(running.ref, chat, engine_id)
                elif body["action"] == "star":
                    running.engine.star(running.ref, chat, engine_id, bool(body["from_me"]),
                                        bool(body.get("starred", True)))
                else:
                    raise Conflict(f"unknown action {body['action']}", code="bad_action")
        except EngineError as exc:
            raise self._send_error(exc) from exc
        return {"done": True}

    def pairing_code(self, tenant_id: str, session_id: str, phone: str) -> dict[str, Any]:
        running = self._owned(tenant_id, session_id)
        try:
            code = running.engine.pairing_code(running.ref, phone)
        except EngineError as exc:
            raise Conflict(exc.message, code=exc.code) from exc
        return {"code": code, "phone": phone}

    def check_numbers(self, tenant_id: str, session_id: str,
                      phones: list[str]) -> dict[str, Any]:
        running = self._owned(tenant_id, session_id)
        if running.status != SessionStatus.WORKING:
            raise SessionUnavailable(f"the session is {running.status.value}",
                                     code="session_not_ready")
        try:
            found = running.engine.check_numbers(running.ref, phones)
        except EngineError as exc:
            raise SessionUnavailable(exc.message, code=exc.code) from exc
        return {"results": [
            {"phone": phone, "on_whatsapp": contact is not None,
             "jid": str(contact.jid) if contact else None,
             "name": contact.name if contact else None}
            for phone, contact in found.items()]}

    def sandbox(self, tenant_id: str, session_id: str, action: str,
                body: dict[str, Any]) -> dict[str, Any]:
        """Play the phone of a sandbox session: scan, link (pairing code), inbound, change
        (react to, edit or delete a message), drop."""
        running = self._owned(tenant_id, session_id)
        engine: Any = running.engine
        if getattr(engine, "name", None) != "sandbox":
            raise Conflict("only sandbox sessions can be played", code="not_sandbox")
        try:
            if action == "scan":
                result: dict[str, Any] = {"phone": engine.scan(running.ref, body.get("phone"))}
            elif action == "link":
                result = {"phone": engine.link(running.ref, body["code"])}
            elif action == "inbound":
                result = {"engine_message_id": engine.inbound(
                    running.ref, parse_jid(body["from"], "from"), body["text"],
                    body.get("push_name"))}
            elif action == "change":
                engine.change(running.ref, parse_jid(body["from"], "from"), body["kind"],
                              body["engine_message_id"], body.get("text"))
                result = {}
            elif action == "drop":
                engine.drop(running.ref, logged_out=bool(body.get("logged_out")),
                            refuse_reconnects=int(body.get("refuse_reconnects") or 0))
                result = {}
            else:
                raise NotOwner(f"unknown sandbox action {action}")
        except EngineError as exc:
            if exc.code == "too_large":  # more than a host could store: nothing happened
                raise ValidationFailed(exc.message, code=exc.code, details=[
                    {"field": exc.message.split(":", 1)[0], "message": exc.message}]) from exc
            if exc.code == "not_found":
                raise NotFound(exc.message) from exc
            raise Conflict(exc.message, code=exc.code) from exc
        self.flush()
        return {**result, "status": self._status_now(running)}

    def _status_now(self, running: Running) -> str:
        """The session's status once queued events are handled (read back if it ended here)."""
        if running.key in self._running:
            return running.status.value
        session = self._sessions.get(running.tenant_id, running.session_id)
        return session.status.value if session else SessionStatus.STOPPED.value

    # --- engine events (worker thread) ---

    def _write(self, running: Running, publish: bool = True, remove: tuple[str, ...] = (),
               **fields: Any) -> Session:
        session = self._sessions.host_update(running.tenant_id, running.session_id, self.host_id,
                                             running.fence, remove=remove,
                                             updated_at=clock.now_iso(), **fields)
        running.status = session.status
        if publish:
            self._events.publish(events.session_status(session))
        return session

    def _on_qr(self, running: Running, code: str, expires_at: datetime) -> None:
        changed = running.status != SessionStatus.SCAN_QR
        self._write(running, publish=changed, status=SessionStatus.SCAN_QR.value,
                    qr={"code": code, "expires_at": clock.iso(expires_at)})

    def _on_connected(self, running: Running, phone: str, push_name: str | None) -> None:
        running.failures = 0
        self._write(running, status=SessionStatus.WORKING.value, phone=phone,
                    push_name=push_name, remove=("qr", "reason"))

    def _on_disconnected(self, running: Running, reason: str) -> None:
        """Reconnect with exponential backoff and jitter; FAILED after too many in a row."""
        attempts, base, cap = self._reconnect
        running.failures += 1
        running.engine.stop(running.ref)
        if running.failures > attempts:
            self._finish(running, SessionStatus.FAILED,
                         f"reconnect_failed: {reason} ({attempts} attempts)")
            return
        self._write(running, publish=running.status != SessionStatus.STARTING,
                    status=SessionStatus.STARTING.value,
                    reason=f"reconnecting: {reason} (attempt {running.failures})")
        delay = backoff_seconds(running.failures, base, cap)
        timer = threading.Timer(delay, self.enqueue, (running.key, running.fence,
                                                      self._reconnect_now))
        timer.daemon = True
        timer.start()

    def _reconnect_now(self, running: Running) -> None:
        running.engine.start(running.ref, _Listener(self, running.key, running.fence))

    def _finish(self, running: Running, status: SessionStatus, reason: str | None) -> None:
        """End the session here: record the final state, release the lease."""
        with self._lock:
            self._running.pop(running.key, None)
        fields: dict[str, Any] = {"status": status.value, "lease_until_ms": 0}
        remove: tuple[str, ...] = RUN_FIELDS
        if reason:
            fields["reason"] = reason
        else:
            remove += ("reason",)
        if reason == "logged_out":
            remove += ("phone",)
        self._write(running, remove=remove, **fields)
        self._sessions.release(running.tenant_id, running.session_id, self.host_id, running.fence)

    def _lost(self, key: tuple[str, str]) -> None:
        with self._lock:
            running = self._running.pop(key, None)
        if running is not None:
            running.engine.stop(running.ref)

    def _on_message(self, running: Running, inbound: Inbound) -> None:
        now = clock.now_iso()
        message_id = ids.new_id()
        inbound = self._bounded(inbound, message_id)
        content = None
        if inbound.media_loader is not None and self._media is not None:
            data = inbound.media_loader()
            stored = self._media.put(running.tenant_id, message_id, data,
                                     inbound.mime_type or "application/octet-stream",
                                     inbound.filename)
            content = {"type": inbound.type, "media": stored.model_dump(),
                       **({"caption": inbound.text} if inbound.text else {}),
                       **({"filename": inbound.filename or "file"}
                          if inbound.type == "document" else {})}
        elif inbound.type == "text" and inbound.text:
            content = {"type": "text", "text": inbound.text}
        message = Message(
            id=message_id, tenant_id=running.tenant_id, session_id=running.session_id,
            direction=Direction.INBOUND, chat=str(inbound.chat), type=inbound.type,
            text=inbound.text, content=content, sender=str(inbound.sender),
            sender_phone=inbound.sender_phone,
            push_name=inbound.push_name, status=MessageStatus.RECEIVED,
            engine_message_id=inbound.engine_message_id, created_at=now, updated_at=now,
            timestamps={"received": clock.iso(inbound.timestamp)},
            history=[StatusChange(status=MessageStatus.RECEIVED, at=now)])
        try:
            stored_now = self._messages.store_inbound(message, self.host_id, running.fence)
        except Exception:
            log.exception("could not store inbound message %s (engine id %s) of %s/%s",
                          message_id, inbound.engine_message_id, *running.key)
            raise
        if stored_now:
            self._events.publish(events.message_received(message))

    @staticmethod
    def _bounded(inbound: Inbound, message_id: str) -> Inbound:
        """The inbound message with every free-form field within what a record can hold
        (``INBOUND_MAX_BYTES``): a real engine's oversized field is clipped, and said so."""
        clipped: dict[str, Any] = {}
        for name, limit in INBOUND_MAX_BYTES.items():
            value = getattr(inbound, name)
            if value is not None and utf8_bytes(value) > limit:
                clipped[name] = clip(value, limit)
        if not clipped:
            return inbound
        log.warning("inbound message %s (engine id %s): clipped %s to fit", message_id,
                    inbound.engine_message_id, ", ".join(sorted(clipped)))
        return dataclasses.replace(inbound, **clipped)

    def _on_receipt(self, running: Running, engine_ids: list[str],
                    status: MessageStatus) -> None:
        for engine_id in engine_ids:
            message = self._messages.apply_receipt(running.tenant_id, running.session_id,
                                                   engine_id, status, self.host_id, running.fence)
            if message is not None:
                for event in events.status_changes(message):
                    self._events.publish(event)

    def _on_change(self, running: Running, change: MessageChange) -> None:
        """A reaction, edit or delete for everyone of a message: recorded on our message
        when we have it (an edit of a message its sender wrote: the new text; a delete:
        ``revoked_at``), then published, with our message id when there is one. A host
        that lost the lease records and publishes nothing (StaleFence)."""
        key = (running.tenant_id, running.session_id)
        if utf8_bytes(change.target_engine_id) > ENGINE_ID_MAX_BYTES:
            log.warning("%s of %s/%s ignored: its target id is over %d bytes", change.kind,
                        *key, ENGINE_ID_MAX_BYTES)
            return
        change = self._bounded_change(change)
        message = self._messages.by_engine_id(*key, change.target_engine_id)
        at = clock.iso(change.timestamp)
        fields = _change_fields(message, change, at) if message is not None else {}
        message_id = message.id if message is not None else None
        self._messages.record_change(*key, self.host_id, running.fence, message_id, fields)
        self._events.publish(events.message_changed(
            *key, change.kind, message_id=message_id, engine_message_id=change.target_engine_id,
            chat=str(change.chat), sender=str(change.sender), at=at, text=change.text))

    @staticmethod
    def _bounded_change(change: MessageChange) -> MessageChange:
        """The change with its text and sender phone within ``CHANGE_MAX_BYTES`` (clipped,
        and said so)."""
        clipped: dict[str, Any] = {}
        for name, limit in (("text", CHANGE_MAX_BYTES.get(change.kind)),
                            ("sender_phone", CHANGE_MAX_BYTES["sender_phone"])):
            value = getattr(change, name)
            if value is not None and limit is not None and utf8_bytes(value) > limit:
                clipped[name] = clip(value, limit)
        if not clipped:
            return change
        log.warning("%s of %s: clipped %s to fit", change.kind, change.target_engine_id,
                    ", ".join(sorted(clipped)))
        return dataclasses.replace(change, **clipped)


def _change_fields(message: Message, change: MessageChange, at: str) -> dict[str, Any]:
    """What a change sets on our record of the message: an edit by the author of an inbound
    message its new text (the text of a text message, else the caption) and ``edited_at``; a
    delete for everyone by its author, or by a group's admin in that group, ``revoked_at``;
    a reaction nothing. The author is known by JID or, across @lid and phone JIDs, by number."""
    by_author = message.direction == Direction.INBOUND and (
        message.sender == str(change.sender)
        or (change.sender_phone is not None and message.sender_phone == change.sender_phone))
    if change.kind == "revoked" and (by_author or (change.chat.is_group
                                                   and message.chat == str(change.chat))):
        return {"revoked_at": at}
    if change.kind == "edited" and change.text and by_author:
        fields: dict[str, Any] = {"text": change.text, "edited_at": at}
        if message.content is not None:
            part = "text" if message.type == "text" else "caption"
            fields["content"] = {**message.content, part: change.text}
        return fields
    return {}
