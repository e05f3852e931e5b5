"""The WACloud dialect's contacts and LIDs, on WAHA's paths under
``/devices/{device}/…`` (``{device}``: the device's id or its name)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Tenant
from tests.dialects.wacloud_support import ALL, DEVICE, field_of, ok, refused, wa

ODD = "14155552671"  # the sandbox gives numbers ending odd a LID
ODD_LID = f"{10**15 + 7 * 14155552671}@lid"
EVEN = "4915112345678"
GONE = "14155550000"  # not on WhatsApp


def _write(tenant: Tenant, sid: str, sender: str, push_name: str) -> None:
    written = tenant.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
                          {"from": f"+{sender}", "text": "hi", "push_name": push_name})
    assert written.status_code == 200, written.body


def test_contacts_are_paged_sorted_read_and_renamed(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    _write(acme, working, ODD, "Zed")
    _write(acme, working, EVEN, "Ana")
    base = f"/devices/{working}/contacts"
    by_id = ok(wa(acme, "GET", base, key))
    assert [c["id"] for c in by_id] == [f"{ODD}@c.us", f"{EVEN}@c.us"]
    documented = ok(wa(acme, "GET", "/devices/shop/contacts?limit=100&offset=0&sortBy=name"
                                    "&sortOrder=asc", key))
    assert [c["name"] for c in documented] == ["Ana", "Zed"]
    assert [c["name"] for c in ok(wa(acme, "GET", f"{base}?sortBy=name&sortOrder=desc", key))] \
        == ["Zed", "Ana"]
    assert [c["name"] for c in ok(wa(acme, "GET", f"{base}?sortBy=name&limit=1&offset=1",
                                     key))] == ["Zed"]
    assert ok(wa(acme, "GET", f"{base}?offset=5", key)) == []
    for bad, field in (("sortBy=phone", "sortBy"), ("sortOrder=up", "sortOrder"),
                       ("limit=0", "limit"), ("offset=-1", "offset")):
        assert field_of(wa(acme, "GET", f"{base}?{bad}", key)) == field

    contact = ok(wa(acme, "GET", f"{base}/{ODD}@c.us", key))
    assert (contact["id"], contact["number"], contact["pushname"], contact["lid"]) == (
        f"{ODD}@c.us", ODD, "Zed", ODD_LID)
    assert ok(wa(acme, "GET", f"{base}/{ODD_LID}", key))["id"] == f"{ODD}@c.us"
    assert ok(wa(acme, "GET", f"{base}/+{ODD}", key)) == contact
    updated = wa(acme, "PUT", f"{base}/{ODD}@c.us", key, {"firstName": "John",
                                                          "lastName": "Doe"})
    renamed = ok(updated)
    assert updated.json["message"] == "Contact updated successfully"
    assert (renamed["name"], renamed["firstName"], renamed["lastName"]) == (
        "John Doe", "John", "Doe")
    assert field_of(wa(acme, "PUT", f"{base}/{ODD}@c.us", key, {})) == "body"
    assert field_of(wa(acme, "GET", f"{base}/hello", key)) == "contact_id"
    refused(wa(acme, "GET", f"{base}/{GONE}", key), 404, "not_found")


def test_numbers_pictures_and_blocking(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    base = "/devices/shop/contacts"
    assert ok(wa(acme, "GET", f"{base}/check-exists?phone={ODD}", key)) == {
        "numberExists": True, "chatId": f"{ODD}@c.us"}
    assert ok(wa(acme, "GET", f"{base}/check-exists?phone={GONE}", key)) == {
        "numberExists": False, "chatId": None}
    assert field_of(wa(acme, "GET", f"{base}/check-exists", key)) == "phone"

    url = f"{base}/{EVEN}@c.us/profile-picture"
    first = ok(wa(acme, "GET", f"{url}?refresh=false", key))
    assert first["profilePictureURL"].startswith("https://") and first["cached"] is False
    assert ok(wa(acme, "GET", url, key))["cached"] is True
    assert ok(wa(acme, "GET", f"{url}?refresh=true", key))["cached"] is False
    assert field_of(wa(acme, "GET", f"{url}?refresh=yes", key)) == "refresh"

    blocked = wa(acme, "POST", f"{base}/{ODD}@c.us/block", key)
    assert ok(blocked) == {"contactId": f"{ODD}@c.us", "blocked": True}
    assert blocked.json["message"] == "Contact blocked"
    listed = acme.call("GET", f"/v1/sessions/{working}/contacts/blocked").json["items"]
    assert [b["jid"] for b in listed] == [f"{ODD}@s.whatsapp.net"]
    assert ok(wa(acme, "GET", f"{base}/{ODD}", key))["isBlocked"] is True
    assert ok(wa(acme, "POST", f"{base}/{ODD}@c.us/unblock", key))["blocked"] is False
    assert ok(wa(acme, "POST", f"{base}/block", key, {"contactId": f"{EVEN}@c.us"}))[
        "blocked"] is True
    assert ok(wa(acme, "POST", f"{base}/unblock", key, {"contactId": EVEN}))["blocked"] \
        is False
    assert acme.call("GET", f"/v1/sessions/{working}/contacts/blocked").json["items"] == []
    assert field_of(wa(acme, "POST", f"{base}/block", key, {})) == "contactId"
    refused(wa(acme, "POST", f"{base}/{GONE}/block", key), 404, "not_on_whatsapp")


def test_lids_are_listed_counted_and_looked_up(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    _write(acme, working, ODD, "Zed")
    lids = f"/devices/{working}/lids"
    pair = {"lid": ODD_LID, "pn": f"{ODD}@c.us"}
    assert ok(wa(acme, "GET", lids, key)) == [pair]
    assert ok(wa(acme, "GET", f"{lids}?limit=100&offset=1", key)) == []
    assert ok(wa(acme, "GET", f"{lids}/count", key)) == {"count": 1}
    assert ok(wa(acme, "GET", f"{lids}/{ODD_LID}", key)) == pair
    assert ok(wa(acme, "GET", f"{lids}/{ODD_LID.split('@')[0]}", key)) == pair
    assert ok(wa(acme, "GET", f"{lids}/pn/{ODD}@c.us", key)) == pair
    assert ok(wa(acme, "GET", f"{lids}/pn/{ODD}", key)) == pair
    assert ok(wa(acme, "GET", f"{lids}/pn/{EVEN}", key)) == {"lid": None,
                                                             "pn": f"{EVEN}@c.us"}
    assert ok(wa(acme, "GET", f"{lids}/123456789@lid", key)) == {"lid": "123456789@lid",
                                                                 "pn": None}
    assert ok(wa(acme, "GET", f"{lids}/pn/{ODD_LID}", key)) == {"lid": ODD_LID, "pn": None}
    assert field_of(wa(acme, "GET", f"{lids}/{ODD}@c.us", key)) == "lid"
    assert field_of(wa(acme, "GET", f"{lids}/pn/hello", key)) == "phone"


def _routes(device: str) -> list[tuple[str, str, Any]]:
    contacts, lids = f"/devices/{device}/contacts", f"/devices/{device}/lids"
    return [("GET", contacts, None), ("GET", f"{contacts}/check-exists?phone={ODD}", None),
            ("GET", f"{contacts}/{ODD}", None), ("PUT", f"{contacts}/{ODD}", {"firstName": "A"}),
            ("GET", f"{contacts}/{ODD}/profile-picture", None),
            ("POST", f"{contacts}/{ODD}/block", None), ("POST", f"{contacts}/{ODD}/unblock", None),
            ("POST", f"{contacts}/block", {"contactId": ODD}),
            ("POST", f"{contacts}/unblock", {"contactId": ODD}),
            ("GET", lids, None), ("GET", f"{lids}/count", None), ("GET", f"{lids}/{ODD_LID}", None),
            ("GET", f"{lids}/pn/{ODD}", None)]


def test_contacts_of_another_tenant_or_without_the_scope_are_refused(
        acme: Tenant, globex: Tenant, working: str) -> None:
    theirs = globex.api_key(ALL)
    for device in (working, "shop", DEVICE):
        for method, path, body in _routes(device):
            refused(wa(globex, method, path, theirs, body), 404, "not_found")
    reader = acme.api_key(["contacts:read"])
    writer = acme.api_key(["contacts:write"])
    for method, path, body in _routes(working):
        key = writer if method == "GET" else reader
        refused(wa(acme, method, path, key, body), 403, "missing_scope")
