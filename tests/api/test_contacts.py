"""Contacts, identity (LIDs), presence and profile through the HTTP API on the sandbox."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from chalicelib import resources
from tests.conftest import Tenant, assert_error, call, run_worker, wait_for

ODD = "+14155552671"  # its last digit is odd: the sandbox gives it a LID
ODD_JID = "14155552671@s.whatsapp.net"
ODD_LID = f"{10**15 + 7 * 14155552671}@lid"
EVEN = "+4915112345678"  # no LID
EVEN_JID = "4915112345678@s.whatsapp.net"
OWN_JID = "14155550100@s.whatsapp.net"  # the working session's number
GONE = "+14155550000"  # not on WhatsApp


def _write(tenant: Tenant, sid: str, sender: str, text: str = "hi",
           push_name: str | None = None) -> dict[str, Any]:
    written = tenant.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
                          {"from": sender, "text": text, "push_name": push_name})
    assert written.status_code == 200, written.body
    engine_id = written.json["engine_message_id"]
    return next(m for m in tenant.call("GET", "/v1/messages?limit=100").json["items"]
                if m["engine_message_id"] == engine_id)


def _events(tenant: Tenant, types: str) -> list[dict[str, Any]]:
    run_worker(resources.EVENT_QUEUE)
    return tenant.call("GET", f"/v1/events?types={types}&limit=100").json["items"]


def test_a_message_from_a_person_teaches_their_contact_and_lid(acme: Tenant, working: str):
    message = _write(acme, working, ODD, push_name="Ana Lima")
    assert (message["from"], message["to"], message["lid"]) == (ODD_JID, OWN_JID, ODD_LID)
    assert message["sender"] == ODD_JID

    contact = acme.call("GET", f"/v1/sessions/{working}/contacts/{ODD}").json
    assert (contact["id"], contact["phone"], contact["lid"], contact["name"]) == (
        ODD_JID, ODD, ODD_LID, "Ana Lima")
    by_lid = acme.call("GET", f"/v1/sessions/{working}/contacts/{ODD_LID}").json
    assert by_lid["id"] == ODD_JID

    assert acme.call("GET", f"/v1/sessions/{working}/lids/pn/{ODD}").json["lid"] == ODD_LID
    mapping = acme.call("GET", f"/v1/sessions/{working}/lids/{ODD_LID}").json
    assert (mapping["phone"], mapping["jid"]) == (ODD, ODD_JID)
    digits = ODD_LID.partition("@")[0]
    assert acme.call("GET", f"/v1/sessions/{working}/lids/{digits}").json == mapping
    assert acme.call("GET", f"/v1/sessions/{working}/lids").json["items"] == [mapping]

    received = _events(acme, "message.received")[-1]["data"]
    assert (received["from"], received["to"], received["lid"]) == (ODD_JID, OWN_JID, ODD_LID)


def test_a_message_from_a_lid_carries_the_number_behind_it(acme: Tenant, working: str):
    message = _write(acme, working, ODD_LID, push_name="Ana")
    assert message["sender"] == ODD_LID
    assert (message["from"], message["lid"]) == (ODD_JID, ODD_LID)
    assert acme.call("GET", f"/v1/sessions/{working}/contacts/{ODD}").json["lid"] == ODD_LID


def test_an_unknown_person_has_no_lid_and_no_contact(acme: Tenant, working: str):
    message = _write(acme, working, EVEN)
    assert (message["from"], message["lid"]) == (EVEN_JID, None)
    assert_error(acme.call("GET", f"/v1/sessions/{working}/lids/pn/{EVEN}"), 404, "not_found")
    assert_error(acme.call("GET", f"/v1/sessions/{working}/contacts/+14155552672"), 404)


def test_a_sent_message_says_to_whom(acme: Tenant, working: str):
    mid = acme.call("POST", "/v1/messages", {"session_id": working, "to": EVEN,
                                             "text": "hello"}).json["id"]
    shown = acme.call("GET", f"/v1/messages/{mid}").json
    assert (shown["to"], shown["lid"]) == (EVEN_JID, None)
    run_worker(resources.OUTBOUND)
    wait_for(lambda: acme.call("GET", f"/v1/messages/{mid}").json["status"] != "queued")
    status = _events(acme, "message.status")[0]["data"]
    assert status["to"] == EVEN_JID


def test_contacts_are_searched_sorted_and_paged(acme: Tenant, working: str):
    people = [("+14155552671", "Zoe"), ("+14155552672", "adam"), ("+14155552673", "Mia")]
    for phone, name in people:
        _write(acme, working, phone, push_name=name)
    base = f"/v1/sessions/{working}/contacts"
    names = [c["name"] for c in acme.call("GET", base).json["items"]]
    assert names == ["adam", "Mia", "Zoe"]
    recent = [c["name"] for c in acme.call("GET", f"{base}?sort=recent").json["items"]]
    assert recent == ["Mia", "adam", "Zoe"]
    assert [c["name"] for c in acme.call("GET", f"{base}?q=ZO").json["items"]] == ["Zoe"]
    assert [c["name"] for c in acme.call("GET", f"{base}?q=%2B1415555267").json["items"]] \
        == ["adam", "Mia", "Zoe"]
    assert [c["name"] for c in acme.call("GET", f"{base}?q=2673").json["items"]] == ["Mia"]
    first = acme.call("GET", f"{base}?limit=2").json
    rest = acme.call("GET", f"{base}?limit=2&cursor={first['next_cursor']}").json
    assert [c["name"] for c in first["items"] + rest["items"]] == names
    assert rest["next_cursor"] is None
    assert assert_error(acme.call("GET", f"{base}?sort=age"), 422)["details"][0]["field"] \
        == "sort"


def test_a_local_name_is_kept_by_wagate_and_sorts(acme: Tenant, working: str):
    _write(acme, working, ODD, push_name="Zed")
    _write(acme, working, EVEN, push_name="Max")
    base = f"/v1/sessions/{working}/contacts"
    renamed = acme.call("PATCH", f"{base}/{ODD}", {"first_name": "Aaron", "last_name": "Ode"})
    assert renamed.status_code == 200, renamed.body
    assert (renamed.json["name"], renamed.json["push_name"]) == ("Aaron Ode", "Zed")
    assert [c["name"] for c in acme.call("GET", base).json["items"]] == ["Aaron Ode", "Max"]
    assert [c["name"] for c in acme.call("GET", f"{base}?q=aaron").json["items"]] == [
        "Aaron Ode"]
    _write(acme, working, ODD, push_name="Zed Again")  # a new push name keeps the local name
    assert acme.call("GET", f"{base}/{ODD}").json["name"] == "Aaron Ode"
    last_only = acme.call("PATCH", f"{base}/{ODD}", {"first_name": None}).json
    assert last_only["name"] == "Ode"
    cleared = acme.call("PATCH", f"{base}/{ODD}", {"last_name": None}).json
    assert cleared["name"] == "Zed Again"
    assert [c["name"] for c in acme.call("GET", base).json["items"]] == ["Max", "Zed Again"]
    new = acme.call("PATCH", f"{base}/+442071838750", {"first_name": "Office"}).json
    assert (new["id"], new["name"], new["on_whatsapp"]) == (
        "442071838750@s.whatsapp.net", "Office", None)


@pytest.mark.parametrize("bad", ["nope", "123@g.us", "+1"])
def test_a_bad_contact_id_is_a_422_naming_it(acme: Tenant, working: str, bad: str):
    for method, suffix, body in (("GET", "", None), ("PATCH", "", {"first_name": "A"}),
                                 ("GET", "/picture", None), ("GET", "/about", None),
                                 ("POST", "/block", None)):
        error = assert_error(acme.call(method, f"/v1/sessions/{working}/contacts/{bad}{suffix}",
                                       body), 422)
        assert error["details"][0]["field"] == "contact_id"
    assert_error(acme.call("PATCH", f"/v1/sessions/{working}/contacts/{ODD}", {}), 422)
    error = assert_error(acme.call("GET", f"/v1/sessions/{working}/lids/{bad}"), 422)
    assert error["details"][0]["field"] == "lid"
    error = assert_error(acme.call("GET", f"/v1/sessions/{working}/lids/pn/{bad}"), 422)
    assert error["details"][0]["field"] == "phone"


@pytest.mark.parametrize("route", ["contacts/check", "check-numbers"])
def test_a_number_check_records_what_it_learns(acme: Tenant, working: str, route: str):
    checked = acme.call("POST", f"/v1/sessions/{working}/{route}", {"phones": [ODD, GONE]})
    assert checked.status_code == 200, checked.body
    assert checked.json["results"] == [
        {"phone": ODD, "on_whatsapp": True, "jid": ODD_JID, "lid": ODD_LID, "name": None},
        {"phone": GONE, "on_whatsapp": False, "jid": None, "lid": None, "name": None}]
    known = acme.call("GET", f"/v1/sessions/{working}/contacts/{ODD}").json
    assert (known["on_whatsapp"], known["lid"]) == (True, ODD_LID)
    assert acme.call("GET", f"/v1/sessions/{working}/contacts/{GONE}").json[
        "on_whatsapp"] is False
    assert acme.call("GET", f"/v1/sessions/{working}/lids/pn/{ODD}").json["lid"] == ODD_LID
    too_many = acme.call("POST", f"/v1/sessions/{working}/{route}",
                         {"phones": [ODD] * 51})
    assert assert_error(too_many, 422)["details"][0]["field"] == "phones"


def test_a_profile_picture_is_cached_for_a_day(acme: Tenant, working: str):
    url = f"/v1/sessions/{working}/contacts/{EVEN}/picture"
    first = acme.call("GET", url).json
    assert first["url"].startswith("https://pps.sandbox-cdn.invalid/") and not first["cached"]
    assert acme.call("GET", url).json == {**first, "cached": True}
    assert acme.call("GET", f"{url}?refresh=true").json == first
    assert acme.call("GET", f"/v1/sessions/{working}/contacts/{EVEN}").json["picture_url"] \
        == first["url"]
    assert_error(acme.call("GET", f"{url}?refresh=yes"), 422)
    assert acme.call("GET", f"/v1/sessions/{working}/contacts/+14155552670/picture").json[
        "url"] is None  # the sum of its digits is odd: no picture
    assert_error(acme.call("GET", f"/v1/sessions/{working}/contacts/{GONE}/picture"), 404,
                 "not_on_whatsapp")


def test_about_block_unblock_and_the_blocklist(acme: Tenant, working: str):
    base = f"/v1/sessions/{working}/contacts"
    assert acme.call("GET", f"{base}/{ODD}/about").json == {"about": "Available"}
    assert acme.call("GET", f"{base}/{EVEN}/about").json == {"about": None}
    assert acme.call("POST", f"{base}/{ODD}/block").json == {"done": True}
    assert acme.call("POST", f"{base}/{ODD_LID}/block").json == {"done": True}
    assert acme.call("GET", f"{base}/blocked").json == {
        "items": [{"jid": ODD_JID, "phone": ODD}], "next_cursor": None}
    assert acme.call("GET", f"{base}/{ODD}").json["blocked"] is True
    acme.call("POST", f"{base}/{ODD}/unblock")
    assert acme.call("GET", f"{base}/blocked").json == {"items": [], "next_cursor": None}
    assert acme.call("GET", f"{base}/{ODD}").json["blocked"] is False
    assert_error(acme.call("POST", f"{base}/{GONE}/block"), 404, "not_on_whatsapp")


def test_presence_subscriptions_publish_updates(acme: Tenant, working: str):
    base = f"/v1/sessions/{working}"
    assert acme.call("POST", f"{base}/contacts/{EVEN}/presence/subscribe").json == {
        "done": True}
    played = acme.call("POST", f"/v1/sandbox/sessions/{working}/presence",
                       {"contact": EVEN, "presence": "unavailable"})
    assert played.status_code == 200, played.body
    acme.call("POST", f"/v1/sandbox/sessions/{working}/presence",
              {"contact": ODD, "presence": "available"})  # not subscribed: nothing
    updates = [e["data"] for e in _events(acme, "presence.update")]
    assert [(u["jid"], u["phone"], u["presence"]) for u in updates] == [
        (EVEN_JID, EVEN, "available"), (EVEN_JID, EVEN, "unavailable")]
    assert updates[0]["last_seen"] is None and updates[1]["last_seen"]
    assert acme.call("POST", f"{base}/presence", {"presence": "available"}).json == {
        "done": True}
    assert assert_error(acme.call("POST", f"{base}/presence", {"presence": "away"}),
                        422)["details"][0]["field"] == "presence"


def _png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_the_own_profile_name_about_and_picture(acme: Tenant, working: str):
    base = f"/v1/sessions/{working}/profile"
    assert acme.call("GET", base).json == {
        "name": "Sandbox", "about": "Hey there! I am using WhatsApp.", "picture_url": None}
    changed = acme.call("PATCH", base, {"name": "Acme Shop", "about": "Open 9-5"})
    assert changed.json == {"name": "Acme Shop", "about": "Open 9-5", "picture_url": None}
    assert acme.call("PATCH", base, {"about": "Closed"}).json["name"] == "Acme Shop"
    assert_error(acme.call("PATCH", base, {}), 422)
    pictured = acme.call("PUT", f"{base}/picture", {"base64": _png()})
    assert pictured.status_code == 200, pictured.body
    assert pictured.json["picture_url"].startswith("https://pps.sandbox-cdn.invalid/")
    assert acme.call("DELETE", f"{base}/picture").json == {"done": True}
    assert acme.call("GET", base).json["picture_url"] is None
    not_image = base64.b64encode(b"%PDF-1.4 not a picture").decode()
    assert_error(acme.call("PUT", f"{base}/picture", {"base64": not_image}), 422)
    assert_error(acme.call("PUT", f"{base}/picture", {}), 422)
    big = base64.b64encode(b"\0" * (1024 * 1024 + 3000)).decode()
    assert assert_error(acme.call("PUT", f"{base}/picture", {"base64": big}),
                        422)["details"][0]["field"].startswith("base64")


def test_live_routes_need_a_working_session_but_the_store_answers(acme: Tenant,
                                                                  working: str):
    _write(acme, working, ODD, push_name="Ana")
    acme.call("GET", f"/v1/sessions/{working}/contacts/{ODD}/picture")
    acme.call("POST", f"/v1/sessions/{working}/stop")
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{working}").json["status"] == "STOPPED")
    for method, path, body in _live_routes(working):
        assert_error(acme.call(method, path, body), 409, "session_not_ready")
    base = f"/v1/sessions/{working}"
    assert acme.call("GET", f"{base}/contacts").json["items"][0]["name"] == "Ana"
    assert acme.call("GET", f"{base}/contacts/{ODD}").status_code == 200
    assert acme.call("PATCH", f"{base}/contacts/{ODD}", {"first_name": "A"}).status_code == 200
    assert acme.call("GET", f"{base}/lids").status_code == 200
    assert acme.call("GET", f"{base}/lids/pn/{ODD}").status_code == 200
    cached = acme.call("GET", f"{base}/contacts/{ODD}/picture").json  # from the cache
    assert cached["cached"] is True


def _live_routes(sid: str) -> list[tuple[str, str, Any]]:
    base = f"/v1/sessions/{sid}"
    return [
        ("POST", f"{base}/contacts/check", {"phones": [ODD]}),
        ("GET", f"{base}/contacts/{EVEN}/picture?refresh=true", None),
        ("GET", f"{base}/contacts/{ODD}/about", None),
        ("POST", f"{base}/contacts/{ODD}/block", None),
        ("POST", f"{base}/contacts/{ODD}/unblock", None),
        ("GET", f"{base}/contacts/blocked", None),
        ("POST", f"{base}/contacts/{ODD}/presence/subscribe", None),
        ("POST", f"{base}/presence", {"presence": "available"}),
        ("GET", f"{base}/profile", None),
        ("PATCH", f"{base}/profile", {"name": "X"}),
        ("PUT", f"{base}/profile/picture", {"base64": _png()}),
        ("DELETE", f"{base}/profile/picture", None),
    ]


def _all_routes(sid: str) -> list[tuple[str, str, Any]]:
    base = f"/v1/sessions/{sid}"
    return [*_live_routes(sid),
            ("GET", f"{base}/contacts", None),
            ("GET", f"{base}/contacts/{ODD}", None),
            ("PATCH", f"{base}/contacts/{ODD}", {"first_name": "A"}),
            ("GET", f"{base}/lids", None),
            ("GET", f"{base}/lids/{ODD_LID}", None),
            ("GET", f"{base}/lids/pn/{ODD}", None),
            ("POST", f"/v1/sandbox/sessions/{sid}/presence",
             {"contact": ODD, "presence": "available"})]


def test_another_tenants_session_is_not_found_on_every_route(acme: Tenant, globex: Tenant,
                                                             working: str):
    _write(acme, working, ODD, push_name="Ana")
    for method, path, body in _all_routes(working):
        assert_error(globex.call(method, path, body), 404)
    assert acme.call("GET", f"/v1/sessions/{working}/contacts/{ODD}").json["name"] == "Ana"
    assert acme.call("GET", f"/v1/sessions/{working}/contacts/{ODD}").json["first_name"] \
        is None


def test_scopes_guard_contacts_and_profile(acme: Tenant, working: str):
    key = acme.api_key(["contacts:read"])
    base = f"/v1/sessions/{working}"
    assert call(acme.client, "GET", f"{base}/contacts", key).status_code == 200
    for method, path, body in (("PATCH", f"{base}/contacts/{ODD}", {"first_name": "A"}),
                               ("GET", f"{base}/profile", None),
                               ("POST", f"{base}/presence", {"presence": "available"})):
        assert_error(call(acme.client, method, path, key, body), 403, "missing_scope")
