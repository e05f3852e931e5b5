"""The neonize engine, whole: the connection core and one part per family of live
operations (each a mixin whose methods perform operations, and whose ``_events_<family>()``
adds the neonize events it translates into updates)."""

from __future__ import annotations

from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore
from chalicelib.sessionhost.engines.neonize.contacts import ContactOps
from chalicelib.sessionhost.engines.neonize.presence import PresenceOps
from chalicelib.sessionhost.engines.neonize.profile import ProfileOps


class NeonizeEngine(ContactOps, PresenceOps, ProfileOps, NeonizeCore):
    """Real WhatsApp through neonize."""
