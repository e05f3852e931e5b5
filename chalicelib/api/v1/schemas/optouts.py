"""The opt-out list and the tenant's STOP/START keywords."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Out, text, token
from chalicelib.domain.optouts import (
    CONFIRMATION_MAX_CHARS,
    DEFAULT_START,
    DEFAULT_START_REPLY,
    DEFAULT_STOP,
    DEFAULT_STOP_REPLY,
    KEYWORD_MAX_CHARS,
    MAX_KEYWORDS,
    REASON_MAX_CHARS,
    OptOut,
    OptOutSettings,
)

Phone = token(32)
Keyword = token(KEYWORD_MAX_CHARS)
Confirmation = text(CONFIRMATION_MAX_CHARS)
Reason = text(REASON_MAX_CHARS)


class OptOutIn(Body):
    phone: Phone = Field(description="E.164 (+14155552671), or its digits.")
    reason: Reason | None = None


class OptOutOut(Out):
    phone: str
    reason: str | None
    source: Literal["api", "keyword", "bot"]
    session_id: str | None
    created_at: str

    @classmethod
    def of(cls, opt_out: OptOut) -> OptOutOut:
        return cls.model_validate(opt_out.model_dump(exclude={"tenant_id"}))


class SettingsIn(Body):
    """The whole settings: ``enabled``, and the rest (a field left out takes its default)."""

    enabled: bool = Field(description="false: keywords are messages like any other (bots "
                                      "see them).")
    stop_keywords: list[Keyword] = Field(default_factory=lambda: list(DEFAULT_STOP),
                                         max_length=MAX_KEYWORDS)
    start_keywords: list[Keyword] = Field(default_factory=lambda: list(DEFAULT_START),
                                          max_length=MAX_KEYWORDS)
    stop_reply: Confirmation | None = Field(default=DEFAULT_STOP_REPLY,
                                            description="Sent after a stop keyword (null: "
                                                        "nothing).")
    start_reply: Confirmation | None = Field(default=DEFAULT_START_REPLY,
                                             description="Sent after a start keyword (null: "
                                                         "nothing).")


class SettingsOut(Out):
    enabled: bool
    stop_keywords: list[str]
    start_keywords: list[str]
    stop_reply: str | None
    start_reply: str | None

    @classmethod
    def of(cls, settings: OptOutSettings) -> SettingsOut:
        return cls.model_validate(settings.model_dump())
