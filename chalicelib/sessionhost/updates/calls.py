"""Incoming calls: rejected when the session's settings say so (with the optional text reply
to the caller, once per call), then published as ``call.received``."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from chalicelib.domain import clock, events
from chalicelib.domain.content import Text
from chalicelib.domain.jids import Jid
from chalicelib.domain.live.calls import CallReceived, RejectCall
from chalicelib.sessionhost.core import HostCore, Running
from chalicelib.sessionhost.engines.base import EngineError, Outbound

log = logging.getLogger("wagate.host")
CALLS_REMEMBERED = 1_000  # call ids a host remembers, so each call is handled once


class CallsUpdates(HostCore):
    _calls_seen: OrderedDict[tuple[str, str, str], None]

    def _first_time(self, running: Running, call_id: str) -> bool:
        """Whether this call is new here (engines may report one call more than once)."""
        seen = self.__dict__.setdefault("_calls_seen", OrderedDict())
        key = (*running.key, call_id)
        with self._lock:
            if key in seen:
                return False
            seen[key] = None
            while len(seen) > CALLS_REMEMBERED:
                seen.popitem(last=False)
        return True

    def _on_calls_received(self, running: Running, update: CallReceived) -> None:
        if not self._first_time(running, update.call_id):
            return
        session = self._sessions.get(*running.key)
        settings = session.calls if session is not None else None
        rejected = False
        if settings is not None and settings.reject:
            try:
                running.engine.live(running.ref, RejectCall(call_id=update.call_id,
                                                            caller=update.caller))
                rejected = True
            except EngineError as exc:
                log.warning("could not reject call %s of %s/%s: %s", update.call_id,
                            *running.key, exc.message)
        self._events.publish(events.call_received(
            running.tenant_id, running.session_id, call_id=update.call_id, caller=update.caller,
            caller_phone=update.caller_phone, video=update.video, group_id=update.group,
            is_group=update.is_group, rejected=rejected, at=clock.iso(update.at)))
        if rejected and settings is not None and settings.reply_text:
            user, _, server = update.caller.partition("@")
            reply = Outbound(to=Jid(user, server), content=Text(text=settings.reply_text,
                                                                  link_preview=False))
            threading.Thread(target=self._reply_to_caller, args=(running, reply),
                             name="call-reply", daemon=True).start()

    @staticmethod
    def _reply_to_caller(running: Running, reply: Outbound) -> None:
        """The text reply, through the engine's normal send, off the intake thread (a send
        may wait on the network); one send at a time per session, as every send."""
        try:
            with running.send_lock:
                running.engine.send(running.ref, reply)
        except EngineError as exc:
            log.warning("could not reply to a rejected caller of %s/%s: %s", *running.key,
                        exc.message)
