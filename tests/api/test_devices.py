"""/v1/devices through the HTTP API on moto: register (an upsert per device token), list and
delete one's own; bad input refused in the envelope, storing nothing; the per-user limit; and
the push each received message gives, read back from GET /v1/sandbox/pushes."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.devices import MAX_DEVICES_PER_USER
from chalicelib.domain.events import Event, EventType
from tests.conftest import PASSWORD, Tenant, assert_error, call

PHONE = {"device_type": "android", "device_token": "AQ-DEVICE-2022",
         "device_name": "AQ Best Device Ever", "notifiable_method": "firebase",
         "notifiable_token": "XXXXAAAAXXXXAAAAXXXX", "enabled": True}


def member_token(tenant: Tenant, username: str) -> str:
    made = tenant.call("POST", f"/v1/tenants/{tenant.id}/users",
                       {"username": username, "password": PASSWORD, "role": "member"})
    assert made.status_code == 201, made.body
    return call(tenant.client, "POST", "/v1/auth/login",
                body={"username": username, "password": PASSWORD}).json["token"]


def devices(tenant: Tenant, token: str | None = None) -> list[dict[str, Any]]:
    listed = call(tenant.client, "GET", "/v1/devices?limit=100", token or tenant.token)
    assert listed.status_code == 200, listed.body
    assert listed.json["next_cursor"] is None
    return listed.json["items"]


def inbound(tenant: Tenant, text: str = "hello there") -> Event:
    """A message.received event of the tenant, pushed as the event worker pushes it."""
    event = Event.new(EventType.MESSAGE_RECEIVED, tenant.id, "sess-1", {
        "id": "msg-1", "chat": "4915112345678@s.whatsapp.net",
        "sender": "4915112345678@s.whatsapp.net", "sender_phone": "+4915112345678",
        "push_name": "Ann", "type": "text", "text": text})
    bootstrap.container().device_service.notify(event)
    return event


def test_a_device_is_registered_replaced_by_its_token_listed_and_deleted(acme: Tenant):
    made = acme.call("POST", "/v1/devices", PHONE)
    assert made.status_code == 200, made.body
    device = made.json
    assert {k: device[k] for k in PHONE} == PHONE
    assert device["id"].startswith("dev_") and device["disabled_reason"] is None
    assert devices(acme) == [device]

    again = acme.call("POST", "/v1/devices", {**PHONE, "notifiable_token": "fresh",
                                              "device_name": None, "enabled": False})
    assert again.status_code == 200, again.body
    assert again.json["id"] == device["id"] and again.json["created_at"] == device["created_at"]
    assert (again.json["notifiable_token"], again.json["enabled"]) == ("fresh", False)
    assert devices(acme) == [again.json]

    minimal = acme.call("POST", "/v1/devices", {"device_type": "web", "device_token": "browser",
                                                "notifiable_token": "tok"})
    assert minimal.status_code == 200, minimal.body
    assert (minimal.json["enabled"], minimal.json["notifiable_method"]) == (True, "firebase")
    assert len(devices(acme)) == 2

    deleted = acme.call("DELETE", f"/v1/devices/{device['id']}")
    assert deleted.json == {"deleted": True, "id": device["id"]}
    assert [d["id"] for d in devices(acme)] == [minimal.json["id"]]
    assert_error(acme.call("DELETE", f"/v1/devices/{device['id']}"), 404, "not_found")


@pytest.mark.parametrize("body", [
    {**PHONE, "device_type": "blackberry"},
    {**PHONE, "notifiable_method": "apns"},
    {k: v for k, v in PHONE.items() if k != "device_token"},
    {k: v for k, v in PHONE.items() if k != "notifiable_token"},
    {**PHONE, "device_token": ""},
    {**PHONE, "device_token": "x" * 4097},
    {**PHONE, "notifiable_token": "é" * 2049},  # 4,098 bytes
    {**PHONE, "device_token": "two\nlines"},
    {**PHONE, "device_name": "n" * 101},
    {**PHONE, "enabled": "yes"},
    {**PHONE, "owner": "someone-else"},
    {**PHONE, "user_id": "someone-else"},
], ids=["device_type", "notifiable_method", "no device_token", "no notifiable_token",
        "empty token", "long token", "token bytes", "token lines", "long name", "enabled",
        "unknown field", "user_id"])
def test_bad_input_is_a_422_and_stores_nothing(acme: Tenant, body: dict[str, Any]):
    assert_error(acme.call("POST", "/v1/devices", body), 422, "validation_failed")
    assert devices(acme) == []


def test_the_largest_tokens_and_names_fit(acme: Tenant):
    big = {**PHONE, "device_token": "d" * 4096, "notifiable_token": "é" * 2048,
           "device_name": "ñ" * 100}
    made = acme.call("POST", "/v1/devices", big)
    assert made.status_code == 200, made.body
    assert devices(acme) == [made.json]


def test_a_member_sees_and_deletes_only_their_own_devices(acme: Tenant):
    ann = member_token(acme, "ann")
    anns = call(acme.client, "POST", "/v1/devices", ann, PHONE).json
    owners = acme.call("POST", "/v1/devices", PHONE).json  # the same token, another user
    assert anns["id"] != owners["id"]
    assert devices(acme, ann) == [anns] and devices(acme) == [owners]
    assert_error(call(acme.client, "DELETE", f"/v1/devices/{owners['id']}", ann), 404)
    assert_error(acme.call("DELETE", f"/v1/devices/{anns['id']}"), 404)
    assert devices(acme, ann) == [anns] and devices(acme) == [owners]


def test_another_tenants_device_is_not_found(acme: Tenant, globex: Tenant):
    theirs = globex.call("POST", "/v1/devices", PHONE).json
    error = assert_error(acme.call("DELETE", f"/v1/devices/{theirs['id']}"), 404)
    assert error == assert_error(acme.call("DELETE", "/v1/devices/dev_nothing"), 404)
    assert devices(acme) == [] and devices(globex) == [theirs]


def test_the_101st_device_of_a_user_is_refused(acme: Tenant):
    for i in range(MAX_DEVICES_PER_USER):
        made = acme.call("POST", "/v1/devices", {**PHONE, "device_token": f"d{i}"})
        assert made.status_code == 200, made.body
    refused = acme.call("POST", "/v1/devices", {**PHONE, "device_token": "one-too-many"})
    assert_error(refused, 409, "device_limit_reached")
    assert acme.call("POST", "/v1/devices", {**PHONE, "device_token": "d5",
                                             "enabled": False}).status_code == 200
    first = acme.call("GET", "/v1/devices?limit=60").json
    rest = acme.call("GET", f"/v1/devices?limit=60&cursor={first['next_cursor']}").json
    listed = [d["device_token"] for d in first["items"] + rest["items"]]
    assert len(listed) == MAX_DEVICES_PER_USER and "one-too-many" not in listed
    assert rest["next_cursor"] is None
    acme.call("DELETE", f"/v1/devices/{first['items'][0]['id']}")
    assert acme.call("POST", "/v1/devices",
                     {**PHONE, "device_token": "one-too-many"}).status_code == 200


def test_a_received_message_is_pushed_to_the_tenants_enabled_devices(acme: Tenant,
                                                                     globex: Tenant):
    ann = member_token(acme, "ann")
    anns = call(acme.client, "POST", "/v1/devices", ann, PHONE).json
    owners = acme.call("POST", "/v1/devices", {**PHONE, "device_type": "ios"}).json
    acme.call("POST", "/v1/devices", {**PHONE, "device_token": "off", "enabled": False})
    globex.call("POST", "/v1/devices", PHONE)
    assert acme.call("GET", "/v1/sandbox/pushes").json == {"items": [], "next_cursor": None}

    first = inbound(acme, "hello there")
    second = inbound(acme, "x" * 1000)
    pushes = acme.call("GET", "/v1/sandbox/pushes").json
    assert pushes["next_cursor"] is None
    assert [(p["event_id"], p["device_id"]) for p in pushes["items"]] == sorted(
        [(e.id, d["id"]) for e in (first, second) for d in (anns, owners)], reverse=True)
    shown = {p["event_id"]: p for p in pushes["items"]}
    assert (shown[first.id]["title"], shown[first.id]["body"]) == ("Ann", "hello there")
    assert len(shown[second.id]["body"]) == 200
    assert shown[first.id]["data"]["message_id"] == "msg-1"
    assert call(acme.client, "GET", "/v1/sandbox/pushes", ann).json == pushes  # messages:read
    assert globex.call("GET", "/v1/sandbox/pushes").json["items"] == []

    inbound_again = first.model_copy()  # the same event once more (a redelivered record)
    bootstrap.container().device_service.notify(inbound_again)
    assert acme.call("GET", "/v1/sandbox/pushes").json == pushes
    page = acme.call("GET", "/v1/sandbox/pushes?limit=3").json
    assert len(page["items"]) == 3 and page["next_cursor"]


def test_an_unregistered_token_disables_the_device_and_the_others_still_get_pushes(
        acme: Tenant):
    dead = acme.call("POST", "/v1/devices", {**PHONE, "device_token": "old",
                                             "notifiable_token": "unregistered-1"}).json
    down = acme.call("POST", "/v1/devices", {**PHONE, "device_token": "down",
                                             "notifiable_token": "failing-1"}).json
    fine = acme.call("POST", "/v1/devices", PHONE).json
    inbound(acme)
    states = {d["id"]: (d["enabled"], d["disabled_reason"]) for d in devices(acme)}
    assert states == {dead["id"]: (False, "unregistered"), down["id"]: (True, None),
                      fine["id"]: (True, None)}
    assert [p["device_id"] for p in acme.call("GET", "/v1/sandbox/pushes").json["items"]] == \
        [fine["id"]]
    revived = acme.call("POST", "/v1/devices", {**PHONE, "device_token": "old",
                                                "notifiable_token": "fresh"}).json
    assert (revived["id"], revived["enabled"], revived["disabled_reason"]) == \
        (dead["id"], True, None)


def test_devices_need_the_devices_scope_and_pushes_the_messages_read_scope(acme: Tenant):
    key = acme.api_key(["sessions:read"])
    for method, path, body in (("GET", "/v1/devices", None), ("POST", "/v1/devices", PHONE),
                               ("DELETE", "/v1/devices/dev_x", None),
                               ("GET", "/v1/sandbox/pushes", None)):
        assert_error(call(acme.client, method, path, key, body), 403, "missing_scope")
    assert devices(acme) == []


def test_the_pushes_route_is_off_with_the_sandbox_api(acme: Tenant,
                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(bootstrap.container().settings, "enable_sandbox_api", False)
    assert_error(acme.call("GET", "/v1/sandbox/pushes"), 404, "sandbox_disabled")
