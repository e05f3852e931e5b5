"""CloudWA's face: ``Authorization: Bearer`` (a login token or any wagate API key), bare JSON
answers, and Laravel's error bodies: ``{"message": "Unauthenticated."}`` on 401, ``{"message",
"errors": {field: [...]}}`` on 422, ``{"message"}`` otherwise."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.api.dialects.edge import Profile, Router, header_credential
from chalicelib.domain.errors import AppError

# Laravel's own words for the statuses whose message its clients know.
BASE = "https://cloudwa.net"  # where CloudWA's document prints its paths
_FIXED = {401: "Unauthenticated.", 429: "Too Many Attempts.", 500: "Server Error"}


def laravel_field(field: str) -> str:
    """A field as Laravel names it: ``phones.0`` for our ``phones[0]``."""
    return re.sub(r"\[(\d+)\]", r".\1", field)


def _sentence(field: str, message: str) -> str:
    """A field's error as Laravel writes one (``The name field is required.``)."""
    if message in ("Field required", "is required"):
        return f"The {field} field is required."
    text = message.rstrip(".")
    return f"The {field} {text[:1].lower()}{text[1:]}." if text else f"The {field} is invalid."


def _errors(error: AppError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for detail in error.details:
        if isinstance(detail, dict) and "field" in detail:
            field = laravel_field(str(detail["field"]))
            errors.setdefault(field, []).append(_sentence(field, str(detail.get("message")
                                                                      or "is invalid")))
    return errors


def error(app_error: AppError) -> tuple[int, dict[str, Any]]:
    """Any of our errors in Laravel's shape."""
    status = app_error.status
    if status == 422:
        errors = _errors(app_error) or {"request": [app_error.message]}
        messages = [m for ms in errors.values() for m in ms]
        more = len(messages) - 1
        summary = messages[0] + (f" (and {more} more error{'s' if more > 1 else ''})"
                                 if more else "")
        return status, {"message": summary, "errors": errors}
    if app_error.code == "route_not_found":
        path = app_error.message.rsplit(BASE, 1)[-1].strip("/")
        return status, {"message": f"The route {path} could not be found."}
    if status == 403 and app_error.code == "missing_scope":
        scope = app_error.message.rsplit(" ", 1)[-1]
        return status, {"message": f"This action is unauthorized (the token lacks {scope})."}
    return status, {"message": _FIXED.get(status) or app_error.message}


def envelope(result: Any) -> Any:
    """CloudWA answers bare JSON: the handler's result as it is."""
    return result


PROFILE = Profile(
    name="cloudwa", title="CloudWA", base=BASE,
    credential=header_credential("Authorization"), envelope=envelope, error=error,
    security={"type": "http", "scheme": "bearer",
              "description": "A token from POST /api/v2/auth/login, or any wagate API key "
                             "(CloudWA's \"Generate API token\")."})
router = Router(PROFILE)
