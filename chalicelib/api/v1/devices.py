"""/v1/devices: the caller's phones and browsers that get a push for each received message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


def _out(device: Any) -> Any:
    from chalicelib.api.v1.schemas.devices import DeviceOut

    return DeviceOut.of(device)


@bp.route("/devices", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="devices:write", body="devices:DeviceIn", out="devices:DeviceOut",
          responses={409: "device_limit_reached: you have 100 devices, delete one first"})
def register_device(request: Request, principal: Principal) -> Any:
    """Add a device, or replace yours with the same `device_token` (200 either way: sending
    the same registration again, as apps do on every start, changes nothing). Its
    `notifiable_token` gets a push for every message your tenant's sessions receive."""
    body = request.body()
    return _out(container().device_service.register(principal, **body.model_dump()))


@bp.route("/devices", methods=["GET"])
@endpoint(bp, scope="devices:write", out="devices:Page[DeviceOut]", query=("limit", "cursor"))
def list_devices(request: Request, principal: Principal) -> dict[str, Any]:
    """Your devices (each user sees only their own)."""
    limit, cursor = request.page_args()
    return page_json(container().device_service.list(principal, limit, cursor), _out)


@bp.route("/devices/{device_id}", methods=["DELETE"])
@endpoint(bp, scope="devices:write", out="common:Deleted")
def delete_device(request: Request, principal: Principal, device_id: str) -> Any:
    """Delete one of your devices: it gets no more pushes."""
    container().device_service.delete(principal, device_id)
    return {"deleted": True, "id": device_id}
