"""Devices (wagate sessions): create, list, get, status, and the QR code to pair them."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.wacloud import shapes
from chalicelib.api.dialects.wacloud.profile import Said, router
from chalicelib.api.dialects.wacloud.schemas import DeviceIn
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.jids import normalize_phone
from chalicelib.domain.sessions import Session

PAIR_WAIT_S = 8.0  # how long a pair request waits for a fresh device's first QR code
STATUSES = ("connected", "pairing", "disconnected")


def device(call: Call, ref: str) -> Session:
    """The caller's device by its id or its name (404 in WACloud's shape otherwise)."""
    return call.services.session_service.find(call.principal, ref)


@router.route("POST", "/api/v1/devices", scope="sessions:write", body=DeviceIn, status=201)
def create_device(call: Call) -> Said:
    """Create a device; it starts pairing at once (GET its /pair for the QR code)."""
    body = call.body()
    if body.phone_number is not None:
        normalize_phone(body.phone_number, "phone_number")
    session, _ = call.services.session_service.create(call.principal, body.name, None, None,
                                                      True)
    return Said("Device created successfully. Use the pair endpoint to get QR code.",
                shapes.device(session))


@router.route("GET", "/api/v1/devices", scope="sessions:read", query=("status",))
def list_devices(call: Call) -> list[dict[str, Any]]:
    """Every device with its status (``?status=connected`` for the connected ones only)."""
    wanted = call.query("status")
    if wanted is not None and wanted not in STATUSES:
        raise ValidationFailed.field("status", f"must be one of {', '.join(STATUSES)}")
    devices = [shapes.device(s) for s in call.services.session_service.all(call.principal)]
    return [d for d in devices if wanted is None or d["status"] == wanted]


@router.route("GET", "/api/v1/devices/{device_id}", scope="sessions:read")
def get_device(call: Call, device_id: str) -> dict[str, Any]:
    """One device in full (by its id or its name)."""
    return shapes.device_detail(device(call, device_id))


@router.route("GET", "/api/v1/devices/{device_id}/status", scope="sessions:read")
def device_status(call: Call, device_id: str) -> dict[str, Any]:
    """The device's status: connected, pairing or disconnected."""
    session = device(call, device_id)
    return {"device_id": session.id, "status": shapes.device_status(session),
            "phone_number": shapes.digits(session.phone)}


@router.route("GET", "/api/v1/devices/{device_id}/pair", scope="sessions:write")
def pair_device(call: Call, device_id: str) -> dict[str, Any]:
    """The QR code (a PNG data URL) to scan in WhatsApp > Linked devices; valid for at most
    two minutes (ask again for the next one). A disconnected device starts pairing again."""
    import segno

    session = device(call, device_id)
    code = call.services.session_service.pairing_qr(call.principal,
                                                    session.id, PAIR_WAIT_S)
    image = segno.make(code.code, error="l").png_data_uri(scale=8, border=4)
    return shapes.qr(session, code, image)
