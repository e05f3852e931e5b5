"""Errors every layer may raise; the edges turn them into the API's error shape."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error meant for the caller: a stable ``code``, a message and optional details."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, details: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []
        self.headers: dict[str, str] = {}


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class SessionNotReady(Conflict):
    """The operation needs the phone, and the session is not connected (WORKING) now."""

    code = "session_not_ready"


class ValidationFailed(AppError):
    status, code = 422, "validation_failed"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", details=[{"field": field, "message": message}])


class TooManyRequests(AppError):
    """Refused for now: ``Retry-After`` (and ``details``) say in how many seconds to retry."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after_s: int, *, code: str | None = None) -> None:
        super().__init__(message, code=code, details=[{"retry_after_seconds": retry_after_s}])
        self.headers = {"Retry-After": str(retry_after_s)}


def field_path(loc: tuple[str | int, ...]) -> str:
    """A validation error's location as the API names fields: ``poll.options[3]``; an invalid
    key of a map names the map ("" for the whole input)."""
    if "[key]" in loc:
        loc = loc[:max(loc.index("[key]") - 1, 0)]
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


class NotSupported(AppError):
    """The session's engine (or host) cannot do this; the message names which."""

    status, code = 501, "not_supported"


class Unavailable(AppError):
    status, code = 503, "unavailable"


class InternalError(AppError):
    status, code = 500, "internal"


class StaleFence(Exception):
    """A host wrote with a fencing token that is no longer current: it lost the lease."""


class SessionUnavailable(Unavailable):
    """No host could act for the session; nothing was done, so retrying is safe."""

    code = "session_unavailable"


class OutcomeUnknown(AppError):
    """The host was asked but did not answer: the action may or may not have happened."""

    status, code = 504, "outcome_unknown"
