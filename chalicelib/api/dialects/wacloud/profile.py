"""WACloud's face: the ``X-Api-Key`` header, ``{"success": true, "data": …}`` answers (some
with a ``message``), and ``{"success": false, "error": "…"}`` errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.api.dialects.edge import Profile, Router, header_credential
from chalicelib.domain.errors import AppError


@dataclass(frozen=True)
class Said:
    """An answer that carries a ``message`` beside (or instead of) its ``data``, and any
    other top-level fields (``meta``)."""

    message: str | None = None
    data: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def envelope(result: Any) -> dict[str, Any]:
    if isinstance(result, Said):
        body: dict[str, Any] = {"success": True}
        if result.message is not None:
            body["message"] = result.message
        if result.data is not None:
            body["data"] = result.data
        return {**body, **result.extra}
    return {"success": True, "data": result}


def error(app_error: AppError) -> tuple[int, dict[str, Any]]:
    """Our error as WACloud shows one: ``error`` is the sentence its clients print; ``code``
    and ``details`` (the fields at fault) say more."""
    body: dict[str, Any] = {"success": False, "error": app_error.message,
                            "code": app_error.code}
    if app_error.details:
        body["details"] = app_error.details
    return app_error.status, body


PROFILE = Profile(name="wacloud", title="WACloud", base="/api/v1",
                  credential=header_credential("X-Api-Key"), envelope=envelope, error=error,
                  security={"type": "apiKey", "in": "header", "name": "X-Api-Key"})
router = Router(PROFILE)
