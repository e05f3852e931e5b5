"""Auth V2 (login, user, logout) and Users/Devices (push-notification devices)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.cloudwa import schemas
from chalicelib.api.dialects.cloudwa.profile import router
from chalicelib.api.dialects.cloudwa.shapes import device, resolve
from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.domain import clock
from chalicelib.domain.auth import Principal
from chalicelib.domain.paging import collect
from chalicelib.services.auth import UNKNOWN_ADDRESS

MAX_DEVICES = 100  # a user has at most this many (DeviceService's bound)


def _user(call: Call, principal: Principal) -> dict[str, Any]:
    user = call.services.auth.user(principal)
    return {"id": call.services.alias_service.number(user.tenant_id, "user", user.id),
            "uuid": user.id, "name": user.username,
            "email": user.username if "@" in user.username else None,
            "username": user.username, "team_id": user.tenant_id, "role": user.role.value,
            "created_at": clock.laravel(user.created_at)}


@router.route("POST", "/api/v2/auth/login", auth=False, body=schemas.LoginIn)
def login(call: Call) -> dict[str, Any]:
    """Login User and return JWT Token: a wagate username and password give a login token
    (the Bearer for every other route)."""
    body: schemas.LoginIn = call.body()
    identity = (call.raw.context or {}).get("identity") or {}
    auth = call.services.auth
    token, expires = auth.login(body.username, body.password,
                                str(identity.get("sourceIp") or UNKNOWN_ADDRESS))
    return {"access_token": token, "token_type": "bearer",
            "expires_in": max(0, int((expires - clock.now()).total_seconds())),
            "expires_at": clock.laravel(clock.iso(expires)),
            "user": _user(call, auth.authenticate(token))}


@router.route("GET", "/api/v2/auth/user")
def user(call: Call) -> dict[str, Any]:
    """Get User Details: who the token (or API key) belongs to."""
    assert call.principal is not None
    return _user(call, call.principal)


@router.route("POST", "/api/v2/auth/logout", body=schemas.LogoutIn)
def logout(call: Call) -> dict[str, Any]:
    """Logging Out User: revoke this login token (``from_all``: every token of the user). An
    API key cannot log out (422): delete it instead."""
    body: schemas.LogoutIn = call.body()
    assert call.principal is not None
    call.services.auth.logout(call.principal, body.from_all)
    return {"message": "Successfully logged out"}


@router.route("GET", "/api/v2/devices", scope="devices:write")
def list_devices(call: Call) -> list[dict[str, Any]]:
    """Get Devices: the caller's push-notification devices."""
    service = call.services.device_service
    items = collect(lambda cursor: service.list(call.principal, 100, cursor), MAX_DEVICES)
    numbers = Numbers(call)
    numbers.load("device", [d.id for d in items])
    return [device(numbers, d) for d in items]


@router.route("POST", "/api/v2/devices", scope="devices:write", body=schemas.DeviceIn)
def add_device(call: Call) -> dict[str, Any]:
    """Add Or Update Devices: one per ``device_token`` (sending it again updates it). An
    enabled device gets a push for every message the team's sessions receive."""
    from chalicelib.domain.devices import DeviceType, NotifiableMethod

    body: schemas.DeviceIn = call.body()
    made = call.services.device_service.register(
        call.principal, DeviceType(body.device_type), body.device_token, body.notifiable_token,
        body.device_name, NotifiableMethod(body.notifiable_method), body.enabled)
    return device(Numbers(call), made)


@router.route("DELETE", "/api/v2/devices/{id}", scope="devices:write")
def delete_device(call: Call, id: str) -> dict[str, Any]:  # noqa: A002
    """Delete Device: by its integer id (another user's or team's is not found)."""
    call.services.device_service.delete(call.principal, resolve(call, "device", id))
    return {"message": "Device deleted successfully"}
