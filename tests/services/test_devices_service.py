"""Push devices on fakes: register (an upsert per device token), list and delete one's own,
the per-user limit, and the push each received message gives every enabled device."""

from __future__ import annotations

import pytest

from chalicelib.domain.auth import ROLE_SCOPES, Principal, Role
from chalicelib.domain.devices import (
    MAX_BODY_CHARS,
    MAX_DEVICES_PER_USER,
    DeviceType,
    PushOutcome,
    push_for,
)
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.events import Event, EventType
from chalicelib.services.devices import DeviceService
from tests.fakes import FakeClock, Services


def member(tenant_id: str, user_id: str) -> Principal:
    return Principal(tenant_id=tenant_id, user_id=user_id, role=Role.MEMBER,
                     scopes=ROLE_SCOPES[Role.MEMBER])


def received(tenant_id: str, text: str | None = "hello", **message: object) -> Event:
    data = {"id": "msg-1", "chat": "4915112345678@s.whatsapp.net",
            "sender": "4915112345678@s.whatsapp.net", "sender_phone": "+4915112345678",
            "push_name": "Ann", "type": "text", "text": text, **message}
    return Event.new(EventType.MESSAGE_RECEIVED, tenant_id, "sess-1", data)


def service(services: Services) -> DeviceService:
    return services.container.device_service


def register(services: Services, who: Principal, device: str = "phone-1",
             fcm: str = "fcm-1", **fields: object):
    return service(services).register(who, DeviceType.ANDROID, device, fcm, **fields)


def test_registering_the_same_device_token_again_replaces_the_device(services: Services,
                                                                       clock: FakeClock):
    first = register(services, services.acme, device_name="Pixel")
    clock.advance(60)
    again = register(services, services.acme, fcm="fcm-2", enabled=False)
    assert again.id == first.id and again.created_at == first.created_at
    assert again.updated_at > first.updated_at
    listed = service(services).list(services.acme, 100, None).items
    assert [(d.id, d.notifiable_token, d.enabled, d.device_name) for d in listed] == \
        [(first.id, "fcm-2", False, None)]


def test_each_user_sees_and_deletes_only_their_own_devices(services: Services):
    ann, bob = member("acme", "ann"), member("acme", "bob")
    anns = register(services, ann)
    bobs = register(services, bob)  # the same device token: another user's device
    assert anns.id != bobs.id
    assert [d.id for d in service(services).list(ann, 100, None).items] == [anns.id]
    for intruder in (bob, services.globex):
        with pytest.raises(NotFound):
            service(services).delete(intruder, anns.id)
    service(services).delete(ann, anns.id)
    assert service(services).list(ann, 100, None).items == []
    assert [d.id for d in service(services).list(bob, 100, None).items] == [bobs.id]
    with pytest.raises(NotFound):
        service(services).delete(ann, anns.id)


def test_a_user_has_at_most_100_devices_and_a_deleted_one_frees_its_place(services: Services):
    made = [register(services, services.acme, device=f"d{i}") for i in
            range(MAX_DEVICES_PER_USER)]
    with pytest.raises(Conflict) as refused:
        register(services, services.acme, device="one-too-many")
    assert refused.value.code == "device_limit_reached"
    register(services, services.acme, device="d7", fcm="new")  # an update is not a new device
    register(services, member("acme", "someone-else"), device="one-too-many")  # per user
    service(services).delete(services.acme, made[0].id)
    register(services, services.acme, device="one-too-many")
    seen, cursor = [], None
    for _ in range(5):
        page = service(services).list(services.acme, 30, cursor)
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == MAX_DEVICES_PER_USER and cursor is None
    with pytest.raises(ValidationFailed):
        service(services).list(services.acme, 30, "garbage!")


def test_every_enabled_device_of_the_tenant_gets_the_push(services: Services):
    ann, bob = member("acme", "ann"), member("acme", "bob")
    register(services, ann, fcm="ann-phone")
    register(services, bob, fcm="bob-phone")
    register(services, bob, device="tablet", fcm="bob-tablet", enabled=False)
    register(services, services.globex, fcm="globex-phone")
    event = received("acme")
    service(services).notify(event)
    assert sorted(p.device.notifiable_token for p in services.pusher.pushes) == \
        ["ann-phone", "bob-phone"]
    push = services.pusher.pushes[0].push
    assert (push.title, push.body) == ("Ann", "hello")
    assert push.data == {"event_id": event.id, "event_type": "message.received",
                         "session_id": "sess-1", "message_id": "msg-1",
                         "chat": "4915112345678@s.whatsapp.net",
                         "sender": "4915112345678@s.whatsapp.net"}


