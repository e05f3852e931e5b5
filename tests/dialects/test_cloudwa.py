"""CloudWA through ``/compat/cloudwa``: auth v2 (login, user, logout, API keys as Bearer),
Laravel's error bodies, sessions (create with ``webhook_url``, status and QR pairing),
push devices, auto actions, reverse OTPs and the team in the path; the document's own
example requests, with real ids where it prints placeholders."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import bootstrap
from tests.conftest import PASSWORD, Tenant, call, wait_for

BASE = "/compat/cloudwa"
UNAUTHENTICATED = {"message": "Unauthenticated."}
HOOK = "http://127.0.0.1:9/cloudwa"  # the document's bailey.com does not resolve here
# The document's examples, as printed.
DEVICE = {"device_type": "android", "device_token": "AQ-DEVICE-2022",
          "device_name": "AQ Best Device Ever", "notifiable_method": "firebase",
          "notifiable_token": "XXXXAAAAXXXXAAAAXXXX", "enabled": False}
AUTO_ACTION = {"keywords": ["architecto"], "type": "architecto", "lookup": "architecto",
               "message_template_id": 16, "action": "architecto", "allow_groups": False,
               "sessions": ["architecto"]}


def cw(tenant: Tenant, method: str, path: str, key: str | None = None, body: Any = None,
       **kwargs: Any) -> Any:
    """A call to the dialect, with the tenant's login token unless ``key`` is given."""
    return call(tenant.client, method, f"{BASE}{path}", key or tenant.token, body, **kwargs)


def laravel_422(response: Any, *fields: str) -> dict[str, list[str]]:
    """Laravel's validation body, naming ``fields``."""
    assert response.status_code == 422, (response.status_code, response.body)
    assert set(response.json) == {"message", "errors"}
    errors = response.json["errors"]
    for field in fields:
        assert field in errors, errors
        assert all(isinstance(m, str) and m.startswith("The ") for m in errors[field])
    assert response.json["message"].startswith(next(iter(errors.values()))[0])
    return errors


def test_login_gives_a_bearer_token_that_reads_the_user_and_logs_out(acme: Tenant) -> None:
    login = call(acme.client, "POST", f"{BASE}/api/v2/auth/login",
                 body={"username": acme.username, "password": PASSWORD})
    assert login.status_code == 200, login.body
    body = login.json
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 86_400 * 30
    token = body["access_token"]
    assert body["user"]["username"] == acme.username and body["user"]["team_id"] == acme.id
    user = cw(acme, "GET", "/api/v2/auth/user", token)
    assert user.status_code == 200 and user.json == body["user"]
    assert isinstance(user.json["id"], int)
    assert acme.call("GET", "/v1/auth/me").status_code == 200  # a wagate token too
    out = cw(acme, "POST", "/api/v2/auth/logout", token, {"from_all": False})
    assert out.status_code == 200 and out.json == {"message": "Successfully logged out"}
    gone = cw(acme, "GET", "/api/v2/auth/user", token)
    assert (gone.status_code, gone.json) == (401, UNAUTHENTICATED)
    assert acme.call("GET", "/v1/auth/me").status_code == 200  # only that token ended


def test_logout_from_all_ends_every_token_of_the_user(acme: Tenant) -> None:
    member = acme.member()
    other = call(acme.client, "POST", f"{BASE}/api/v2/auth/login",
                 body={"username": member.username, "password": PASSWORD}).json["access_token"]
    assert cw(member, "POST", "/api/v2/auth/logout", None, {"from_all": True}).status_code == 200
    for token in (member.token, other):
        assert cw(member, "GET", "/api/v2/auth/user", token).json == UNAUTHENTICATED


def test_a_wrong_password_and_no_token_are_refused_as_laravel_does(acme: Tenant) -> None:
    wrong = call(acme.client, "POST", f"{BASE}/api/v2/auth/login",
                 body={"username": "whatsapp@aquadic.com", "password": "JamesBond007"})
    assert (wrong.status_code, wrong.json) == (401, UNAUTHENTICATED)
    for path in ("/api/v2/auth/user", "/api/v2/devices", "/api/v2/sessions",
                 f"/api/v3/{acme.id}/otps/shared-numbers"):
        bare = call(acme.client, "GET", f"{BASE}{path}")
        assert (bare.status_code, bare.json) == (401, UNAUTHENTICATED)
        assert cw(acme, "GET", path, "nonsense").json == UNAUTHENTICATED
    laravel_422(call(acme.client, "POST", f"{BASE}/api/v2/auth/login", body={}),
                "username", "password")


