"""Opt-outs: who asked not to get marketing messages, and the keywords that say so.

Pure rules: the default STOP/START keywords in a few languages, how an inbound text is
matched against them, and a phone number as the digits the opt-out list is keyed by.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.domain.jids import USER_SERVER, normalize_phone

Source = Literal["api", "keyword", "bot"]
Category = Literal["transactional", "marketing"]
MAX_KEYWORDS = 20
KEYWORD_MAX_CHARS = 32
CONFIRMATION_MAX_CHARS = 1024
REASON_MAX_CHARS = 256

# Whole-message keywords (case and surrounding punctuation ignored): English, Spanish,
# Portuguese, French, German, Italian.
DEFAULT_STOP = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "PARAR", "BAJA",
                "SAIR", "ARRET", "ARRÊT", "DESABONNER", "STOPP", "ABMELDEN", "DISISCRIVI")
DEFAULT_START = ("START", "UNSTOP", "SUBSCRIBE", "ALTA", "VOLTAR", "ANMELDEN", "ISCRIVI")
DEFAULT_STOP_REPLY = ("You have been unsubscribed and will get no more marketing messages "
                      "from us. Reply START to subscribe again.")
DEFAULT_START_REPLY = "You are subscribed again. Reply STOP to unsubscribe."
_EDGES = re.compile(r"^[\s\W_]+|[\s\W_]+$")


class OptOut(BaseModel):
    """A number that asked for no marketing messages."""

    tenant_id: str
    phone: str  # E.164
    reason: str | None = None
    source: Source = "api"
    session_id: str | None = None  # the session the keyword came in on, if any
    created_at: str


class OptOutSettings(BaseModel):
    """A tenant's inbound keywords and the texts that confirm them (None: no confirmation)."""

    enabled: bool = True
    stop_keywords: list[str] = Field(default_factory=lambda: list(DEFAULT_STOP))
    start_keywords: list[str] = Field(default_factory=lambda: list(DEFAULT_START))
    stop_reply: str | None = DEFAULT_STOP_REPLY
    start_reply: str | None = DEFAULT_START_REPLY


def fold(text: str) -> str:
    """A keyword or message as compared: trimmed of spaces and punctuation, case-folded."""
    return _EDGES.sub("", text).casefold()


def keyword_action(settings: OptOutSettings, text: str | None) -> Literal["stop", "start"] | None:
    """``stop`` or ``start`` when the whole message is one of the tenant's keywords."""
    if not settings.enabled or not text or len(text) > KEYWORD_MAX_CHARS * 2:
        return None
    folded = fold(text)
    if folded and folded in {fold(k) for k in settings.stop_keywords}:
        return "stop"
    if folded and folded in {fold(k) for k in settings.start_keywords}:
        return "start"
    return None


def digits(phone: str, field: str = "phone") -> str:
    """The number's digits with its country code (``14155552671``), from E.164 with or without
    ``+``, or a 422 naming ``field``."""
    return normalize_phone(phone, field).lstrip("+")


def phone_of(jid: str | None) -> str | None:
    """The digits of a person's phone JID (``…@s.whatsapp.net``); None for groups, LIDs."""
    if not jid or not jid.endswith("@" + USER_SERVER):
        return None
    user = jid.split("@", 1)[0].split(":", 1)[0]
    return user if user.isdigit() else None
