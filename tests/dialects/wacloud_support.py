"""Helpers of the WACloud dialect's tests: calls with ``X-Api-Key``, and the scopes."""

from __future__ import annotations

from typing import Any

from tests.conftest import Tenant, call

ALL = ["sessions:read", "sessions:write", "messages:read", "messages:send", "webhooks:read",
       "webhooks:write", "contacts:read", "contacts:write", "otp:send", "otp:verify"]
DEVICE = "550e8400-e29b-41d4-a716-446655440000"  # the document's device id


def wa(tenant: Tenant, method: str, path: str, key: str | None, body: Any = None) -> Any:
    """A call to WACloud's ``path`` (after its base URL, ``/api/v1``) through wagate."""
    return call(tenant.client, method, f"/compat/wacloud/api/v1{path}", None, body,
                headers={"X-Api-Key": key} if key else {})


def ok(response: Any, status: int = 200) -> Any:
    """The ``data`` of a WACloud success answer with this status."""
    assert response.status_code == status, (response.status_code, response.body)
    assert response.json["success"] is True, response.json
    return response.json.get("data")


def refused(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """A WACloud error answer: ``{"success": false, "error": "<sentence>", "code", ...}``."""
    assert response.status_code == status, (response.status_code, response.body)
    body = response.json
    assert body["success"] is False and isinstance(body["error"], str) and body["error"], body
    assert set(body) <= {"success", "error", "code", "details"}, body
    if code:
        assert body["code"] == code, body
    return body


def field_of(response: Any) -> str:
    """The first field a 422 names."""
    return refused(response, 422, "validation_failed")["details"][0]["field"]
