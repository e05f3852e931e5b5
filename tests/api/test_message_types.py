"""Every message type through the API, the send worker, the host and the sandbox network."""

from __future__ import annotations

import pytest

from chalicelib import resources
from chalicelib.domain.jids import Jid
from tests.conftest import Tenant, assert_error, run_worker, wait_for
from tests.samples import MP3, MP4, OGG_OPUS, PDF, WEBP, b64, png

TO = "+14155552671"


def _send(tenant: Tenant, sid: str, **body) -> dict:
    response = tenant.call("POST", "/v1/messages", {"session_id": sid, "to": TO, **body})
    assert response.status_code == 202, response.body
    return response.json


def _delivered(tenant: Tenant, mid: str, host, status: str = "read") -> tuple[dict, object]:
    """Run the worker; wait for ``status``; the message and what the sandbox network got."""
    run_worker(resources.OUTBOUND)
    message = wait_for(lambda: (m := tenant.call("GET", f"/v1/messages/{mid}").json)[
        "status"] == status and m)
    sent = next(o for _, eid, o in host.engine.outbox if eid == message["engine_message_id"])
    return message, sent


def test_text_with_mentions_and_no_link_preview(acme: Tenant, working: str, host):
    mid = _send(acme, working, text="hi @4915112345678", mentions=["+4915112345678"],
                link_preview=False)["id"]
    message, sent = _delivered(acme, mid, host)
    assert message["type"] == "text" and message["content"]["mentions"] == [
        "4915112345678@s.whatsapp.net"]
    assert sent.content.link_preview is False and sent.content.text == "hi @4915112345678"


@pytest.mark.parametrize(("kind", "data", "mime"), [
    ("image", png(), "image/png"), ("video", MP4, "video/mp4"), ("audio", MP3, "audio/mpeg"),
    ("sticker", WEBP, "image/webp"),
])
def test_media_from_base64_is_sniffed_stored_and_sent(acme: Tenant, working: str, host, kind,
                                                      data, mime):
    mid = _send(acme, working, type=kind, **{kind: {"base64": b64(data)}})["id"]
    message, sent = _delivered(acme, mid, host)
    assert message["content"]["media"]["mime_type"] == mime
    assert message["content"]["media"]["size"] == len(data)
    assert sent.media == data
    downloaded = acme.call("GET", f"/v1/messages/{mid}/media", headers={"Accept": mime})
    assert downloaded.status_code == 200 and downloaded.body == data
    assert downloaded.headers["Content-Type"] == mime


def test_image_with_caption_and_a_lying_declared_type(acme: Tenant, working: str, host):
    mid = _send(acme, working, type="image", image={
        "base64": "data:image/jpeg;base64," + b64(png()), "caption": "our menu"})["id"]
    message, sent = _delivered(acme, mid, host)
    assert message["content"]["media"]["mime_type"] == "image/png"  # the bytes win
    assert message["text"] == "our menu" and sent.content.caption == "our menu"


def test_voice_note_is_played(acme: Tenant, working: str, host):
    mid = _send(acme, working, type="voice", voice={"base64": b64(OGG_OPUS)})["id"]
    message, sent = _delivered(acme, mid, host, status="played")
    assert sent.content.type == "voice"
    assert [h["status"] for h in message["history"]][-1] == "played"
    assert message["ack"] == 4 and message["status_letter"] == "R"


def test_document_keeps_its_filename(acme: Tenant, working: str, host):
    mid = _send(acme, working, type="document", document={
        "base64": b64(PDF), "filename": "invoice-42.pdf", "caption": "your invoice"})["id"]
    message, sent = _delivered(acme, mid, host)
    assert message["content"]["filename"] == "invoice-42.pdf"
    assert sent.content.media.mime_type == "application/pdf"


def test_location(acme: Tenant, working: str, host):
    mid = _send(acme, working, type="location", location={
        "latitude": 52.52, "longitude": 13.405, "name": "Berlin"})["id"]
    message, sent = _delivered(acme, mid, host)
    assert (sent.content.latitude, sent.content.longitude) == (52.52, 13.405)
    assert message["text"] == "Berlin"


def test_contact_cards_get_a_vcard(acme: Tenant, working: str, host):
    mid = _send(acme, working, type="contact", contacts=[
        {"name": "Ann Example", "phone": "+4915112345678"}])["id"]
    _, sent = _delivered(acme, mid, host)
    card = sent.content.contacts[0]
    assert card.name == "Ann Example"
    assert "FN:Ann Example" in card.vcard and "waid=4915112345678" in card.vcard


def test_poll_single_and_multiple_choice(acme: Tenant, working: str, host):
    mid = _send(acme, working, type="poll", poll={
        "question": "Lunch?", "options": ["Pizza", "Sushi"], "multiple": True})["id"]
    _, sent = _delivered(acme, mid, host)
    assert sent.content.options == ["Pizza", "Sushi"] and sent.content.multiple is True


def test_list_message(acme: Tenant, working: str, host):
    mid = _send(acme, working, type="list", list={
        "text": "Pick a slot", "button_text": "Slots", "sections": [
            {"title": "Today", "rows": [{"id": "t1", "title": "14:00"},
                                        {"id": "t2", "title": "16:00"}]}]})["id"]
    _, sent = _delivered(acme, mid, host)
    assert [r.id for r in sent.content.sections[0].rows] == ["t1", "t2"]


