"""The whatsapp-web.js REST wrapper's face: the ``x-api-key`` header, answers
``{"success": true, …}`` with the result's fields beside ``success``, and errors
``{"success": false, "error": "…"}``; and the one way its paths name a session."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from chalicelib.api.dialects.edge import Call, Profile, Router, header_credential
from chalicelib.domain.errors import AppError, NotFound, SessionNotReady, ValidationFailed
from chalicelib.domain.sessions import Session, SessionStatus

# The wrapper's own words (its middleware and validateSession).
INVALID_KEY = "Invalid API key"
BAD_NAME = "Session should be alphanumerical or -"
NOT_FOUND = "session_not_found"
NOT_CONNECTED = "session_not_connected"
_NAME = re.compile(r"[\w-]+", re.ASCII)
NAME_MAX = 100  # a session's name, as the native API bounds it


def envelope(result: Any) -> dict[str, Any]:
    """A handler returns the fields the wrapper prints beside ``success`` (a dict; one that
    says ``"success": false`` itself, as the wrapper's status answers do, keeps it)."""
    if isinstance(result, dict):
        return {"success": True, **result}
    return {"success": True, "result": result}


def error(app_error: AppError) -> tuple[int, dict[str, Any]]:
    """Our errors in the wrapper's shape: a missing or wrong key is its 403 ``Invalid API
    key``; a session that is not connected is its 404 ``session_not_connected``."""
    if app_error.status == 401:
        return 403, {"success": False, "error": INVALID_KEY}
    if isinstance(app_error, SessionNotReady):
        return 404, {"success": False, "error": NOT_CONNECTED}
    return app_error.status, {"success": False, "error": app_error.message}


def checked_name(session_id: str) -> str:
    """``{sessionId}`` as the wrapper takes it (letters, digits, ``_`` and ``-``), else its
    422; and at most ``NAME_MAX`` characters."""
    if not _NAME.fullmatch(session_id):
        raise ValidationFailed(BAD_NAME, details=[{"field": "sessionId", "message": BAD_NAME}])
    if len(session_id) > NAME_MAX:
        raise ValidationFailed.field("sessionId", f"is longer than {NAME_MAX} characters")
    return session_id


def session_of(call: Call, session_id: str) -> Session:
    """The tenant's session that ``{sessionId}`` names (the name the client chose when it
    started it; its wagate id or number work too); the wrapper's 404 when there is none."""
    try:
        return call.services.session_service.find(call.principal, checked_name(session_id))
    except NotFound:
        raise NotFound(NOT_FOUND, code="session_not_found") from None


def connected(call: Call, session_id: str) -> Session:
    """The named session, connected (WORKING): the wrapper's ``sessionValidation`` guard
    (404 ``session_not_found`` / ``session_not_connected``) in front of every client, chat,
    contact, message and group route."""
    session = session_of(call, session_id)
    if session.status != SessionStatus.WORKING:
        raise NotFound(NOT_CONNECTED, code="session_not_connected")
    return session


PROFILE = Profile(name="wwebjs", title="whatsapp-web.js REST API", base="",
                  credential=header_credential("x-api-key"), envelope=envelope, error=error,
                  security={"type": "apiKey", "in": "header", "name": "x-api-key"})
router = Router(PROFILE)


def route(method: str, path: str, **options: Any) -> Callable[[Callable[..., Any]],
                                                              Callable[..., Any]]:
    """``router.route`` for the wrapper's camelCase paths: the handler takes the path's
    parameters in order, under Python names (``fn(call, session_id)`` for ``{sessionId}``)."""
    def add(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def handler(call: Call, **params: str) -> Any:
            return fn(call, *params.values())
        router.route(method, path, **options)(handler)
        return fn
    return add
