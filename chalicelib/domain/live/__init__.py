"""The typed live channel to the fleet: every operation a session host performs through a
WhatsApp connection for the API, one pydantic model per operation with its result's model.

An operation names itself (``OP``, e.g. ``"contacts.check"``), says what its session must be
doing on its host (``NEEDS``) and what it answers (``RESULT``). The fleet client sends
``{"op": OP, "args": <the operation>}`` to the host's one ``/internal/live`` route; the host
decodes it (``decode``), checks its guard, and hands it to the engine, whose method named
``handler()`` (``contacts_check``) answers a ``RESULT``; an engine without that method
answers ``not_supported``.

The operations live in this package's modules, one per family (contacts, chats, groups, …);
each module's classes register themselves when it is imported, and ``decode`` imports them
all. Beside them, a family's ``LiveUpdate``s: what engines report on their own (a contact's
name, a group change, a call…), for the host to store and publish.
"""

from __future__ import annotations

import importlib
import pkgutil
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.domain.errors import NotSupported, ValidationFailed, field_path

# A live call answers within this, below API Gateway's 29 s, or is a 504 in our error shape.
LIVE_TIMEOUT_S = 25.0


class Needs(StrEnum):
    """What a session must be doing on its host for an operation to run."""

    WORKING = "WORKING"  # connected and logged in
    SCANNING = "SCAN_QR"  # showing a QR code (linking by pairing code)
    HELD = "HELD"  # held by the host, whatever its state (the sandbox's phone plays)


class LiveResult(BaseModel):
    """What an operation answers. Unknown fields are ignored, so a newer host can answer an
    older API during a rolling deploy."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Done(LiveResult):
    """The answer of an operation that has nothing to say but that it was done."""

    done: bool = True


class LiveOp(BaseModel):
    """One operation. Subclasses set ``OP`` (registering it), ``RESULT`` and, when it is not
    ``WORKING``, ``NEEDS``; ``SANDBOX`` marks the sandbox's play-the-phone operations."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    OP: ClassVar[str]
    RESULT: ClassVar[type[LiveResult]] = Done
    NEEDS: ClassVar[Needs] = Needs.WORKING
    SANDBOX: ClassVar[bool] = False

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("OP")
        if name is not None:
            if name in _OPS and _OPS[name] is not cls:
                raise TypeError(f"two live operations are named {name}")
            _OPS[name] = cls

    @classmethod
    def handler(cls) -> str:
        """The name of the engine method that performs it: ``contacts.check`` →
        ``contacts_check``."""
        return cls.OP.replace(".", "_")

    def wire(self) -> dict[str, Any]:
        """What the fleet client sends for it."""
        return {"op": self.OP, "args": self.model_dump(mode="json")}


class LiveUpdate(BaseModel):
    """Something an engine learned besides messages, receipts and changes to messages (a
    contact's name, a LID, a chat's new state, a group change, a presence, a call, history, …).
    The host handles it in its method named ``handler()`` (``contacts.seen`` →
    ``_on_contacts_seen``); one it has no method for is logged and dropped."""

    model_config = ConfigDict(frozen=True)

    KIND: ClassVar[str]

    @classmethod
    def handler(cls) -> str:
        return "_on_" + cls.KIND.replace(".", "_")


_OPS: dict[str, type[LiveOp]] = {}
_loaded = False


def _load() -> None:
    """Import every module of this package, so every operation is registered."""
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True


def operations() -> dict[str, type[LiveOp]]:
    """Every operation, by name."""
    _load()
    return dict(_OPS)


def decode(name: str, args: Any) -> LiveOp:
    """The operation a host was sent; ``not_supported`` when this host does not know it
    (an API newer than the host), 422 naming the field when its arguments do not fit."""
    _load()
    kind = _OPS.get(name)
    if kind is None:
        raise NotSupported(f"this session host does not know the operation {name!r}")
    try:
        return kind.model_validate(args if isinstance(args, dict) else {})
    except ValidationError as exc:
        details = [{"field": field_path(e["loc"]) or "body", "message": e["msg"]}
                   for e in exc.errors()]
        raise ValidationFailed("; ".join(f"{d['field']}: {d['message']}" for d in details),
                               details=details) from exc