def test_reply_quotes_and_reaction_targets_an_earlier_message(acme: Tenant, working: str, host):
    first = _send(acme, working, text="order #42 shipped")["id"]
    original, _ = _delivered(acme, first, host)
    reply = _send(acme, working, text="tracking: XYZ", reply_to=first)["id"]
    message, sent = _delivered(acme, reply, host)
    assert message["reply_to"] == first
    assert sent.reply_to.engine_message_id == original["engine_message_id"]
    assert sent.reply_to.from_me is True
    reaction = _send(acme, working, type="reaction", reaction={"message_id": first,
                                                               "emoji": "👍"})["id"]
    run_worker(resources.OUTBOUND)
    sent_reaction = wait_for(lambda: acme.call("GET", f"/v1/messages/{reaction}").json[
        "status"] == "sent")
    assert sent_reaction
    target = next(o for _, _, o in host.engine.outbox if o.content.type == "reaction")
    assert target.content.target.engine_message_id == original["engine_message_id"]


def test_forward_edit_revoke_and_star(acme: Tenant, working: str, host):
    mid = _send(acme, working, text="original")["id"]
    original, _ = _delivered(acme, mid, host)
    forwarded = acme.call("POST", f"/v1/messages/{mid}/forward", {"to": "+4915112345678"})
    assert forwarded.status_code == 202
    copy, sent = _delivered(acme, forwarded.json["id"], host)
    assert sent.content.text == "original" and copy["metadata"] == {"forwarded_from": mid}
    edited = acme.call("POST", f"/v1/messages/{mid}/edit", {"text": "corrected"})
    assert edited.json["text"] == "corrected" and edited.json["edited_at"]
    starred = acme.call("POST", f"/v1/messages/{mid}/star", {"starred": True})
    assert starred.json["starred"] is True
    revoked = acme.call("POST", f"/v1/messages/{mid}/revoke", {})
    assert revoked.json["revoked_at"]
    engine_id = original["engine_message_id"]
    assert [(a, t) for _, a, t, _ in host.engine.actions if a != "typing"] == [
        ("edit", engine_id), ("star", engine_id), ("revoke", engine_id)]


def test_actions_need_a_message_on_whatsapp(acme: Tenant, working: str):
    mid = _send(acme, working, text="not yet")["id"]
    assert_error(acme.call("POST", f"/v1/messages/{mid}/edit", {"text": "x"}), 409, "not_sent")


def test_inbound_media_is_stored_and_served(acme: Tenant, working: str, host):
    running = host.host._running[(acme.id, working)]
    host.engine.inbound(running.ref, Jid("4915112345678"), "look", None,
                        media=(png(), "image/png", "photo.png"), message_type="image")
    host.host.flush()
    inbound = acme.call("GET", f"/v1/messages?session_id={working}").json["items"][0]
    assert inbound["type"] == "image" and inbound["content"]["caption"] == "look"
    served = acme.call("GET", f"/v1/messages/{inbound['id']}/media",
                       headers={"Accept": "image/png"})
    assert served.body == png()


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "image"}, "image"),
    ({"type": "image", "image": {}}, "image"),
    ({"type": "image", "image": {"base64": "not base64!"}}, "image.base64"),
    ({"type": "image", "image": {"base64": b64(PDF)}}, "image"),
    ({"type": "sticker", "sticker": {"base64": b64(png())}}, "sticker"),
    ({"type": "location", "location": {"latitude": 91, "longitude": 0}}, "location.latitude"),
    ({"type": "poll", "poll": {"question": "q", "options": ["only one"]}}, "poll.options"),
    ({"type": "text", "text": "x", "poll": {"question": "q"}}, "poll"),
    ({"type": "carrier-pigeon", "text": "x"}, "type"),
    ({"type": "reaction", "reaction": {"message_id": "nope", "emoji": "x"}},
     "reaction.message_id"),
    ({"text": "x", "reply_to": "nope"}, "reply_to"),
    ({"text": "x", "mentions": ["garbage"]}, "mentions[0]"),
])
def test_bad_content_is_a_422_naming_the_field(acme: Tenant, working: str, body, field):
    error = assert_error(acme.call("POST", "/v1/messages",
                                   {"session_id": working, "to": TO, **body}), 422)
    assert error["details"][0]["field"] == field, error
    assert acme.call("GET", "/v1/messages").json["items"] == []


def test_media_too_large_to_pass_through_the_api_is_a_short_lived_link(acme: Tenant, working: str,
                                                                      monkeypatch):
    from chalicelib.services.messaging import actions as messaging

    monkeypatch.setattr(messaging, "INLINE_MEDIA_MAX", 10)
    mid = _send(acme, working, type="image", image={"base64": b64(png())})["id"]
    linked = acme.call("GET", f"/v1/messages/{mid}/media")
    assert linked.status_code == 302
    location = linked.headers["Location"]
    assert f"media/{acme.id}/{mid}/" in location and "X-Amz-Signature" in location
