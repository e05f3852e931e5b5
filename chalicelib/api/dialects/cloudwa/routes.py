"""CloudWA's router with every route module registered on it."""

from __future__ import annotations

from chalicelib.api.dialects.cloudwa import account, automation, campaigns, messages, sessions
from chalicelib.api.dialects.cloudwa.profile import router

__all__ = ["account", "automation", "campaigns", "messages", "router", "sessions"]