def test_any_api_key_is_a_bearer_token_and_its_scopes_hold(acme: Tenant) -> None:
    key = acme.api_key(["sessions:read"])
    assert cw(acme, "GET", "/api/v2/sessions", key).json == []
    refused = cw(acme, "GET", "/api/v2/devices", key)
    assert refused.status_code == 403
    assert refused.json == {"message": "This action is unauthorized (the token lacks "
                                       "devices:write)."}
    user = cw(acme, "GET", "/api/v2/auth/user", key).json
    assert user["username"] == acme.username  # the key's maker
    cannot = cw(acme, "POST", "/api/v2/auth/logout", key, {})
    assert cannot.status_code == 422 and set(cannot.json) == {"message", "errors"}


def test_unknown_routes_and_methods_answer_laravels_bodies(acme: Tenant) -> None:
    missing = cw(acme, "GET", "/api/v2/nothing")
    assert missing.status_code == 404
    assert missing.json == {"message": "The route api/v2/nothing could not be found."}
    wrong = cw(acme, "PUT", "/api/v2/devices")
    assert wrong.status_code == 405 and set(wrong.json) == {"message"}


def test_devices_are_added_updated_by_token_listed_and_deleted(acme: Tenant,
                                                                globex: Tenant) -> None:
    added = cw(acme, "POST", "/api/v2/devices", body=DEVICE)
    assert added.status_code == 200, added.body
    device = added.json
    assert device["id"] == 1 and device["enabled"] is False
    assert {k: device[k] for k in DEVICE if k != "notifiable_token"} == {
        k: v for k, v in DEVICE.items() if k != "notifiable_token"}
    again = cw(acme, "POST", "/api/v2/devices", body={**DEVICE, "enabled": True,
                                                      "device_name": "Renamed"}).json
    assert (again["id"], again["enabled"], again["device_name"]) == (1, True, "Renamed")
    listed = cw(acme, "GET", "/api/v2/devices").json
    assert [d["id"] for d in listed] == [1] and listed[0]["device_name"] == "Renamed"
    assert acme.call("GET", "/v1/devices").json["items"][0]["enabled"] is True
    assert cw(globex, "DELETE", "/api/v2/devices/1").status_code == 404  # not theirs
    laravel_422(cw(acme, "POST", "/api/v2/devices", body={**DEVICE, "device_type": "fax"}),
                "device_type")
    deleted = cw(acme, "DELETE", "/api/v2/devices/1")
    assert deleted.status_code == 200 and deleted.json == {"message": "Device deleted "
                                                                      "successfully"}
    assert cw(acme, "GET", "/api/v2/devices").json == []
    assert cw(acme, "DELETE", "/api/v2/devices/1").status_code == 404
    assert cw(acme, "DELETE", "/api/v2/devices/5").json == {"message": "device not found"}


def test_sessions_are_created_with_a_cloudwa_webhook_and_paired_by_the_status_qr(
        acme: Tenant, host: Any) -> None:
    printed = cw(acme, "POST", "/api/v2/sessions", body={"name": "b",
                                                         "webhook_url": "http://bailey.com/"})
    laravel_422(printed, "name")  # "Must be at least 3 characters"
    created = cw(acme, "POST", "/api/v2/sessions", body={"name": "shop", "webhook_url": HOOK})
    assert created.status_code == 201, created.body
    made = created.json
    assert (made["id"], made["name"], made["webhook_url"]) == (1, "shop", HOOK)
    assert made["webhook_secret"].startswith("whsec_")
    hooks = acme.call("GET", "/v1/webhooks").json["items"]
    assert [(h["format"], h["session_ids"]) for h in hooks] == [("cloudwa", [made["uuid"]])]
    assert sorted(hooks[0]["events"]) == ["message.received", "message.status",
                                          "session.status"]

    def status(**query: str) -> Any:
        text = "&".join(f"{k}={v}" for k, v in query.items())
        return cw(acme, "GET", f"/api/v2/sessions/status?{text}")

    shown = wait_for(lambda: status(session_uuid=made["uuid"]).json.get("qr") and
                     status(session_uuid=made["uuid"]).json)
    assert shown["status"] == "QR" and shown["qr_image"].startswith("data:image/png;base64,")
    acme.call("POST", f"/v1/sandbox/sessions/{made['uuid']}/scan", {"phone": "+14155550100"})
    linked = wait_for(lambda: (s := status(session_uuid="shop", no_action="1").json)
                      ["status"] == "CONNECTED" and s)
    assert (linked["phone"], linked["qr"]) == ("+14155550100", None)
    listed = cw(acme, "GET", "/api/v2/sessions").json
    assert [(s["id"], s["status"], s["webhook_url"]) for s in listed] == [
        (1, "CONNECTED", HOOK)]


