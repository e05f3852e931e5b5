"""Every route of a session, whatever it does: another tenant's session id is answered exactly
as an id nobody has (never a 2xx, never a different status or error code), so no route can
act on another tenant's session or tell it exists. Derived from the app's routes, so a new
route is covered the day it is added (each family's own tests add the 404s with valid bodies).
"""

from __future__ import annotations

import re
from typing import Any

from app import app
from chalicelib.domain import ids
from tests.conftest import Tenant

SESSION_ROUTES = sorted(
    (path, method) for path, methods in app.routes.items() for method in methods
    if path.startswith(("/v1/sessions/{session_id}", "/v1/sandbox/sessions/{session_id}")))
# A plausible value for every other path parameter a session's route may have.
PLACEHOLDERS = {"chat_id": "+14155552671", "contact_id": "+14155552671",
                "phone": "+14155552671", "lid": "123456789012345@lid",
                "group_id": "120363000000000001@g.us", "label_id": "1",
                "channel_id": "120363000000000002@newsletter", "message_id": ids.new_id()}


def _answer(caller: Tenant, method: str, path: str, session_id: str) -> tuple[int, Any]:
    filled = path.replace("{session_id}", session_id)
    for name, value in PLACEHOLDERS.items():
        filled = filled.replace("{" + name + "}", value)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    response = caller.call(method, filled, body)
    error = (response.json or {}).get("error", {}) if response.body else {}
    return response.status_code, error.get("code")


def test_every_path_parameter_of_a_session_route_has_a_placeholder() -> None:
    assert len(SESSION_ROUTES) >= 10
    for path, _ in SESSION_ROUTES:
        names = set(re.findall(r"{(\w+)}", path)) - {"session_id"}
        assert names <= set(PLACEHOLDERS), path


def test_another_tenants_session_is_answered_as_one_nobody_has(
        acme: Tenant, globex: Tenant, working: str) -> None:
    """One world for every route (each costs two requests, not a new stack)."""
    wrong = []
    for path, method in SESSION_ROUTES:
        theirs = _answer(globex, method, path, working)
        nobodys = _answer(globex, method, path, ids.new_id())
        if theirs != nobodys or not 400 <= theirs[0] < 500:
            wrong.append((method, path, theirs, nobodys))
    assert wrong == []
    assert acme.call("GET", f"/v1/sessions/{working}").json["status"] == "WORKING"
