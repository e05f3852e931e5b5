"""The sandbox engine: a deterministic fake phone network (see ``core`` for the connection,
pairing and sending, and ``phone`` for the operations that play the phone's owner)."""

from __future__ import annotations

from chalicelib.sessionhost.engines.sandbox.chats import ChatsPart
from chalicelib.sessionhost.engines.sandbox.core import KEEP, SandboxCore, sandbox_phone
from chalicelib.sessionhost.engines.sandbox.labels import LabelsPart
from chalicelib.sessionhost.engines.sandbox.phone import PhonePlays

__all__ = ["KEEP", "SandboxEngine", "sandbox_phone"]


class SandboxEngine(PhonePlays, ChatsPart, LabelsPart, SandboxCore):
    """The whole sandbox: each family of live operations is a part of its own."""
