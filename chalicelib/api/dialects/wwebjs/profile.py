"""The whatsapp-web.js REST wrapper's face: the ``x-api-key`` header, answers
``{"success": true, …}`` with the result's fields beside ``success``, and errors
``{"success": false, "error": "…"}``; and the one way its paths name a session."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call, Profile, Router, header_credential
from chalicelib.domain.errors import AppError
from chalicelib.domain.sessions import Session


def envelope(result: Any) -> dict[str, Any]:
    """A handler returns the fields the wrapper prints beside ``success`` (a dict)."""
    if isinstance(result, dict):
        return {"success": True, **result}
    return {"success": True, "result": result}


def error(app_error: AppError) -> tuple[int, dict[str, Any]]:
    return app_error.status, {"success": False, "error": app_error.message}


def session_of(call: Call, session_id: str) -> Session:
    """The tenant's session that ``{sessionId}`` names (the name the client chose when it
    started it); the product's 404 when there is none."""
    return call.services.session_service.find(call.principal, session_id)


PROFILE = Profile(name="wwebjs", title="whatsapp-web.js REST API", base="",
                  credential=header_credential("x-api-key"), envelope=envelope, error=error,
                  security={"type": "apiKey", "in": "header", "name": "x-api-key"})
router = Router(PROFILE)
