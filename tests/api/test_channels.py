"""Channels (newsletters) and statuses (stories) through the API, on the sandbox."""

from __future__ import annotations

import base64

import pytest

from chalicelib import resources
from chalicelib.domain.jids import STATUS_BROADCAST
from tests.conftest import Tenant, assert_error, run_worker

NEWS = "120363000000000001@newsletter"  # the sandbox's "Sandbox News", owned by someone else
NEWS_INVITE = "https://whatsapp.com/channel/SandboxNews0001"
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")).decode()


def _channels(acme: Tenant, sid: str, **query: str) -> dict:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    response = acme.call("GET", f"/v1/sessions/{sid}/channels" + (f"?{suffix}" if suffix else ""))
    assert response.status_code == 200, response.body
    return response.json


def test_create_a_channel_and_find_it_by_id_and_invite(acme: Tenant, working: str):
    created = acme.call("POST", f"/v1/sessions/{working}/channels",
                        {"name": "Shop news", "description": "Offers"})
    assert created.status_code == 201, created.body
    channel = created.json
    assert channel["id"].endswith("@newsletter") and channel["role"] == "owner"
    assert channel["invite_url"] == "https://whatsapp.com/channel/" + channel["invite_code"]

    by_id = acme.call("GET", f"/v1/sessions/{working}/channels/{channel['id']}")
    assert by_id.json == channel
    by_invite = acme.call("GET", f"/v1/sessions/{working}/channels/invite-info"
                                 f"?invite={channel['invite_url']}")
    assert by_invite.json == channel
    assert [c["id"] for c in _channels(acme, working)["items"]] == [channel["id"]]


def test_follow_and_unfollow_an_existing_channel(acme: Tenant, working: str):
    found = acme.call("GET", f"/v1/sessions/{working}/channels/invite-info?invite={NEWS_INVITE}")
    assert found.json["id"] == NEWS and found.json["role"] is None
    assert found.json["verified"] is True
    followed = acme.call("POST", f"/v1/sessions/{working}/channels/{NEWS}/follow")
    assert followed.json == {"done": True}
    assert acme.call("GET", f"/v1/sessions/{working}/channels/{NEWS}").json["role"] == \
        "subscriber"
    assert [c["id"] for c in _channels(acme, working)["items"]] == [NEWS]
    acme.call("POST", f"/v1/sessions/{working}/channels/{NEWS}/unfollow")
    assert _channels(acme, working)["items"] == []


def test_the_list_is_paged(acme: Tenant, working: str):
    ids = sorted(acme.call("POST", f"/v1/sessions/{working}/channels",
                           {"name": f"c{i}"}).json["id"] for i in range(3))
    first = _channels(acme, working, limit="2")
    assert [c["id"] for c in first["items"]] == ids[:2] and first["next_cursor"]
    second = _channels(acme, working, limit="2", cursor=first["next_cursor"])
    assert [c["id"] for c in second["items"]] == ids[2:] and second["next_cursor"] is None


def test_post_to_an_own_channel_is_a_message(acme: Tenant, working: str, host):
    channel = acme.call("POST", f"/v1/sessions/{working}/channels", {"name": "Mine"}).json
    posted = acme.call("POST", f"/v1/sessions/{working}/channels/{channel['id']}/messages",
                       {"text": "First post"})
    assert posted.status_code == 202, posted.body
    assert posted.json["to"] == channel["id"] and posted.json["status"] == "queued"
    run_worker(resources.OUTBOUND)
    message = acme.call("GET", f"/v1/messages/{posted.json['id']}").json
    assert message["status"] in ("sent", "delivered", "read") and message["text"] == "First post"
    assert any(str(o.to) == channel["id"] for _, _, o in host.engine.outbox)


def test_posting_to_a_channel_you_do_not_own_is_refused(acme: Tenant, working: str):
    acme.call("POST", f"/v1/sessions/{working}/channels/{NEWS}/follow")
    refused = acme.call("POST", f"/v1/sessions/{working}/channels/{NEWS}/messages",
                        {"text": "hijack"})
    assert_error(refused, 403, "not_channel_admin")
    assert acme.call("GET", f"/v1/messages?session_id={working}").json["items"] == []


def test_a_message_to_a_foreign_channel_fails_in_the_engine(acme: Tenant, working: str):
    """Through /v1/messages the engine itself refuses (403): the message fails."""
    mid = acme.call("POST", "/v1/messages", {"session_id": working, "to": NEWS,
                                             "text": "hijack"}).json["id"]
    run_worker(resources.OUTBOUND)
    message = acme.call("GET", f"/v1/messages/{mid}").json
    assert message["status"] == "failed" and message["error"]["code"] == "not_channel_admin"


def test_owner_cannot_unfollow_and_unknown_channels_are_404(acme: Tenant, working: str):
    channel = acme.call("POST", f"/v1/sessions/{working}/channels", {"name": "Mine"}).json
    assert_error(acme.call("POST", f"/v1/sessions/{working}/channels/{channel['id']}/unfollow"),
                 409, "channel_owner")
    assert_error(acme.call("GET", f"/v1/sessions/{working}/channels/99999999@newsletter"), 404)
    assert_error(acme.call("GET", f"/v1/sessions/{working}/channels/invite-info"
                                  "?invite=https://whatsapp.com/channel/Nope12345"), 404)


