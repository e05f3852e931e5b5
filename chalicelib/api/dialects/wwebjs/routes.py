"""Every route of the whatsapp-web.js REST wrapper, registered on ``router``."""

from chalicelib.api.dialects.wwebjs import chat, client, contact, groups, labels, messages, session
from chalicelib.api.dialects.wwebjs.profile import router

__all__ = ["chat", "client", "contact", "groups", "labels", "messages", "router", "session"]
