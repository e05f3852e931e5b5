"""Honest liveness: the self-check a host runs through each WORKING session's engine (a
cheap round-trip to WhatsApp), and the sandbox's "deaf" connection that fails it."""

from __future__ import annotations

from chalicelib.domain.live import LiveOp, LiveResult
from chalicelib.domain.live.sandbox import SandboxOp


class SelfChecked(LiveResult):
    ok: bool = True


class SelfCheck(LiveOp):
    """Is the connection really alive? Answers, or refuses (EngineError), or hangs (the host
    bounds it)."""

    OP = "sessions.self_check"
    RESULT = SelfChecked


class Deaf(SandboxOp):
    """The sandbox connection stops answering self-checks and delivering events (they wait
    for its next connection), until it reconnects."""

    OP = "sandbox.deaf"

    deaf: bool = True
