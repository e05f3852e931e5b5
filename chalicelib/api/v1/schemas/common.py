"""Building blocks of every request and response model: bounded strings, times, URLs, pages,
the error envelope."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")
MAX_URL = 2048
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class Body(BaseModel):
    """A request body: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(extra="forbid")


def max_bytes(limit: int) -> AfterValidator:
    """At most ``limit`` bytes of UTF-8 (what storage and WhatsApp count), not characters."""

    def check(value: str) -> str:
        if len(value.encode("utf-8")) > limit:
            raise ValueError(f"is longer than {limit} bytes of UTF-8")
        return value

    return AfterValidator(check)


def _no_controls(value: str) -> str:
    if any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in value):
        raise ValueError("contains control characters or line breaks")
    return value


def _utc(value: datetime) -> datetime:
    """Any offset (or none: UTC) to UTC, within 2000-2100 (anything else is a typo)."""
    try:
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("is out of range") from exc
    if not EARLIEST <= moment < LATEST:
        raise ValueError("must be between 2000 and 2100")
    return moment


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError("is not a valid URL") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")
    if not parts.hostname or (port is not None and not 0 < port < 65536):
        raise ValueError("is not a valid URL: it names no valid host")
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError("is not a valid URL: it contains spaces or control characters")
    return value


# A display name: one line, no control characters.
Name = Annotated[str, Field(min_length=1, max_length=100), max_bytes(400),
                 AfterValidator(_no_controls)]


def text(max_len: int, min_len: int = 1) -> Any:
    """Free text (messages, captions): newlines allowed, at most ``max_len`` characters and
    as many bytes of UTF-8."""
    return Annotated[str, Field(min_length=min_len, max_length=max_len), max_bytes(max_len)]


def token(max_len: int = 64, min_len: int = 1) -> Any:
    """A short one-line value: ids, codes, usernames, keys."""
    return Annotated[str, Field(min_length=min_len, max_length=max_len), max_bytes(max_len),
                     AfterValidator(_no_controls)]


Id = token(64)


Timestamp = Annotated[datetime, AfterValidator(_utc)]
HttpUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL), AfterValidator(_http_url)]
Metadata = Annotated[dict[Id, text(1024, 0)], Field(max_length=20)]
Variables = Annotated[dict[Id, text(1024, 0)], Field(max_length=50)]


class Page(Out, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next (null: the end)."""

    items: list[T]
    next_cursor: str | None


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    field: str | None = None
    message: str | None = None


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_failed.")
    message: str
    details: list[ErrorDetail | dict[str, Any]]


class ErrorEnvelope(BaseModel):
    """Every error the API answers."""

    model_config = ConfigDict(title="Error")
    error: ErrorInfo


class Deleted(Out):
    deleted: bool
    id: str
