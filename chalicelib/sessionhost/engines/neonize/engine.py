"""The neonize engine, whole: the connection core and one part per family of live
operations (each a mixin whose methods perform operations, and whose ``_events_<family>()``
adds the neonize events it translates into updates)."""

from __future__ import annotations

from chalicelib.sessionhost.engines.neonize.calls import CallsOps
from chalicelib.sessionhost.engines.neonize.channels import ChannelsOps
from chalicelib.sessionhost.engines.neonize.chats import ChatsOps
from chalicelib.sessionhost.engines.neonize.connection import NeonizeCore
from chalicelib.sessionhost.engines.neonize.contacts import ContactOps
from chalicelib.sessionhost.engines.neonize.groups import GroupsOps
from chalicelib.sessionhost.engines.neonize.liveness import LivenessOps
from chalicelib.sessionhost.engines.neonize.presence import PresenceOps
from chalicelib.sessionhost.engines.neonize.profile import ProfileOps


class NeonizeEngine(GroupsOps, CallsOps, ChannelsOps, LivenessOps, ContactOps, PresenceOps,
                    ProfileOps, ChatsOps, NeonizeCore):
    """Real WhatsApp through neonize."""
