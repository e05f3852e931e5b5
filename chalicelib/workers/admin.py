"""The deployment's bootstrap: the operator invokes ``create_admin`` once, with AWS credentials
(``aws lambda invoke``), to make the platform's first administrator; nothing on the public API
can, and the function refuses once the platform tenant has a user."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.bootstrap import container
from chalicelib.domain.errors import AppError

log = logging.getLogger(__name__)


def create_admin(event: dict[str, Any]) -> dict[str, Any]:
    """``{"username", "password"}`` -> the new admin's ids, or ``{"error": {...}}``."""
    username, password = event.get("username"), event.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return {"error": {"code": "invalid_request",
                          "message": "give a username and a password (strings)"}}
    c = container()
    try:
        user = c.tenancy.create_first_admin(c.settings.platform_tenant, username, password)
    except AppError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    log.info("platform administrator %s created", user.username)
    return {"tenant_id": user.tenant_id, "user_id": user.id, "username": user.username}
