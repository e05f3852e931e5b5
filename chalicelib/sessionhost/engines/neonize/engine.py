"""The neonize engine, whole: the connection core and one part per family of live
operations (each a mixin whose methods perform operations, and whose ``_events_<family>()``
adds the neonize events it translates into updates)."""

from __future__ import annotations

from chalicelib.sessionhost.engines.neonize.chats import ChatsOps
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore


class NeonizeEngine(ChatsOps, NeonizeCore):
    """Real WhatsApp through neonize."""
