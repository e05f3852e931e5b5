"""Building blocks of every request and response model: bounded strings, times, URLs, pages,
the error envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from chalicelib.domain.text import bounded

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
Name = bounded(400, 100, 1, one_line=True)


def text(max_len: int, min_len: int = 1) -> Any:
    """Free text (messages, captions): newlines allowed, at most ``max_len`` characters and
    as many bytes of UTF-8."""
    return bounded(max_len, max_len, min_len)


def token(max_len: int = 64, min_len: int = 1) -> Any:
    """A short one-line value: ids, codes, usernames, keys."""
    return bounded(max_len, max_len, min_len, one_line=True)


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
