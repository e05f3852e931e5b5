"""The sandbox engine: a deterministic fake phone network (see ``core`` for the connection,
pairing and sending, and ``phone`` for the operations that play the phone's owner)."""

from __future__ import annotations

from chalicelib.sessionhost.engines.sandbox.calls import CallsPart
from chalicelib.sessionhost.engines.sandbox.channels import ChannelsPart
from chalicelib.sessionhost.engines.sandbox.chats import ChatsPart
from chalicelib.sessionhost.engines.sandbox.core import KEEP, SandboxCore, sandbox_phone
from chalicelib.sessionhost.engines.sandbox.groups import GroupsPart
from chalicelib.sessionhost.engines.sandbox.labels import LabelsPart
from chalicelib.sessionhost.engines.sandbox.liveness import LivenessPart
from chalicelib.sessionhost.engines.sandbox.people import PeoplePart
from chalicelib.sessionhost.engines.sandbox.phone import PhonePlays

__all__ = ["KEEP", "SandboxEngine", "sandbox_phone"]


class SandboxEngine(GroupsPart, CallsPart, ChannelsPart, LivenessPart, PhonePlays,
                    PeoplePart, ChatsPart, LabelsPart, SandboxCore):
    """The whole sandbox: each family of live operations is a part of its own."""
