"""A session host's intake: what its engines report (QR codes, connection changes, inbound
messages, receipts, changes to messages), handled in order on one worker thread and stored
under the session's lease, then published as events."""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.domain import clock, events, ids
from chalicelib.domain.errors import StaleFence
from chalicelib.domain.live import LiveUpdate
from chalicelib.domain.messages import Direction, Message, MessageStatus, StatusChange
from chalicelib.domain.sessions import SessionStatus
from chalicelib.domain.text import clip, utf8_bytes
from chalicelib.sessionhost.core import HostCore, Running
from chalicelib.sessionhost.engines.base import (
    CHANGE_MAX_BYTES,
    ENGINE_ID_MAX_BYTES,
    INBOUND_MAX_BYTES,
    Inbound,
    MessageChange,
)

log = logging.getLogger("wagate.host")


def backoff_seconds(failures: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: a random wait up to ``base * 2**(failures-1)``."""
    return random.uniform(0, min(cap, base * 2 ** max(failures - 1, 0)))  # noqa: S311


class Listener:
    """Turns engine callbacks into work items for the host's worker thread."""

    def __init__(self, host: Intake, key: tuple[str, str], fence: int) -> None:
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
        self._put(self._host._logged_out, reason)

    def on_failed(self, reason: str) -> None:
        self._put(self._host._finish, SessionStatus.FAILED, reason)

    def on_message(self, message: Inbound) -> None:
        self._put(self._host._on_message, message)

    def on_receipt(self, engine_ids: list[str], status: MessageStatus, at: datetime) -> None:
        self._put(self._host._on_receipt, engine_ids, status)

    def on_change(self, change: MessageChange) -> None:
        self._put(self._host._on_change, change)

    def on_update(self, update: LiveUpdate) -> None:
        self._put(self._host._on_update, update)


class Intake(HostCore):
    def _on_update(self, running: Running, update: LiveUpdate) -> None:
        """Hand an engine's update to the part of the host that handles its kind (a method
        ``_on_<family>_<what>`` of one of the ``updates`` parts)."""
        handler = getattr(self, update.handler(), None)
        if handler is None:
            log.debug("%s of %s/%s: nothing handles it", update.KIND, *running.key)
            return
        handler(running, update)

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

    def _on_qr(self, running: Running, code: str, expires_at: datetime) -> None:
        changed = running.status != SessionStatus.SCAN_QR
        self._write(running, publish=changed, status=SessionStatus.SCAN_QR.value,
                    qr={"code": code, "expires_at": clock.iso(expires_at)})

    def _on_connected(self, running: Running, phone: str, push_name: str | None) -> None:
        running.failures = 0
        running.phone = phone
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
        running.engine.start(running.ref, Listener(self, running.key, running.fence))

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
            push_name=inbound.push_name, **self._message_parties(running, inbound),
            status=MessageStatus.RECEIVED,
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
            self._chat_received(running, message)

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
            chat=str(change.chat), sender=str(change.sender), at=at, text=change.text,
            parties=self._change_parties(running, change)))

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
