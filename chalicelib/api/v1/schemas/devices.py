"""Push-notification devices (the field names of the seed APIs' /devices)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Name, Out, token
from chalicelib.domain.devices import MAX_TOKEN_BYTES, Device

DeviceToken = token(MAX_TOKEN_BYTES)
DeviceType = Literal["ios", "android", "web"]


class DeviceIn(Body):
    device_type: DeviceType
    device_token: DeviceToken = Field(
        description="The device's own id, unique per user: registering it again replaces it.")
    device_name: Name | None = None
    notifiable_method: Literal["firebase"] = "firebase"
    notifiable_token: DeviceToken = Field(description="The FCM registration token.")
    enabled: bool = True


class DeviceOut(Out):
    id: str
    device_type: DeviceType
    device_token: str
    device_name: str | None
    notifiable_method: Literal["firebase"]
    notifiable_token: str
    enabled: bool
    disabled_reason: str | None = Field(
        description='Why the gateway disabled it: "unregistered" (the push service dropped '
                    "the token; register it again with a fresh notifiable_token).")
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, device: Device) -> DeviceOut:
        return cls.model_validate(device.model_dump(mode="json",
                                                    exclude={"tenant_id", "user_id"}))
