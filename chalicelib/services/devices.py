"""Push-notification devices: users register their phones and browsers, and each message
their tenant receives is pushed to every enabled device of the tenant."""

from __future__ import annotations

import logging

from chalicelib.domain import clock
from chalicelib.domain.auth import Principal
from chalicelib.domain.devices import (
    MAX_DEVICES_PER_USER,
    UNREGISTERED,
    Device,
    DeviceType,
    NotifiableMethod,
    Push,
    PushOutcome,
    push_for,
)
from chalicelib.domain.devices import device_id as id_for_token
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.events import Event
from chalicelib.domain.paging import MAX_LIMIT, Page
from chalicelib.services.ports import DeviceRepo, Pusher, PushLog

log = logging.getLogger(__name__)
MAX_FANOUT_PAGES = 10  # at most 1,000 devices get one event's push


class DeviceService:
    def __init__(self, devices: DeviceRepo, pusher: Pusher, pushes: PushLog,
                 max_devices: int = MAX_DEVICES_PER_USER) -> None:
        self._devices = devices
        self._pusher = pusher
        self._pushes = pushes
        self._max_devices = max_devices

    def register(self, caller: Principal, device_type: DeviceType, device_token: str,
                 notifiable_token: str, device_name: str | None = None,
                 notifiable_method: NotifiableMethod = NotifiableMethod.FIREBASE,
                 enabled: bool = True) -> Device:
        """Add the caller's device, or replace the one with this ``device_token`` (keeping
        when it was first registered; a device disabled for a dead token is enabled again)."""
        now = clock.now_iso()
        device = Device(id=id_for_token(caller.user_id, device_token), tenant_id=caller.tenant_id,
                        user_id=caller.user_id, device_type=device_type,
                        device_token=device_token, device_name=device_name,
                        notifiable_method=notifiable_method, notifiable_token=notifiable_token,
                        enabled=enabled, created_at=now, updated_at=now)
        over = Conflict(f"you have {self._max_devices} devices, the most one user may have: "
                        "delete one first", code="device_limit_reached")
        for _ in range(3):  # each round loses only to a concurrent register or delete
            existing = self._devices.get(caller.tenant_id, caller.user_id, device.id)
            if existing is None:
                if self._devices.create(device, self._max_devices, over):
                    return device
                continue
            updated = device.model_copy(update={"created_at": existing.created_at})
            if self._devices.replace(updated):
                return updated
        raise Conflict("the device changed while it was registered: try again")

    def list(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        """The caller's own devices."""
        return self._devices.list(caller.tenant_id, caller.user_id, limit, cursor)

    def delete(self, caller: Principal, device_id: str) -> None:
        """Delete one of the caller's own devices (anyone else's is not found)."""
        if not self._devices.delete(caller.tenant_id, caller.user_id, device_id):
            raise NotFound("device not found")

    def notify(self, event: Event) -> None:
        """Push a ``message.received`` event to every enabled device of its tenant (other
        events: nothing). A token the push service calls dead disables its device; any other
        failure is logged and skipped. Calling it again for the same event is harmless."""
        push = push_for(event)
        if push is None:
            return
        cursor: str | None = None
        for _ in range(MAX_FANOUT_PAGES):
            page = self._devices.enabled(event.tenant_id, MAX_LIMIT, cursor)
            for device in page.items:
                self._push(device, push)
            cursor = page.next_cursor
            if cursor is None:
                return
        log.warning("event %s: pushed to the first %d devices of tenant %s only", event.id,
                    MAX_FANOUT_PAGES * MAX_LIMIT, event.tenant_id)

    def _push(self, device: Device, push: Push) -> None:
        """One device's push; nothing that goes wrong here reaches the other devices."""
        try:
            outcome = self._pusher.push(device, push)
            if outcome == PushOutcome.UNREGISTERED:
                log.info("device %s of tenant %s: token unregistered, disabled", device.id,
                         device.tenant_id)
                self._devices.disable(device.tenant_id, device.user_id, device.id,
                                      device.notifiable_token, UNREGISTERED)
            elif outcome == PushOutcome.FAILED:
                log.warning("push of event %s to device %s failed; skipped", push.event_id,
                            device.id)
        except Exception:
            log.exception("push of event %s to device %s failed", push.event_id, device.id)

    def sandbox_pushes(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        """The pushes the sandbox kept for the caller's tenant, newest first."""
        return self._pushes.list(caller.tenant_id, limit, cursor)
