"""WhatsCloud's profile: ``Authorization: Bearer`` token, ``{"status": "success", ...}``
answers, and its errors ``{"status": "error", "message", "errors"?}`` (WhatsMark SaaS's own
shapes, the Laravel product WhatsCloud is a white label of)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Profile, Router, header_credential
from chalicelib.domain.errors import AppError

# Our error codes whose product status differs from ours: deleting a status, source or group
# still in use is WhatsMark's 400; a number another contact has is its 422 on ``phone``.
_STATUS = {"in_use": 400, "phone_taken": 422}
_MESSAGES = {
    401: lambda e: "API token is required" if e.message.startswith("missing credentials")
    else "Invalid API token",
    403: lambda e: ("Token does not have the required ability: "
                    + e.message.rsplit(" ", 1)[-1]) if e.code == "missing_scope" else e.message,
    500: lambda e: "Internal server error",
}


def _errors(error: AppError) -> dict[str, list[str]]:
    """Laravel's ``errors``: each field's messages."""
    errors: dict[str, list[str]] = {}
    for detail in error.details:
        if isinstance(detail, dict) and "field" in detail:
            errors.setdefault(str(detail["field"]), []).append(
                str(detail.get("message") or "is invalid"))
    return errors


def error(error: AppError) -> tuple[int, dict[str, Any]]:
    """Any of our errors in WhatsMark's shape."""
    status = _STATUS.get(error.code, error.status)
    if status == 429:
        retry = next((d.get("retry_after_seconds") for d in error.details
                      if isinstance(d, dict)), None)
        return status, {"message": "Too Many Attempts.", "retry_after": retry}
    message = _MESSAGES[status](error) if status in _MESSAGES else error.message
    body: dict[str, Any] = {"status": "error", "message": message}
    if status == 422:
        body["message"] = "Validation failed"
        body["errors"] = _errors(error) or {"request": [error.message]}
    return status, body


def envelope(result: Any) -> Any:
    """A handler's ``{"message"?, "data"?}`` with ``"status": "success"`` first."""
    return {"status": "success", **result}


PROFILE = Profile(
    name="whatscloud", title="WhatsCloud", base="/api/v1",
    credential=header_credential("Authorization"), envelope=envelope, error=error,
    security={"type": "http", "scheme": "bearer",
              "description": "A wagate API key (or login token) of the tenant in the path."})
router = Router(PROFILE)
