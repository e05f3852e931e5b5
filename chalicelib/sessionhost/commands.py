"""A session host's commands, from the API and the workers over the internal API: send one
message (at most once, whoever asks) and perform live operations (domain.live)."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from chalicelib.domain import clock, events, ids
from chalicelib.domain.content import Content, Quote
from chalicelib.domain.errors import (
    AppError,
    Conflict,
    NotFound,
    NotSupported,
    OutcomeUnknown,
    SessionNotReady,
    SessionUnavailable,
    StaleFence,
    ValidationFailed,
)
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live import LiveResult, decode
from chalicelib.domain.sessions import SessionStatus
from chalicelib.sessionhost.core import EngineRefused, HostCore, NotOwner, Running
from chalicelib.sessionhost.engines.base import EngineError, Outbound

log = logging.getLogger("wagate.host")
_CONTENT: TypeAdapter[Any] = TypeAdapter(Content)


class Commands(HostCore):
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
            self._chat_sent(running, message, engine_id)
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
                        reply_to=quoted, message_id=message.get("id"))

    def live(self, tenant_id: str, session_id: str, name: str, args: Any) -> dict[str, Any]:
        """Perform live operation ``name`` (domain.live) through the session's engine, once
        the one guard passed; a sandbox play answers with the session's status afterwards."""
        op = decode(name, args)
        running = self._held(tenant_id, session_id, op.NEEDS)
        try:
            result: LiveResult = running.engine.live(running.ref, op)
        except EngineError as exc:
            raise live_error(exc, running.engine.name) from exc
        if op.SANDBOX:
            self.flush()
            result = result.model_copy(update={"status": self._status_now(running)})
        return result.model_dump(mode="json")

    def _status_now(self, running: Running) -> str:
        """The session's status once queued events are handled (read back if it ended here)."""
        if running.key in self._running:
            return running.status.value
        session = self._sessions.get(running.tenant_id, running.session_id)
        return session.status.value if session else SessionStatus.STOPPED.value


# How the API answers an engine's refusal of a live operation, by its code (409 otherwise:
# what WhatsApp's state does not allow now).
_REFUSALS: dict[str, type[AppError]] = {
    "not_supported": NotSupported, "not_connected": SessionNotReady, "not_found": NotFound,
    "outcome_unknown": OutcomeUnknown}


def live_error(exc: EngineError, engine: str) -> AppError:
    """An engine's refusal in the API's terms: its ``status`` when it set one, else by code.
    ``too_large`` names the field it is about."""
    if exc.code == "too_large":  # more than a host could store: nothing happened
        return ValidationFailed(exc.message, code=exc.code, details=[
            {"field": exc.message.split(":", 1)[0], "message": exc.message}])
    if exc.code == "not_supported":
        return NotSupported(f"{exc.message} (engine: {engine})")
    error = _REFUSALS.get(exc.code, Conflict)(exc.message, code=exc.code)
    if exc.status is not None:
        error.status = exc.status
    return error
