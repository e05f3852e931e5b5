"""User by key and gateway balance."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wachat.profile import router


def client_number(call: Call) -> int:
    """The tenant's ``idClient``."""
    return call.services.alias_service.number(call.tenant_id, "tenant", call.tenant_id)


@router.route("GET", "/wachat_api/1.0/auth/api_key")
def user_by_key(call: Call) -> dict[str, Any]:
    """Get user data using API Key: who the key belongs to (any valid key may ask)."""
    assert call.principal is not None
    user_id = call.principal.user_id
    return {"userid": user_id,
            "idPerson": call.services.alias_service.number(call.tenant_id, "user", user_id),
            "idClient": client_number(call)}


@router.route("GET", "/wachat_api/1.0/sender/{sender}", scope="sessions:read")
def gateway_balance(call: Call, sender: str) -> dict[str, Any]:
    """Get Gateway Balance: the device (its id, name or number) and the tenant's messages
    this month (``counter``) against its monthly quota (``limit``)."""
    session = call.services.session_service.find(call.principal, sender)
    balance = call.services.account.account(call.principal)["balance"]
    return {"idClient": client_number(call), "name": session.name,
            "counter": balance["counter"], "limit": balance["limit"]}
