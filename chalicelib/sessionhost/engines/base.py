"""The engine port: what a session host needs of a WhatsApp implementation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from chalicelib.domain.content import Content, Quote
from chalicelib.domain.jids import Jid
from chalicelib.domain.live import LiveOp, LiveResult, LiveUpdate
from chalicelib.domain.messages import ChangeKind, MessageStatus


@dataclass(frozen=True)
class EngineSession:
    """One session as an engine sees it: who it is and where its auth state lives."""

    tenant_id: str
    session_id: str
    auth_dir: Path


# What a host stores of an inbound message, in UTF-8 bytes: the sandbox refuses more, and the
# host clips (and logs) whatever a real engine delivers beyond it.
INBOUND_MAX_BYTES = {"text": 65_536, "push_name": 256, "filename": 255, "mime_type": 255,
                     "sender_phone": 32}


@dataclass(frozen=True)
class Inbound:
    engine_message_id: str
    chat: Jid
    sender: Jid
    text: str | None
    timestamp: datetime
    push_name: str | None = None
    sender_phone: str | None = None  # the number behind an @lid sender, when known
    type: str = "text"
    extra: dict[str, object] = field(default_factory=dict)
    # Media come as a loader, called off the engine's event thread (it may download).
    media_loader: Callable[[], bytes] | None = None
    mime_type: str | None = None
    filename: str | None = None


# What a host keeps of a change to an existing message (UTF-8 bytes): a reaction's emoji (the
# API lets a tenant send up to 64 bytes: a skin-toned family emoji is 41), an edit's new text;
# the sandbox refuses more and the host clips what a real engine delivers beyond it.
CHANGE_MAX_BYTES = {"reaction": 64, "edited": INBOUND_MAX_BYTES["text"],
                    "sender_phone": INBOUND_MAX_BYTES["sender_phone"]}
ENGINE_ID_MAX_BYTES = 128  # WhatsApp's ids have 16 to 32 characters; a longer one is no id of ours


@dataclass(frozen=True)
class MessageChange:
    """Someone in a chat changed a message that already exists: reacted to it (``text`` the
    emoji, empty when the reaction was taken back), edited it (``text`` the new text), or
    deleted it for everyone (``text`` None). ``target_engine_id`` is the engine's id of that
    message; ``sender`` who made the change."""

    kind: ChangeKind
    target_engine_id: str
    chat: Jid
    sender: Jid
    text: str | None
    timestamp: datetime
    sender_phone: str | None = None  # the number behind an @lid sender, when known


@dataclass(frozen=True)
class Outbound:
    """One message to send: its content, the media file's bytes, and what it quotes."""

    to: Jid
    content: Content
    media: bytes | None = None
    reply_to: Quote | None = None
    message_id: str | None = None  # wagate's id of the message (engines use their own)


class EngineListener(Protocol):
    """Callbacks from an engine. They must return quickly (hosts queue the work)."""

    def on_qr(self, code: str, expires_at: datetime) -> None: ...
    def on_connected(self, phone: str, push_name: str | None) -> None: ...
    def on_disconnected(self, reason: str) -> None: ...
    def on_logged_out(self, reason: str) -> None: ...
    def on_failed(self, reason: str) -> None: ...
    def on_message(self, message: Inbound) -> None: ...
    def on_receipt(self, engine_ids: list[str], status: MessageStatus, at: datetime) -> None: ...
    def on_change(self, change: MessageChange) -> None: ...
    def on_update(self, update: LiveUpdate) -> None:
        """Anything else the engine learned (see domain.live.LiveUpdate)."""


class EngineError(Exception):
    """An engine refused an action; ``code`` says why (e.g. ``not_connected``), ``status``
    which HTTP status the API answers (None: the host's default for the code).

    On a send, every code but ``outcome_unknown`` means nothing left for WhatsApp;
    ``outcome_unknown`` means the message may have gone out (e.g. no answer from the server).
    """

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class HostDied(BaseException):
    """Plays a host process dying in the middle of a request (tests, through the sandbox's
    ``after_send``): nothing more is written and the internal API drops the connection
    without an answer. A BaseException, so no ``except Exception`` on the way catches it."""


class EngineBase(ABC):
    """What every engine is: connect, send (each engine must), and the live operations it
    can do (each optional).

    An engine performs live operation ``op`` in its method named ``op.handler()``
    (``contacts_check(session, op)``), answering ``op.RESULT``; an operation without such a
    method is ``not_supported``, so an engine implements only what it can.
    """

    name = "engine"

    @abstractmethod
    def start(self, session: EngineSession, listener: EngineListener) -> None:
        """Connect (restoring auth state, or asking for a QR); returns at once."""

    @abstractmethod
    def stop(self, session: EngineSession) -> None:
        """Disconnect, keeping auth state."""

    @abstractmethod
    def logout(self, session: EngineSession) -> None:
        """Unlink the device and delete auth state."""

    def message_id(self, session: EngineSession) -> str | None:
        """A fresh id for the next send to carry (the host records it before it sends, so
        receipts find the message whatever happens to the send's answer); None when the
        engine can only let WhatsApp's library pick one."""
        return None

    @abstractmethod
    def send(self, session: EngineSession, outbound: Outbound,
             message_id: str | None = None) -> str:
        """Send any content (with ``message_id``, one from ``message_id()``) and return the
        engine's message id; EngineError("not_on_whatsapp") and EngineError("not_connected")
        are the refusals callers act on, EngineError("outcome_unknown") a send that may
        have gone out."""

    @abstractmethod
    def typing(self, session: EngineSession, chat: Jid, duration_ms: int) -> None:
        """Show "typing…" in the chat for ``duration_ms`` (blocks that long), then stop."""

    def live(self, session: EngineSession, op: LiveOp) -> LiveResult:
        """Perform a live operation: its handler's answer, or ``not_supported``."""
        handler = getattr(self, op.handler(), None)
        if handler is None:
            raise EngineError("not_supported",
                              f"the {self.name} engine does not support {op.OP}", status=501)
        result = handler(session, op)
        if not isinstance(result, op.RESULT):
            raise TypeError(f"{self.name}.{op.handler()} answered {type(result).__name__}, "
                            f"not {op.RESULT.__name__}")
        return result