def test_status_reads_its_parameters_from_a_json_body_too(acme: Tenant, working: str) -> None:
    # The document sends session_uuid twice: in the query (a placeholder) and in the body.
    shown = cw(acme, "GET", "/api/v2/sessions/status?session_uuid=CLOUD-WA-SESSION-UUID-2022"
               "&no_action=1", body={"session_uuid": working})
    assert shown.status_code == 200, shown.body
    assert (shown.json["uuid"], shown.json["status"]) == (working, "CONNECTED")
    unknown = cw(acme, "GET", "/api/v2/sessions/status?session_uuid=CLOUD-WA-SESSION-UUID-2022")
    assert unknown.status_code == 404 and unknown.json == {"message": "session not found"}
    laravel_422(cw(acme, "GET", "/api/v2/sessions/status"), "session_uuid")


def test_status_that_would_start_a_session_needs_sessions_write(acme: Tenant,
                                                                 host: Any) -> None:
    sid = acme.call("POST", "/v1/sessions", {"name": "idle", "start": False}).json["id"]
    reader = acme.api_key(["sessions:read"])
    refused = cw(acme, "GET", f"/api/v2/sessions/status?session_uuid={sid}", reader)
    assert refused.status_code == 403
    quiet = cw(acme, "GET", f"/api/v2/sessions/status?session_uuid={sid}&no_action=true",
               reader)
    assert (quiet.status_code, quiet.json["status"]) == (200, "DISCONNECTED")
    assert acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "STOPPED"


def test_the_team_in_the_path_must_be_the_callers(acme: Tenant, globex: Tenant) -> None:
    for method, path in (("POST", "otps"), ("GET", "otps/shared-numbers"),
                         ("GET", "otps/ABCDEFGH"), ("POST", "auto-actions")):
        refused = cw(acme, method, f"/api/v3/{globex.id}/{path}", body={})
        assert refused.status_code == 403, (path, refused.body)
        assert refused.json == {"message": "this token does not belong to that team"}


@pytest.fixture
def template(acme: Tenant) -> dict[str, Any]:
    made = acme.call("POST", "/v1/templates", {"name": "hello", "body": "Hi {{name}}!"})
    assert made.status_code == 201, made.body
    return made.json