@pytest.mark.parametrize("bad", ["12345", "12345@g.us", "abc@newsletter", "1@newsletter",
                                 "status@broadcast"])
def test_bad_channel_ids_are_422_naming_channel_id(acme: Tenant, working: str, bad: str):
    error = assert_error(acme.call("GET", f"/v1/sessions/{working}/channels/{bad}"), 422)
    assert error["details"][0]["field"] == "channel_id"


@pytest.mark.parametrize("bad", ["", "https://evil.example/channel/abcdefgh",
                                 "https://whatsapp.com/channel/a!b"])
def test_bad_invites_are_422_naming_invite(acme: Tenant, working: str, bad: str):
    error = assert_error(acme.call("GET", f"/v1/sessions/{working}/channels/invite-info"
                                          f"?invite={bad}"), 422)
    assert error["details"][0]["field"] == "invite"


def test_bad_channel_bodies_are_422(acme: Tenant, working: str):
    error = assert_error(acme.call("POST", f"/v1/sessions/{working}/channels",
                                   {"name": "x" * 101}), 422)
    assert error["details"][0]["field"] == "name"
    error = assert_error(acme.call("POST", f"/v1/sessions/{working}/channels/{NEWS}/messages",
                                   {"type": "image", "text": "no"}), 422)
    assert error["details"][0]["field"] == "text"


def test_text_status_with_a_background_and_its_deletion(acme: Tenant, working: str, host):
    posted = acme.call("POST", f"/v1/sessions/{working}/status",
                       {"text": "Open today", "background_color": "#25D366",
                        "font": "system_bold"})
    assert posted.status_code == 202, posted.body
    assert posted.json["to"] == STATUS_BROADCAST
    run_worker(resources.OUTBOUND)
    message = acme.call("GET", f"/v1/messages/{posted.json['id']}").json
    assert message["status"] in ("sent", "delivered", "read")
    assert message["content"]["background_color"] == "#25D366"
    sent = [o for _, _, o in host.engine.outbox if str(o.to) == STATUS_BROADCAST]
    assert sent[0].content.font == "system_bold"

    deleted = acme.call("DELETE", f"/v1/sessions/{working}/status/{posted.json['id']}")
    assert deleted.status_code == 200, deleted.body
    assert deleted.json["revoked_at"]
    assert (working, "revoke", message["engine_message_id"], None) in host.engine.actions


def test_image_status(acme: Tenant, working: str, host):
    posted = acme.call("POST", f"/v1/sessions/{working}/status",
                       {"type": "image", "image": {"base64": PNG, "caption": "New in"}})
    assert posted.status_code == 202, posted.body
    run_worker(resources.OUTBOUND)
    message = acme.call("GET", f"/v1/messages/{posted.json['id']}").json
    assert message["type"] == "image" and message["status"] in ("sent", "delivered", "read")


def test_status_errors(acme: Tenant, working: str):
    error = assert_error(acme.call("POST", f"/v1/sessions/{working}/status",
                                   {"text": "x", "background_color": "green"}), 422)
    assert error["details"][0]["field"] == "background_color"
    error = assert_error(acme.call("POST", f"/v1/sessions/{working}/status",
                                   {"type": "image", "image": {"base64": PNG},
                                    "font": "system"}), 422)
    assert error["details"][0]["field"] == "font"
    other = acme.call("POST", "/v1/messages", {"session_id": working, "to": "+14155552671",
                                               "text": "not a status"}).json["id"]
    assert_error(acme.call("DELETE", f"/v1/sessions/{working}/status/{other}"), 404)


def test_live_routes_need_a_working_session(acme: Tenant, host):
    sid = acme.call("POST", "/v1/sessions", {"name": "idle", "start": False}).json["id"]
    assert_error(acme.call("GET", f"/v1/sessions/{sid}/channels"), 409, "session_not_ready")
    assert_error(acme.call("POST", f"/v1/sessions/{sid}/channels", {"name": "x"}), 409,
                 "session_not_ready")
    assert_error(acme.call("POST", f"/v1/sessions/{sid}/status", {"text": "x"}), 409,
                 "session_not_ready")


def _routes(sid: str) -> list[tuple[str, str, dict | None]]:
    base = f"/v1/sessions/{sid}"
    return [("GET", f"{base}/channels", None),
            ("POST", f"{base}/channels", {"name": "x"}),
            ("GET", f"{base}/channels/invite-info?invite={NEWS_INVITE}", None),
            ("GET", f"{base}/channels/{NEWS}", None),
            ("POST", f"{base}/channels/{NEWS}/follow", None),
            ("POST", f"{base}/channels/{NEWS}/unfollow", None),
            ("POST", f"{base}/channels/{NEWS}/messages", {"text": "x"}),
            ("POST", f"{base}/status", {"text": "x"}),
            ("DELETE", f"{base}/status/01J0000000000000000000000", None),
            ("POST", f"/v1/sandbox/sessions/{sid}/deaf", {"deaf": True})]


def test_another_tenants_session_is_404_on_every_route(acme: Tenant, globex: Tenant,
                                                       working: str):
    for method, path, body in _routes(working):
        assert_error(globex.call(method, path, body), 404)
    assert acme.call("GET", f"/v1/messages?session_id={working}").json["items"] == []
