"""Keyword bots: what a bot is, which inbound messages it matches, and the reply's fields.

Pure rules. Regular expressions run on google-re2 (linear time whatever the pattern), with a
length and memory bound, so no pattern can hang the event worker.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Literal

import re2
from pydantic import BaseModel, Field

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.webhooks import Subscription

MAX_BOTS = 50  # per tenant: every inbound message reads them all in one page
MAX_KEYWORDS = 20
KEYWORD_MAX_CHARS = 100
PATTERN_MAX_CHARS = 200
REGEX_MAX_MEM = 1 << 20  # bytes of compiled program per pattern
MAX_COOLDOWN_S = 7 * 86_400
SEEN_TTL_S = 86_400  # a match mark without a cooldown: how long a re-run is recognised
GROUP_SERVER = "g.us"
# What a reply may use: {{from}} (the sender's number), {{name}} (their WhatsApp name),
# {{text}} (what they wrote). Other placeholders are left for templates.
_FILL = re.compile(r"\{\{\s*(from|name|text)\s*\}\}")
# Fields of a reply that are not text to fill (addresses, files, ids).
_NOT_TEXT = frozenset({"url", "base64", "mime_type", "filename", "message_id", "template_id",
                       "mentions", "latitude", "longitude"})


class MatchMode(StrEnum):
    EXACT = "exact"  # the whole message (trimmed) is the keyword
    STARTS_WITH = "starts_with"
    CONTAINS = "contains"
    REGEX = "regex"  # re2 syntax; a match anywhere in the message (anchor with ^…$)


ActionType = Literal["reply", "webhook", "subscribe", "unsubscribe"]


class BotAction(BaseModel):
    """What a bot does when it matches. ``message``: the reply as POST /v1/messages takes it
    (without session_id and to); ``draft``: the same as the send service's Draft fields."""

    type: ActionType
    message: dict[str, Any] | None = None
    draft: dict[str, Any] | None = None
    url: str | None = None


class Bot(BaseModel):
    id: str
    tenant_id: str
    name: str
    session_ids: list[str] = Field(default_factory=list)  # empty: every session
    match: MatchMode
    keywords: list[str]
    case_sensitive: bool = False
    allow_groups: bool = False
    action: BotAction
    cooldown_seconds: int = 0
    order: int = 0
    stop: bool = False
    enabled: bool = True
    webhook_secret: str | None = None
    matches: int = 0
    last_matched_at: str | None = None
    created_at: str
    updated_at: str

    def applies(self, session_id: str, chat: str) -> bool:
        """Whether the bot listens on this session and chat (groups only if allowed)."""
        if not self.enabled or (self.session_ids and session_id not in self.session_ids):
            return False
        return self.allow_groups or not is_group(chat)

    def matches_text(self, text: str | None) -> bool:
        return matches(self.match, self.keywords, text, self.case_sensitive)

    def webhook_target(self) -> Subscription | None:
        """A webhook bot as the deliveries read a subscription: its URL and secret, the
        ``bot.matched`` events only."""
        if self.action.type != "webhook" or not self.action.url or not self.webhook_secret:
            return None
        return Subscription(id=self.id, tenant_id=self.tenant_id, url=self.action.url,
                            events=["bot.matched"], enabled=self.enabled,
                            secret=self.webhook_secret, created_at=self.created_at,
                            updated_at=self.updated_at)


def is_group(chat: str) -> bool:
    return chat.endswith("@" + GROUP_SERVER)


def _options(case_sensitive: bool) -> re2.Options:
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.log_errors = False
    options.max_mem = REGEX_MAX_MEM
    return options


def compile_pattern(pattern: str, case_sensitive: bool, field: str = "keywords") -> Any:
    """The compiled re2 pattern, or a 422 naming ``field`` (too long, invalid)."""
    if len(pattern) > PATTERN_MAX_CHARS:
        raise ValidationFailed.field(field, f"a pattern may be at most {PATTERN_MAX_CHARS} "
                                            "characters")
    try:
        return re2.compile(pattern, _options(case_sensitive))
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) \
            else str(exc)
        raise ValidationFailed.field(field, f"is not a valid pattern (RE2 syntax): "
                                            f"{reason}") from exc


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str, case_sensitive: bool) -> Any:
    return compile_pattern(pattern, case_sensitive)


def check_keywords(match: MatchMode, keywords: list[str], case_sensitive: bool) -> None:
    """A 422 naming the first keyword that is empty, too long, or not a valid pattern."""
    if not 1 <= len(keywords) <= MAX_KEYWORDS:
        raise ValidationFailed.field("keywords", f"give 1 to {MAX_KEYWORDS} keywords")
    for i, keyword in enumerate(keywords):
        if not keyword.strip():
            raise ValidationFailed.field(f"keywords[{i}]", "is empty")
        if match == MatchMode.REGEX:
            compile_pattern(keyword, case_sensitive, f"keywords[{i}]")
        elif len(keyword) > KEYWORD_MAX_CHARS:
            raise ValidationFailed.field(f"keywords[{i}]", f"may be at most "
                                                           f"{KEYWORD_MAX_CHARS} characters")


def matches(match: MatchMode, keywords: Iterable[str], text: str | None,
            case_sensitive: bool = False) -> bool:
    """Whether ``text`` matches any keyword. Text and keywords are trimmed, and case-folded
    unless ``case_sensitive``, so ``exact`` ⇒ ``starts_with`` ⇒ ``contains``."""
    if text is None:
        return False
    if match == MatchMode.REGEX:
        return any(_compiled(k, case_sensitive).search(text) is not None for k in keywords)

    def norm(value: str) -> str:
        value = value.strip()
        return value if case_sensitive else value.casefold()

    subject = norm(text)
    for keyword in map(norm, keywords):
        if not keyword:
            continue
        if match == MatchMode.EXACT and subject == keyword:
            return True
        if match == MatchMode.STARTS_WITH and subject.startswith(keyword):
            return True
        if match == MatchMode.CONTAINS and keyword in subject:
            return True
    return False


def chosen(bots: Iterable[Bot], session_id: str, chat: str, text: str | None) -> list[Bot]:
    """The bots that act on a message, in ``order`` (ties by age), up to and including the
    first matching bot with ``stop``."""
    picked: list[Bot] = []
    for bot in sorted(bots, key=lambda b: (b.order, b.created_at, b.id)):
        if bot.applies(session_id, chat) and bot.matches_text(text):
            picked.append(bot)
            if bot.stop:
                break
    return picked


def fill(value: Any, values: dict[str, str]) -> Any:
    """``{{from}}``, ``{{name}}`` and ``{{text}}`` filled in every text of a reply (one pass:
    what a sender wrote is never read for placeholders)."""
    if isinstance(value, str):
        return _FILL.sub(lambda m: values.get(m.group(1), ""), value)
    if isinstance(value, dict):
        return {k: v if k in _NOT_TEXT else fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return value
