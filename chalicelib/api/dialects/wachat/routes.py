"""Every WAChat route, registered on ``router``."""

from chalicelib.api.dialects.wachat import account, messages
from chalicelib.api.dialects.wachat.profile import router

__all__ = ["account", "messages", "router"]