def test_auto_actions_are_keyword_bots(acme: Tenant, working: str,
                                       template: dict[str, Any]) -> None:
    printed = cw(acme, "POST", f"/api/v3/{acme.id}/auto-actions", body=AUTO_ACTION)
    laravel_422(printed, "type", "lookup", "action")  # the document's placeholders
    template_number = bootstrap.container().alias_service.number(acme.id, "template",
                                                                 template["id"])
    reply = cw(acme, "POST", f"/api/v3/{acme.id}/auto-actions", body={
        **AUTO_ACTION, "type": "REPLY", "lookup": "EXACT", "action": None,
        "keywords": ["hello", "hi"], "message_template_id": template_number,
        "sessions": [working]})
    assert reply.status_code == 201, reply.body
    shown = reply.json
    assert (shown["type"], shown["lookup"], shown["message_template_id"], shown["sessions"],
            shown["keywords"]) == ("REPLY", "EXACT", template_number, [working],
                                   ["hello", "hi"])
    bot = acme.call("GET", f"/v1/bots/{shown['uuid']}").json
    assert (bot["match"], bot["action"]["type"], bot["session_ids"]) == (
        "exact", "reply", [working])
    hook = cw(acme, "POST", f"/api/v3/{acme.id}/auto-actions", body={
        "keywords": ["^order \\d+$"], "type": "webhook", "lookup": "regex",
        "webhook_url": HOOK, "allow_groups": True, "sessions": []})
    assert hook.status_code == 201, hook.body
    assert (hook.json["type"], hook.json["lookup"], hook.json["allow_groups"]) == (
        "WEBHOOK", "REGEX", True)
    assert hook.json["webhook_secret"].startswith("whsec_")
    stop = cw(acme, "POST", f"/api/v3/{acme.id}/auto-actions", body={
        "keywords": ["STOP"], "type": "ACTION", "action": "UNSUBSCRIBE", "allow_groups": False,
        "sessions": []})
    assert (stop.status_code, stop.json["type"], stop.json["action"]) == (
        201, "ACTION", "UNSUBSCRIBE")
    laravel_422(cw(acme, "POST", f"/api/v3/{acme.id}/auto-actions", body={
        "keywords": ["("], "type": "ACTION", "lookup": "REGEX", "action": "SUBSCRIBE",
        "allow_groups": False, "sessions": []}), "keywords.0")
    laravel_422(cw(acme, "POST", f"/api/v3/{acme.id}/auto-actions", body={
        **AUTO_ACTION, "type": "REPLY", "lookup": "EXACT", "action": None,
        "message_template_id": 999, "sessions": []}), "message_template_id")
    laravel_422(cw(acme, "POST", f"/api/v3/{acme.id}/auto-actions", body={
        "keywords": ["x"], "type": "WEBHOOK", "allow_groups": False, "sessions": []}),
        "webhook_url")
    reader = acme.api_key(["bots:read"])
    assert cw(acme, "POST", f"/api/v3/{acme.id}/auto-actions", reader,
              body=AUTO_ACTION).status_code == 403


# Every route that needs a scope, with a body it would take: a key without it gets 403.
SCOPED = [
    ("GET", "/api/v2/devices", None, "devices:write"),
    ("POST", "/api/v2/devices", DEVICE, "devices:write"),
    ("DELETE", "/api/v2/devices/1", None, "devices:write"),
    ("POST", "/api/v3/{team}/auto-actions", AUTO_ACTION, "bots:write"),
    ("GET", "/api/v2/campaigns", None, "campaigns:read"),
    ("POST", "/api/v2/campaigns/details", {"campaign_id": 1}, "campaigns:read"),
    ("POST", "/api/v2/campaigns/update", {"campaign_id": 1, "action": "pause"},
     "campaigns:write"),
    ("POST", "/api/v2/campaigns/messages", {"campaign_id": 1}, "campaigns:read"),
    ("POST", "/api/v2/campaigns/create", {}, "campaigns:write"),
    ("GET", "/api/v2/sessions/chat", {"session_uuid": "shop", "chat_id": "201101782890"},
     "chats:read"),
    ("GET", "/api/v2/sessions/chats", {"session_uuid": "shop"}, "chats:read"),
    ("GET", "/api/v2/sessions/labels", {"session_uuid": "shop"}, "chats:read"),
    ("GET", "/api/v2/sessions/contacts", {"session_uuid": "shop"}, "contacts:read"),
    ("GET", "/api/v2/sessions/check_availability",
     {"session_uuid": "shop", "chat_id": "201101782890"}, "contacts:read"),
    ("GET", "/api/v2/sessions/group_info_from_link",
     {"session_uuid": "shop", "url": "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"},
     "groups:read"),
    ("GET", "/api/v2/messages", {"session_uuid": "shop", "chat_id": "201101782890"},
     "messages:read"),
    ("GET", "/api/v2/messages/show/1", None, "messages:read"),
    ("POST", "/api/v2/messages/send-message", {}, "messages:send"),
    ("GET", "/api/v2/messages/get-media",
     {"session_uuid": "shop", "chat_id": "201101782890", "message_id": "1"}, "messages:read"),
    ("POST", "/api/v2/messages/forward-message", {}, "messages:send"),
    ("POST", "/api/v3/{team}/otps", None, "otp:send"),
    ("GET", "/api/v3/{team}/otps/shared-numbers", None, "otp:send"),
    ("GET", "/api/v3/{team}/otps/ABCDEFGH", None, "otp:verify"),
    ("GET", "/api/v2/sessions", None, "sessions:read"),
    ("POST", "/api/v2/sessions", {"name": "shop"}, "sessions:write"),
    ("GET", "/api/v2/sessions/status", {"session_uuid": "shop"}, "sessions:read"),
]


