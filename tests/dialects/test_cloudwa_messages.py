"""CloudWA's messages (send, list, show, get media, forward), chats, labels, contacts, number
checks, group info, campaigns and reverse OTPs through ``/compat/cloudwa``, with the
document's example bodies (real ids for its placeholders), and CloudWA's callbacks to a
session's ``webhook_url``."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.domain import clock
from tests.api.test_otp_reverse import SHARED, USER, _write, platform, shared  # noqa: F401
from tests.conftest import Tenant, run_worker, static_site, wait_for
from tests.dialects.test_cloudwa import cw, laravel_422
from tests.samples import png
from tests.workers.test_webhooks import deliver

CONTACT = "201101782890"  # the document's number (Egypt), which the sandbox delivers to
# Send Message to Chat, as the document prints it (session_uuid is a placeholder).
SEND = {"session_uuid": "CLOUD-WA-SESSION-UUID-2022", "chat_id": CONTACT, "typing_duration": 1,
        "type": "TEXT", "schedule_at": "2022-09-24T12:00:17", "urgency": "1",
        "reply_to_message_id": "miyvdljnikhwaykcmyuwpwlvqwrsitcpscqldzsnrwtujwvlxjklqppwqbew"
                               "tnnoqitpxntltc",
        "message": "Hello Test From AQ-APPS",
        "image": "https://static.facebook.com/images/whatsapp/www/whatsapp-promo.png"}
CAMPAIGN = {"name": "Campaign-2022", "description": "AQ-Campaign-2022", "session_uuids": ["v"],
            "phones": [201101782890], "type": "TEXT", "starting_time": "2022-09-24T12:00:17",
            "ending_time": "2026-01-18T10:33:55", "typing_duration": 16, "daily_limit": 16,
            "message_interval": "architecto", "add_ref": True,
            "session_uuid": "CLOUD-WA-SESSION-UUID-2022", "message": "Hello Test From AQ-APPS",
            "image": "https://static.facebook.com/images/whatsapp/www/whatsapp-promo.png"}


def _send(acme: Tenant, working: str, **changes: Any) -> Any:
    body = {**SEND, "session_uuid": working, **changes}
    return cw(acme, "POST", "/api/v2/messages/send-message", body={
        k: v for k, v in body.items() if v is not None})


def _read(acme: Tenant, number: int) -> dict[str, Any]:
    """The message once the sandbox phone read it."""
    run_worker(resources.OUTBOUND)
    return wait_for(lambda: (m := cw(acme, "GET", f"/api/v2/messages/show/{number}").json)
                    ["status"] == "READ" and m)


def test_the_documents_send_reaches_read_and_is_shown_by_either_id(
        acme: Tenant, globex: Tenant, working: str) -> None:
    printed = cw(acme, "POST", "/api/v2/messages/send-message", body=SEND)
    assert printed.status_code == 404 and printed.json == {"message": "session not found"}
    sent = _send(acme, working, reply_to_message_id=None)  # the example's id is a placeholder
    assert sent.status_code == 200, sent.body
    message = sent.json
    assert (message["id"], message["status"], message["type"], message["chat_id"]) == (
        1, "PENDING", "TEXT", f"{CONTACT}@c.us")
    assert (message["urgency"], message["typing_duration"], message["schedule_at"]) == (1, 1, None)
    native = acme.call("GET", f"/v1/messages/{message['uuid']}").json
    assert (native["typing_ms"], native["priority"], native["text"]) == (
        1000, "normal", SEND["message"])
    read = _read(acme, 1)
    assert read["uuid"] == message["uuid"] and read["from_me"] is True
    by_uuid = cw(acme, "GET", f"/api/v2/messages/show/{message['uuid']}?session_uuid={working}")
    assert by_uuid.json == read
    assert cw(globex, "GET", "/api/v2/messages/show/1").status_code == 404
    assert cw(globex, "GET", f"/api/v2/messages/show/{message['uuid']}").status_code == 404
    # a reply to it, by its integer id
    reply = _send(acme, working, reply_to_message_id="1", message="thanks")
    assert reply.status_code == 200, reply.body
    assert reply.json["reply_to_message_id"] == message["uuid"]
    laravel_422(_send(acme, working, reply_to_message_id="999"), "reply_to_message_id")
    for form in (f"+{CONTACT}", f"{CONTACT}@c.us", int(CONTACT)):
        again = _send(acme, working, chat_id=form, reply_to_message_id=None)
        assert (again.status_code, again.json["chat_id"]) == (200, f"{CONTACT}@c.us"), form


def test_a_later_schedule_urgency_and_bad_input(acme: Tenant, working: str) -> None:
    later = clock.iso(clock.now() + timedelta(hours=2)).replace("+00:00", "")
    scheduled = _send(acme, working, schedule_at=later, urgency=2, reply_to_message_id=None)
    assert scheduled.status_code == 200, scheduled.body
    assert (scheduled.json["status"], scheduled.json["urgency"]) == ("SCHEDULED", 2)
    assert scheduled.json["schedule_at"].startswith(later[:19])
    laravel_422(_send(acme, working, chat_id="g", urgency="7", typing_duration=9,
                      schedule_at=None, reply_to_message_id=None),
                "chat_id", "urgency", "typing_duration", "schedule_at")
    laravel_422(_send(acme, working, message=None, reply_to_message_id=None), "message")
    laravel_422(_send(acme, working, type="IMAGE", image=None, reply_to_message_id=None),
                "image")
    laravel_422(_send(acme, working, type="VIDEO", reply_to_message_id=None), "type")
    far = clock.iso(clock.now() + timedelta(days=40))
    laravel_422(_send(acme, working, schedule_at=far, reply_to_message_id=None), "schedule_at")
    reader = acme.api_key(["messages:read", "sessions:read"])
    assert cw(acme, "POST", "/api/v2/messages/send-message", reader,
              body={**SEND, "session_uuid": working}).status_code == 403


def test_images_their_media_forwards_and_the_chats_messages(acme: Tenant,
                                                             working: str) -> None:
    picture = png()
    with static_site({"/promo.png": (picture, "image/png")}) as site:
        image = _send(acme, working, type="IMAGE", image=f"{site}/promo.png",
                      reply_to_message_id=None, message="caption")
    assert image.status_code == 200, image.body
    assert (image.json["type"], image.json["message"], image.json["has_media"]) == (
        "IMAGE", "caption", True)
    text = _send(acme, working, reply_to_message_id=None).json
    media = cw(acme, "GET", "/api/v2/messages/get-media", body={
        "session_uuid": working, "chat_id": CONTACT, "message_id": str(image.json["id"])})
    assert media.status_code == 200, media.body
    assert base64.b64decode(media.json["data"]) == picture
    assert media.json["mimetype"] == "image/png"
    no_media = cw(acme, "GET", "/api/v2/messages/get-media", body={
        "session_uuid": working, "chat_id": CONTACT, "message_id": text["uuid"]})
    assert no_media.status_code == 404
    forwarded = cw(acme, "POST", "/api/v2/messages/forward-message", body={
        "session_uuid": working, "chat_id": "14155552671@c.us", "message_id": text["uuid"]})
    assert forwarded.status_code == 200, forwarded.body
    assert (forwarded.json["chat_id"], forwarded.json["message"]) == (
        "14155552671@c.us", SEND["message"])
    printed = cw(acme, "POST", "/api/v2/messages/forward-message", body={
        "session_uuid": working, "chat_id": "g", "message_id": "zmiy"})
    laravel_422(printed, "chat_id")
    # GET messages with its parameters in a JSON body (as the document sends them)
    listed = cw(acme, "GET", "/api/v2/messages", body={
        "session_uuid": working, "chat_id": CONTACT, "include_notifications": True})
    assert listed.status_code == 200, listed.body
    assert [m["uuid"] for m in listed.json] == [text["uuid"], image.json["uuid"]]
    older = cw(acme, "GET", f"/api/v2/messages?session_uuid={working}&chat_id={CONTACT}"
               f"&last_message_id={text['id']}").json
    assert [m["uuid"] for m in older] == [image.json["uuid"]]
    newer = cw(acme, "GET", "/api/v2/messages", body={
        "session_uuid": working, "chat_id": f"{CONTACT}@c.us",
        "last_message_id": image.json["uuid"], "direction": "after"}).json
    assert [m["uuid"] for m in newer] == [text["uuid"]]
    laravel_422(cw(acme, "GET", "/api/v2/messages", body={"session_uuid": working}), "chat_id")


def test_chats_labels_contacts_checks_and_group_links(acme: Tenant, working: str) -> None:
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": "+14155552671", "text": "hi", "push_name": "Ana"})
    run_worker(resources.EVENT_QUEUE)
    query = f"session_uuid={working}"
    chats = wait_for(lambda: cw(acme, "GET", f"/api/v2/sessions/chats?{query}").json)
    assert [c["id"] for c in chats] == ["14155552671@c.us"] and chats[0]["is_group"] is False
    assert cw(acme, "GET", f"/api/v2/sessions/chats?{query}", body={"type": "group"}).json == []
    one = cw(acme, "GET", "/api/v2/sessions/chat", body={"session_uuid": working,
                                                        "chat_id": "14155552671"})
    assert one.status_code == 200 and one.json == chats[0]
    assert cw(acme, "GET", f"/api/v2/sessions/chats?{query}",
              body={"last_chat_id": "14155552671@c.us"}).json == []
    label = acme.call("POST", f"/v1/sessions/{working}/labels", {"name": "VIP", "color": 1})
    assert label.status_code == 201, label.body
    labels = cw(acme, "GET", f"/api/v2/sessions/labels?{query}").json
    assert [(x["name"], x["color"]) for x in labels] == [("VIP", 1)]
    contacts = cw(acme, "GET", f"/api/v2/sessions/contacts?{query}").json
    assert [(c["id"], c["number"]) for c in contacts] == [("14155552671@c.us", "14155552671")]
    check = cw(acme, "GET", f"/api/v2/sessions/check_availability?{query}&chat_id={CONTACT}")
    assert check.status_code == 200, check.body
    assert (check.json["number"], check.json["available"]) == (CONTACT, True)
    gone = cw(acme, "GET", "/api/v2/sessions/check_availability",
              body={"session_uuid": working, "chat_id": "14155550000"}).json
    assert gone["available"] is False
    group = acme.call("POST", f"/v1/sessions/{working}/groups",
                      {"subject": "Team", "participants": ["+4915112345678"]}).json
    invite = acme.call("GET", f"/v1/sessions/{working}/groups/{group['id']}/invite").json
    info = cw(acme, "GET", "/api/v2/sessions/group_info_from_link?session_uuid=x"
              "&chat_id=201101782890", body={"session_uuid": working, "url": invite["invite"]})
    assert info.status_code == 200, info.body
    assert (info.json["id"], info.json["subject"], info.json["size"]) == (group["id"], "Team", 2)
    printed = cw(acme, "GET", "/api/v2/sessions/group_info_from_link", body={
        "session_uuid": working, "url": "http://crooks.biz/et-fugiat-sunt-nihil-accusantium"})
    laravel_422(printed, "url")
    reader = acme.api_key(["sessions:read"])
    assert cw(acme, "GET", f"/api/v2/sessions/chats?{query}", reader).status_code == 403


def test_another_teams_session_is_not_found(acme: Tenant, globex: Tenant,
                                            working: str) -> None:
    for path in ("/api/v2/sessions/chats", "/api/v2/sessions/labels",
                 "/api/v2/sessions/contacts", "/api/v2/sessions/status"):
        refused = cw(globex, "GET", path, body={"session_uuid": working})
        assert (refused.status_code, refused.json) == (404, {"message": "session not found"})


def test_campaigns_are_created_started_paused_and_followed(acme: Tenant, globex: Tenant,
                                                           working: str) -> None:
    ending = clock.iso(clock.now() + timedelta(days=2))
    printed = cw(acme, "POST", "/api/v2/campaigns/create", body=CAMPAIGN)
    laravel_422(printed, "session_uuids.0")  # "v": fewer than 4 characters
    body = {**CAMPAIGN, "session_uuids": [], "session_uuid": working, "ending_time": ending,
            "message_interval": "5-15"}
    made = cw(acme, "POST", "/api/v2/campaigns/create", body=body)
    assert made.status_code == 201, made.body
    campaign = made.json
    assert (campaign["id"], campaign["status"], campaign["type"], campaign["message"]) == (
        1, "RUNNING", "TEXT", CAMPAIGN["message"])
    assert (campaign["typing_duration"], campaign["daily_limit"], campaign["add_ref"],
            campaign["message_interval"]) == (5, 16, True, "5-15")
    assert campaign["session_uuids"] == [working] and campaign["stats"]["total"] == 1
    paused = cw(acme, "POST", "/api/v2/campaigns/update", body={"campaign_id": 1,
                                                                "action": "PAUSE"})
    assert (paused.status_code, paused.json["status"]) == (200, "PAUSED")
    again = cw(acme, "POST", "/api/v2/campaigns/update", body={"campaign_id": 1,
                                                               "action": "pause"})
    assert again.status_code == 409 and set(again.json) == {"message"}
    laravel_422(cw(acme, "POST", "/api/v2/campaigns/update",
                   body={"campaign_id": 16, "action": "architecto"}), "action")
    details = cw(acme, "POST", "/api/v2/campaigns/details", body={"campaign_id": 1}).json
    assert details["status"] == "PAUSED" and details["uuid"] == campaign["uuid"]
    messages = cw(acme, "POST", "/api/v2/campaigns/messages", body={"campaign_id": 1}).json
    assert [(m["phone"], m["status"]) for m in messages] == [(CONTACT, "PENDING")]
    assert [c["id"] for c in cw(acme, "GET", "/api/v2/campaigns").json] == [1]
    assert cw(globex, "POST", "/api/v2/campaigns/details",
              body={"campaign_id": 1}).status_code == 404
    assert cw(globex, "GET", "/api/v2/campaigns").json == []
    later = clock.iso(clock.now() + timedelta(hours=1))
    no_image = cw(acme, "POST", "/api/v2/campaigns/create",
                  body={**body, "starting_time": later, "type": "image", "message": None,
                        "image": None})
    laravel_422(no_image, "image")
    with static_site({"/promo.png": (png(), "image/png")}) as site:
        scheduled = cw(acme, "POST", "/api/v2/campaigns/create",
                       body={**body, "starting_time": later, "type": "image",
                             "image": f"{site}/promo.png"})
    assert scheduled.status_code == 201, scheduled.body
    assert (scheduled.json["id"], scheduled.json["status"], scheduled.json["type"]) == (
        2, "SCHEDULED", "IMAGE")
    assert scheduled.json["message"] == CAMPAIGN["message"]  # the image's caption
    assert (scheduled.json["has_media"], scheduled.json["mimetype"]) == (True, "image/png")
    past_end = cw(acme, "POST", "/api/v2/campaigns/create", body={**body, "ending_time":
                                                                  CAMPAIGN["ending_time"]})
    laravel_422(past_end, "ending_time")
    laravel_422(cw(acme, "POST", "/api/v2/campaigns/create",
                   body={**body, "message_interval": "architecto"}), "message_interval")
    reader = acme.api_key(["campaigns:read"])
    assert cw(acme, "POST", "/api/v2/campaigns/create", reader, body=body).status_code == 403


def test_reverse_otps_are_registered_found_by_code_and_verified(
        acme: Tenant, globex: Tenant, platform: Tenant, shared: str,  # noqa: F811
        host: Any) -> None:
    numbers = cw(acme, "GET", f"/api/v3/{acme.id}/otps/shared-numbers")
    assert (numbers.status_code, numbers.json) == (200, [SHARED])
    made = cw(acme, "POST", f"/api/v3/{acme.id}/otps")
    assert made.status_code == 201, made.body
    otp = made.json
    assert (otp["id"], otp["number"], otp["status"]) == (1, SHARED, "PENDING")
    assert otp["link"].endswith(otp["otp"])
    path = f"/api/v3/{acme.id}/otps/{otp['otp']}"
    assert cw(acme, "GET", path).json["status"] == "PENDING"
    assert cw(globex, "GET", f"/api/v3/{globex.id}/otps/{otp['otp']}").status_code == 404
    _write(platform, host, shared, USER, f"my code: {otp['otp']}")
    verified = cw(acme, "GET", path).json
    assert (verified["status"], verified["verified_by"]) == ("VERIFIED", USER)
    assert cw(acme, "GET", f"/api/v3/{acme.id}/otps/1").json["status"] == "VERIFIED"
    assert cw(acme, "GET", f"/api/v3/{acme.id}/otps/349841").status_code == 404
    bound = cw(acme, "POST", f"/api/v3/{acme.id}/otps", body={"phone": USER})
    assert bound.status_code == 201 and bound.json["phone"] == USER
    laravel_422(cw(acme, "POST", f"/api/v3/{acme.id}/otps", body={"phone": "nope"}), "phone")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def test_a_sessions_webhook_url_gets_cloudwas_callbacks(acme: Tenant, host: Any,
                                                         receiver: WebhookReceiver) -> None:
    made = cw(acme, "POST", "/api/v2/sessions", body={"name": "shop",
                                                      "webhook_url": receiver.url}).json
    receiver.secret = made["webhook_secret"]
    sid = made["uuid"]
    wait_for(lambda: cw(acme, "GET", f"/api/v2/sessions/status?session_uuid={sid}").json["qr"])
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550100"})
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "WORKING")
    sent = _send(acme, sid, reply_to_message_id=None).json

    def statuses() -> list[str]:
        deliver()
        return [r["payload"]["data"]["status"] for r in receiver.received
                if r["payload"]["event"] == "message.status"
                and r["payload"]["data"]["uuid"] == sent["uuid"]]

    run_worker(resources.OUTBOUND)
    wait_for(lambda: "READ" in statuses())
    assert statuses()[:3] == ["SENT", "DELIVERED", "READ"]
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
              {"from": "+14155552671", "text": "hello back"})

    def inbound() -> list[dict[str, Any]]:
        deliver()
        return [r["payload"] for r in receiver.received
                if r["payload"]["event"] == "message.received"]

    payload = wait_for(inbound)[0]
    assert payload["session_uuid"] == sid and payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert (data["chat_id"], data["message"], data["status"], data["type"]) == (
        "14155552671@c.us", "hello back", "RECEIVED", "TEXT")
    sessions = [r["payload"]["data"]["status"] for r in receiver.received
                if r["payload"]["event"] == "session.status"]
    assert "CONNECTED" in sessions


def test_an_enabled_device_gets_a_push_for_each_received_message(acme: Tenant,
                                                                  working: str) -> None:
    cw(acme, "POST", "/api/v2/devices", body={
        "device_type": "ios", "device_token": "AQ-DEVICE-2022", "notifiable_method":
        "firebase", "notifiable_token": "XXXXAAAAXXXXAAAAXXXX", "enabled": True})
    cw(acme, "POST", "/api/v2/devices", body={
        "device_type": "web", "device_token": "OFF", "notifiable_method": "firebase",
        "notifiable_token": "YYYY", "enabled": False})
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": "+14155552671", "text": "hi there"})

    def pushed() -> list[dict[str, Any]]:
        run_worker(resources.EVENT_QUEUE)
        return acme.call("GET", "/v1/sandbox/pushes").json["items"]

    pushes = wait_for(pushed)
    assert [p["body"] for p in pushes] == ["hi there"]  # the disabled device got none
