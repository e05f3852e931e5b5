"""WhatsCloud's router with every route module registered on it."""

from __future__ import annotations

from chalicelib.api.dialects.whatscloud import book, catalogue, sending
from chalicelib.api.dialects.whatscloud.profile import router

__all__ = ["book", "catalogue", "router", "sending"]