@pytest.mark.parametrize(("method", "path", "body", "scope"), SCOPED,
                         ids=[f"{m} {p}" for m, p, _, _ in SCOPED])
def test_a_key_without_the_routes_scope_is_refused(acme: Tenant, method: str, path: str,
                                                   body: Any, scope: str) -> None:
    key = acme.api_key(["events:read"])
    refused = cw(acme, method, path.format(team=acme.id), key, body)
    assert refused.status_code == 403, refused.body
    assert refused.json == {"message": f"This action is unauthorized (the token lacks "
                                       f"{scope})."}


# Bad input on every route that takes some: Laravel's 422 naming the field.
BAD = [
    ("POST", "/api/v2/auth/logout", {"from_all": "maybe"}, "from_all"),
    ("POST", "/api/v2/devices", {**DEVICE, "enabled": "perhaps"}, "enabled"),
    ("POST", "/api/v3/{team}/auto-actions", {**AUTO_ACTION, "keywords": []}, "keywords"),
    ("POST", "/api/v2/campaigns/details", {"campaign_id": 0}, "campaign_id"),
    ("POST", "/api/v2/campaigns/update", {"campaign_id": "x", "action": "pause"},
     "campaign_id"),
    ("POST", "/api/v2/campaigns/messages", {}, "campaign_id"),
    ("POST", "/api/v2/campaigns/create", {"name": "x"}, "phones"),
    ("GET", "/api/v2/sessions/chat", {"session_uuid": "abc"}, "session_uuid"),
    ("GET", "/api/v2/sessions/chats", {"session_uuid": "shop", "direction": "sideways"},
     "direction"),
    ("GET", "/api/v2/sessions/labels", {}, "session_uuid"),
    ("GET", "/api/v2/sessions/contacts", {}, "session_uuid"),
    ("GET", "/api/v2/sessions/check_availability", {"session_uuid": "shop"}, "chat_id"),
    ("GET", "/api/v2/sessions/group_info_from_link", {"session_uuid": "shop"}, "url"),
    ("GET", "/api/v2/messages", {"session_uuid": "shop", "chat_id": "201101782890",
                                 "direction": "sideways"}, "direction"),
    ("POST", "/api/v2/messages/send-message", {"type": "TEXT"}, "chat_id"),
    ("GET", "/api/v2/messages/get-media", {"session_uuid": "shop", "chat_id": "2011017"},
     "message_id"),
    ("POST", "/api/v2/messages/forward-message", {"session_uuid": "shop"}, "message_id"),
    ("POST", "/api/v3/{team}/otps", {"phone": "12"}, "phone"),
    ("POST", "/api/v2/sessions", {"name": "x" * 200}, "name"),
    ("GET", "/api/v2/sessions/status", {"session_uuid": "shop", "no_action": "often"},
     "no_action"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD,
                         ids=[f"{m} {p}" for m, p, _, _ in BAD])
def test_bad_input_is_laravels_422_and_changes_nothing(acme: Tenant, working: str,
                                                        method: str, path: str, body: Any,
                                                        field: str) -> None:
    before = _stored(acme)
    laravel_422(cw(acme, method, path.format(team=acme.id), body=body), field)
    assert _stored(acme) == before


def _stored(acme: Tenant) -> list[list[str]]:
    """The ids of what the tenant has stored: messages, devices, campaigns, bots, sessions,
    webhooks."""
    return [[item["id"] for item in acme.call("GET", f"/v1/{kind}?limit=100").json["items"]]
            for kind in ("messages", "devices", "campaigns", "bots", "sessions", "webhooks")]
