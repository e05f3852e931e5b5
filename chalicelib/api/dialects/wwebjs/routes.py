"""Every whatsapp-web.js REST wrapper route, registered on ``router``."""

from chalicelib.api.dialects.wwebjs import groups, messages
from chalicelib.api.dialects.wwebjs.profile import router

__all__ = ["groups", "messages", "router"]