def test_other_events_push_nothing(services: Services):
    register(services, services.acme)
    service(services).notify(Event.new(EventType.MESSAGE_STATUS, "acme", "s", {"id": "m"}))
    assert services.pusher.pushes == []


def test_an_unregistered_token_disables_its_device_and_the_others_still_get_pushes(
        services: Services):
    dead = register(services, services.acme, device="old", fcm="dead")
    register(services, services.acme, device="broken", fcm="boom")
    register(services, services.acme, device="down", fcm="down")
    register(services, services.acme, device="fine", fcm="fine")
    services.pusher.outcomes.update(dead=PushOutcome.UNREGISTERED, down=PushOutcome.FAILED,
                                    boom=RuntimeError("push service exploded"))
    service(services).notify(received("acme"))
    assert sorted(p.device.notifiable_token for p in services.pusher.pushes) == \
        ["boom", "dead", "down", "fine"]
    states = {d.notifiable_token: (d.enabled, d.disabled_reason)
              for d in service(services).list(services.acme, 100, None).items}
    assert states == {"dead": (False, "unregistered"), "boom": (True, None),
                      "down": (True, None), "fine": (True, None)}
    # The disabled device gets no more pushes; registering it with a fresh token revives it.
    services.pusher.pushes.clear()
    service(services).notify(received("acme"))
    assert "dead" not in {p.device.notifiable_token for p in services.pusher.pushes}
    revived = register(services, services.acme, device="old", fcm="fresh")
    assert revived.id == dead.id and (revived.enabled, revived.disabled_reason) == (True, None)


def test_a_token_refreshed_while_its_old_one_was_rejected_stays_enabled(services: Services):
    device = register(services, services.acme, fcm="old-token")
    register(services, services.acme, fcm="new-token")  # the app re-registered meanwhile
    assert not services.devices.disable("acme", device.user_id, device.id, "old-token",
                                        "unregistered")
    assert service(services).list(services.acme, 100, None).items[0].enabled


def test_notifying_twice_for_one_event_keeps_one_push_per_device(services: Services):
    register(services, services.acme, fcm="dead")
    register(services, services.acme, device="other", fcm="fine")
    services.pusher.outcomes["dead"] = PushOutcome.UNREGISTERED
    event = received("acme")
    service(services).notify(event)
    service(services).notify(event)
    assert [p["device_id"] for p in
            service(services).sandbox_pushes(services.acme, 100, None).items] == \
        [services.pusher.pushes[-1].device.id]


def test_the_fan_out_reads_bounded_pages(services: Services):
    users = [member("acme", f"u{i}") for i in range(3)]
    for who in users:
        for n in range(45):
            register(services, who, device=f"t{n}", fcm=f"{who.user_id}-{n}")
    service(services).notify(received("acme"))
    assert len({p.device.id for p in services.pusher.pushes}) == 135


@pytest.mark.parametrize(("message", "title", "body"), [
    ({"text": "x" * 5000}, "Ann", "x" * (MAX_BODY_CHARS - 1) + "…"),
    ({"text": "line one\n\n  line two"}, "Ann", "line one line two"),
    ({"text": None, "type": "image", "content": {"caption": "look"}}, "Ann", "look"),
    ({"text": None, "type": "audio", "content": {}}, "Ann", "[audio]"),
    ({"push_name": None}, "+4915112345678", "hello"),
    ({"push_name": "A" * 500}, "A" * 99 + "…", "hello"),
])
def test_the_push_of_a_message_is_bounded_and_says_what_came(message: dict, title: str,
                                                             body: str):
    push = push_for(received("acme", **{"text": "hello", **message}))
    assert push is not None and (push.title, push.body) == (title, body)
    assert all(isinstance(v, str) and len(v) <= 256 for v in push.data.values())
