"""The WACloud dialect: devices, pairing and messages, walked with the document's own
examples (chalice Client on moto, a sandbox session host)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from chalicelib import resources
from chalicelib.domain import clock
from tests.conftest import Tenant, run_worker, static_site, wait_for
from tests.dialects.wacloud_support import ALL, DEVICE, field_of, ok, refused, wa
from tests.samples import MP4, PDF, png

CREATED = "Device created successfully. Use the pair endpoint to get QR code."


@pytest.fixture
def files() -> Iterator[str]:
    """A loopback site standing in for example.com (tests never leave the machine)."""
    with static_site({"/image.jpg": (png(), "image/png"), "/video.mp4": (MP4, "video/mp4"),
                      "/file.pdf": (PDF, "application/pdf")}) as base:
        yield base


def _documented(device_id: str, files: str) -> dict[str, dict]:
    """Every send example of the document, with its device and files here."""
    common = {"device_id": device_id, "to": "6281234567890"}
    return {
        "text": {**common, "message_type": "text", "text": "Halo, ini pesan dari API!"},
        "image": {**common, "message_type": "image", "image_url": f"{files}/image.jpg",
                  "caption": "Caption gambar"},
        "video": {**common, "message_type": "video", "video_url": f"{files}/video.mp4",
                  "caption": "Caption video", "as_note": False, "convert": False},
        "document": {**common, "message_type": "document",
                     "document_url": f"{files}/file.pdf", "filename": "document.pdf",
                     "caption": "Caption dokumen"},
        "poll": {**common, "message_type": "poll", "poll_name": "Pertanyaan?",
                 "poll_options": ["Opsi 1", "Opsi 2"]},
    }


def test_a_device_is_created_paired_by_qr_and_connected(acme: Tenant, host) -> None:
    key = acme.api_key(ALL)
    created = wa(acme, "POST", "/devices", key,
                 {"name": "Device Utama", "phone_number": "81234567890"})
    device = ok(created, 201)
    assert created.json["message"] == CREATED
    assert device["name"] == "Device Utama" and device["status"] == "pairing"
    assert device["created_at"] and device["id"]
    did = device["id"]

    pair = ok(wa(acme, "GET", f"/devices/{did}/pair", key))
    assert pair["qr_code"].startswith("data:image/png;base64,")
    assert (pair["device_id"], pair["status"]) == (did, "pairing")
    expires = clock.parse(pair["expires_at"])
    assert clock.now() < expires <= clock.now() + timedelta(minutes=2)
    assert ok(wa(acme, "GET", f"/devices/{did}/status", key)) == {
        "device_id": did, "status": "pairing", "phone_number": None}

    acme.call("POST", f"/v1/sandbox/sessions/{did}/scan", {"phone": "+6281234567890"})
    assert ok(wa(acme, "GET", f"/devices/{did}/status", key)) == {
        "device_id": did, "status": "connected", "phone_number": "6281234567890"}
    by_name = ok(wa(acme, "GET", "/devices/Device%20Utama", key))
    assert (by_name["id"], by_name["status"], by_name["phone_number"]) == (
        did, "connected", "6281234567890")
    assert [d["id"] for d in ok(wa(acme, "GET", "/devices", key))] == [did]
    assert [d["id"] for d in ok(wa(acme, "GET", "/devices?status=connected", key))] == [did]
    assert ok(wa(acme, "GET", "/devices?status=pairing", key)) == []
    assert field_of(wa(acme, "GET", "/devices?status=online", key)) == "status"
    refused(wa(acme, "GET", f"/devices/{did}/pair", key), 409, "already_paired")


def test_a_disconnected_device_pairs_again(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    acme.call("POST", f"/v1/sessions/{working}/logout")
    assert ok(wa(acme, "GET", f"/devices/{working}/status", key))["status"] == "disconnected"
    pair = ok(wa(acme, "GET", f"/devices/{working}/pair", key))
    assert pair["qr_code"].startswith("data:image/png;base64,")
    assert ok(wa(acme, "GET", f"/devices/{working}", key))["status"] == "pairing"


def test_devices_refuse_in_wacloud_shape(acme: Tenant, globex: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    theirs = globex.api_key(ALL)
    refused(wa(acme, "GET", "/devices", None), 401)
    refused(wa(acme, "GET", "/devices", "waha_your_api_key_here"), 401)
    for path in (f"/devices/{working}", f"/devices/{working}/status", f"/devices/{working}/pair",
                 "/devices/shop", f"/devices/{DEVICE}"):
        refused(wa(globex, "GET", path, theirs), 404, "not_found")
    reader = acme.api_key(["sessions:read"])
    refused(wa(acme, "POST", "/devices", reader, {"name": "x"}), 403, "missing_scope")
    refused(wa(acme, "GET", f"/devices/{working}/pair", reader), 403, "missing_scope")
    refused(wa(acme, "GET", "/devices", acme.api_key(["messages:read"])), 403, "missing_scope")
    assert field_of(wa(acme, "POST", "/devices", key, {"phone_number": "81234567890"})) == \
        "name"
    assert field_of(wa(acme, "POST", "/devices", key, {"name": "x", "phone_number": "12"})) \
        == "phone_number"
    refused(wa(acme, "POST", "/devices", key, "{"), 400)
    refused(wa(acme, "GET", "/nowhere", key), 404, "route_not_found")
    refused(wa(acme, "DELETE", "/devices", key), 405, "method_not_allowed")
    assert [d["id"] for d in ok(wa(acme, "GET", "/devices", key))] == [working]


def test_every_documented_message_type_reaches_read(acme: Tenant, working: str, host,
                                                    files: str) -> None:
    key = acme.api_key(ALL)
    sent = {}
    for kind, body in _documented(working, files).items():
        accepted = ok(wa(acme, "POST", "/messages", key, body), 201)
        assert (accepted["status"], accepted["ack"], accepted["to"]) == ("pending", 0,
                                                                        "6281234567890")
        assert accepted["whatsapp_message_id"] is None and accepted["message_id"]
        sent[kind] = accepted["message_id"]
    run_worker(resources.OUTBOUND)
    for kind, mid in sent.items():
        read = wait_for(lambda mid=mid: (m := ok(wa(acme, "GET", f"/messages/{mid}", key)))[
            "status"] == "read" and m)
        assert (read["ack"], read["message_type"], read["direction"]) == (3, kind, "outbound")
        assert read["whatsapp_message_id"] and read["to"] == "6281234567890"
    outbox = {o.content.type: o.content for _, _, o in host.engine.outbox}
    assert outbox["text"].text == "Halo, ini pesan dari API!"
    assert outbox["image"].caption == "Caption gambar"
    assert outbox["video"].caption == "Caption video"
    assert (outbox["document"].filename, outbox["document"].caption) == (
        "document.pdf", "Caption dokumen")
    assert (outbox["poll"].question, outbox["poll"].options) == ("Pertanyaan?",
                                                                 ["Opsi 1", "Opsi 2"])


def test_a_list_needs_a_section_and_is_sent_with_one(acme: Tenant, working: str,
                                                     host) -> None:
    key = acme.api_key(ALL)
    documented = {"device_id": working, "to": "6281234567890", "message_type": "list",
                  "message": {"title": "Judul", "description": "Deskripsi", "button": "Pilih",
                              "sections": []}}
    assert field_of(wa(acme, "POST", "/messages", key, documented)) == "message.sections"
    documented["message"]["sections"] = [{"title": "Menu", "rows": [
        {"title": "Nasi goreng", "rowId": "nasi", "description": "Pedas"},
        {"title": "Es teh"}]}]
    mid = ok(wa(acme, "POST", "/messages", key, documented), 201)["message_id"]
    run_worker(resources.OUTBOUND)
    wait_for(lambda: ok(wa(acme, "GET", f"/messages/{mid}", key))["status"] == "read")
    listed = next(o.content for _, _, o in host.engine.outbox if o.content.type == "list")
    assert (listed.text, listed.button_text, listed.title) == ("Deskripsi", "Pilih", "Judul")
    assert [(r.id, r.title) for r in listed.sections[0].rows] == [("nasi", "Nasi goreng"),
                                                                  ("0.1", "Es teh")]


def test_phone_numbers_in_every_form_and_devices_by_name(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    for to in ("6281234567890", "+6281234567890", "6281234567890@c.us"):
        accepted = ok(wa(acme, "POST", "/messages", key, {
            "device_id": "shop", "to": to, "text": "hi"}), 201)
        assert (accepted["to"], accepted["device_id"]) == ("6281234567890", working)


def test_sends_are_refused_in_wacloud_shape(acme: Tenant, globex: Tenant, working: str,
                                            files: str) -> None:
    key = acme.api_key(ALL)
    text = {"device_id": working, "to": "6281234567890", "message_type": "text", "text": "x"}
    refused(wa(globex, "POST", "/messages", globex.api_key(ALL), text), 404, "not_found")
    refused(wa(acme, "POST", "/messages", key, {**text, "device_id": DEVICE}), 404)
    refused(wa(acme, "POST", "/messages", acme.api_key(["messages:read"]), text), 403,
            "missing_scope")
    assert field_of(wa(acme, "POST", "/messages", key, {**text, "to": "12"})) == "to"
    assert field_of(wa(acme, "POST", "/messages", key, {**text, "message_type": "sticker"})) \
        == "message_type"
    for bad in ({"message_type": "image"}, {"message_type": "poll", "poll_name": "q"},
                {"message_type": "video", "video_url": f"{files}/video.mp4", "as_note": True},
                {"message_type": "text", "text": None},
                {"message_type": "image", "image_url": "ftp://example.com/a.jpg"}):
        refused(wa(acme, "POST", "/messages", key, {**text, **bad}), 422, "validation_failed")
    mid = ok(wa(acme, "POST", "/messages", key, text), 201)["message_id"]
    refused(wa(globex, "GET", f"/messages/{mid}", globex.api_key(ALL)), 404)
    assert len(ok(wa(acme, "GET", "/messages", key))) == 1


def test_messages_are_listed_and_incoming_ones_synced(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    mid = ok(wa(acme, "POST", "/messages", key, {
        "device_id": working, "to": "6281234567890", "text": "Halo"}), 201)["message_id"]
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": "+4915112345678", "text": "Pesan masuk"})
    listed = wa(acme, "GET", f"/messages?device_id={working}", key)
    incoming, outgoing = ok(listed)
    assert outgoing["message_id"] == mid and outgoing["body"] == "Halo"
    assert (incoming["direction"], incoming["status"], incoming["from"], incoming["to"],
            incoming["body"], incoming["ack"]) == (
        "inbound", "received", "4915112345678", "14155550100", "Pesan masuk", None)
    assert listed.json["meta"] == {"next_cursor": None, "limit": 20}
    first = wa(acme, "GET", "/messages?limit=1", key)
    assert len(ok(first)) == 1 and first.json["meta"]["next_cursor"]
    second = wa(acme, "GET", f"/messages?limit=1&cursor={first.json['meta']['next_cursor']}",
                key)
    assert ok(second)[0]["message_id"] == mid
    assert field_of(wa(acme, "GET", "/messages?limit=0", key)) == "limit"

    synced = wa(acme, "POST", f"/devices/{working}/messages/sync", key)
    assert ok(synced) == {"device_id": working, "synced": 0, "recent_incoming": 1}
    assert synced.json["message"] == "Messages are already in sync."
    refused(wa(acme, "POST", f"/devices/{DEVICE}/messages/sync", key), 404)
    refused(wa(acme, "GET", "/messages", acme.api_key(["messages:send"])), 403,
            "missing_scope")


def test_a_name_shared_by_devices_means_the_oldest(acme: Tenant, host) -> None:
    key = acme.api_key(ALL)
    first = ok(wa(acme, "POST", "/devices", key, {"name": "dup"}), 201)["id"]
    ok(wa(acme, "POST", "/devices", key, {"name": "dup"}), 201)
    assert ok(wa(acme, "GET", "/devices/dup", key))["id"] == first
    assert ok(wa(acme, "GET", "/devices/dup/status", key))["device_id"] == first
