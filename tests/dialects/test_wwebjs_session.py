"""The whatsapp-web.js REST wrapper drop-in, its sessions: ``/ping``, ``/session/*`` (start by
a name the client chooses, status, QR as JSON and PNG, restart, terminate, terminate inactive
and all), keys and names refused in the wrapper's words. The helpers here serve the other
``test_wwebjs_*`` modules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant, call, wait_for

ALL = ["sessions:read", "sessions:write", "chats:read", "chats:write", "contacts:read",
       "contacts:write", "profile:read", "profile:write"]
# The document's own (and the wrapper's swagger) paths of part A, with the wrapper's methods.
PART_A = [
    ("GET", "/ping"), ("POST", "/localCallbackExample"),
    ("GET", "/session/start/{sessionId}"), ("GET", "/session/status/{sessionId}"),
    ("GET", "/session/qr/{sessionId}"), ("GET", "/session/qr/{sessionId}/image"),
    ("GET", "/session/restart/{sessionId}"), ("GET", "/session/terminate/{sessionId}"),
    ("GET", "/session/terminateInactive"), ("GET", "/session/terminateAll"),
    *[("GET", f"/client/{name}/{{sessionId}}") for name in (
        "getClassInfo", "getChats", "getContacts", "getState", "getWWebVersion")],
    *[("POST", f"/client/{name}/{{sessionId}}") for name in (
        "archiveChat", "getBlockedContacts", "getChatById", "getChatLabels",
        "getChatsByLabelId", "getContactById", "getLabelById", "getLabels",
        "addOrRemoveLabels", "getNumberId", "isRegisteredUser", "getProfilePicUrl",
        "markChatUnread", "muteChat", "pinChat", "sendPresenceAvailable",
        "sendPresenceUnavailable", "sendSeen", "setDisplayName", "setProfilePicture",
        "setStatus", "unarchiveChat", "unmuteChat", "unpinChat")],
    *[("POST", f"/chat/{name}/{{sessionId}}") for name in (
        "getClassInfo", "clearState", "delete", "getContact", "sendStateRecording",
        "sendStateTyping")],
    *[("POST", f"/contact/{name}/{{sessionId}}") for name in (
        "getClassInfo", "block", "getAbout", "getChat", "unblock", "getFormattedNumber",
        "getCountryCode", "getProfilePicUrl")],
]


def ww(tenant: Tenant, method: str, path: str, key: str | None, body: Any = None,
       headers: dict[str, str] | None = None) -> Any:
    """A call to the dialect as the wrapper's clients make it (``x-api-key``)."""
    sent = {**({"x-api-key": key} if key else {}), **(headers or {})}
    return call(tenant.client, method, f"/compat/wwebjs{path}", None, body, headers=sent)


def refused(response: Any, status: int, error: str | None = None) -> str:
    """The wrapper's error shape with this status (and message)."""
    assert response.status_code == status, (response.status_code, response.body)
    assert set(response.json) == {"success", "error"} and response.json["success"] is False
    if error is not None:
        assert response.json["error"] == error, response.json
    return str(response.json["error"])


def session_id(tenant: Tenant, name: str) -> str:
    """The wagate id of the tenant's session with that name."""
    return next(s["id"] for s in tenant.call("GET", "/v1/sessions").json["items"]
                if s["name"] == name)


def paired(tenant: Tenant, key: str, name: str = "shop", phone: str = "+14155550100") -> str:
    """Start the session by name through the dialect, wait for its QR code, scan it with the
    sandbox phone, and wait until the wrapper's status says connected; its wagate id."""
    started = ww(tenant, "GET", f"/session/start/{name}", key)
    assert started.json == {"success": True, "message": "Session initiated successfully"}
    qr = wait_for(lambda: ww(tenant, "GET", f"/session/qr/{name}", key).json.get("qr"))
    assert qr.startswith("2@")
    sid = session_id(tenant, name)
    scanned = tenant.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": phone})
    assert scanned.status_code == 200, scanned.body
    wait_for(lambda: ww(tenant, "GET", f"/session/status/{name}", key).json["success"])
    return sid


@pytest.fixture
def key(acme: Tenant) -> str:
    return acme.api_key(ALL)


def test_ping_answers_pong_without_a_key(client: Any, acme: Tenant) -> None:
    assert ww(acme, "GET", "/ping", None).json == {"success": True, "message": "pong"}


def test_the_document_paths_are_served_with_the_wrappers_methods(acme: Tenant) -> None:
    document = ww(acme, "GET", "/openapi.json", None).json
    served = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert set(PART_A) <= served
    wrong = ww(acme, "POST", "/client/getChats/shop", acme.api_key(ALL))
    refused(wrong, 405)


def test_a_session_started_by_name_pairs_by_its_qr_and_says_connected(
        acme: Tenant, key: str, host: Any) -> None:
    assert ww(acme, "GET", "/session/status/shop", key).json == {
        "success": False, "state": None, "message": "session_not_found"}
    started = ww(acme, "GET", "/session/start/shop", key)
    assert started.status_code == 200
    assert started.json == {"success": True, "message": "Session initiated successfully"}
    qr = wait_for(lambda: ww(acme, "GET", "/session/qr/shop", key).json.get("qr"))
    waiting = ww(acme, "GET", "/session/status/shop", key).json
    assert waiting == {"success": False, "state": "UNPAIRED", "message": "session_not_connected"}
    image = ww(acme, "GET", "/session/qr/shop/image", key, headers={"Accept": "image/png"})
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    assert image.body[:8] == b"\x89PNG\r\n\x1a\n"
    assert qr.startswith("2@")
    refused(ww(acme, "POST", "/client/getChats/shop", key), 405)
    refused(ww(acme, "GET", "/client/getChats/shop", key), 404, "session_not_connected")
    assert ww(acme, "GET", "/client/getState/shop", key).json == {"success": True,
                                                                  "state": "UNPAIRED"}
    sid = session_id(acme, "shop")
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550100"})
    wait_for(lambda: ww(acme, "GET", "/session/status/shop", key).json == {
        "success": True, "state": "CONNECTED", "message": "session_connected"})
    assert ww(acme, "GET", "/session/qr/shop", key).json == {
        "success": False, "message": "qr code not ready or already scanned"}
    assert ww(acme, "GET", "/client/getState/shop", key).json == {"success": True,
                                                                  "state": "CONNECTED"}
    again = ww(acme, "GET", "/session/start/shop", key)
    refused(again, 422, "Session already exists for: shop")
    by_id = ww(acme, "GET", f"/session/status/{sid}", key).json
    assert by_id["state"] == "CONNECTED"  # its wagate id names it too
    assert [s["name"] for s in acme.call("GET", "/v1/sessions").json["items"]] == ["shop"]


def test_keys_and_names_are_refused_in_the_wrappers_words(acme: Tenant, key: str) -> None:
    for bad in (None, "nonsense", f"{key}x"):
        refused(ww(acme, "GET", "/session/start/shop", bad), 403, "Invalid API key")
    reader = acme.api_key(["sessions:read"])
    error = refused(ww(acme, "GET", "/session/start/shop", reader), 403)
    assert "sessions:write" in error
    refused(ww(acme, "GET", "/session/start/bad%20name", key), 422,
            "Session should be alphanumerical or -")
    refused(ww(acme, "GET", "/client/getChats/caf%C3%A9", key), 422,
            "Session should be alphanumerical or -")
    assert "100" in refused(ww(acme, "GET", f"/session/start/{'x' * 101}", key), 422)
    assert acme.call("GET", "/v1/sessions").json["items"] == []
    refused(ww(acme, "GET", "/nowhere", key), 404)


def test_a_session_nobody_has_is_answered_as_the_wrapper_does(acme: Tenant, key: str) -> None:
    missing = {"success": False, "state": None, "message": "session_not_found"}
    for action in ("status", "restart", "terminate"):
        answer = ww(acme, "GET", f"/session/{action}/nobody", key)
        assert answer.status_code == 200 and answer.json == missing
    for path in ("/session/qr/nobody", "/session/qr/nobody/image"):
        assert ww(acme, "GET", path, key).json == {"success": False,
                                                   "message": "session_not_found"}
    refused(ww(acme, "GET", "/client/getState/nobody", key), 404, "session_not_found")
    refused(ww(acme, "GET", "/client/getChats/nobody", key), 404, "session_not_found")
    refused(ww(acme, "POST", "/chat/delete/nobody", key, {"chatId": "6281288888888@c.us"}),
            404, "session_not_found")


def test_another_tenants_session_is_one_nobody_has(acme: Tenant, globex: Tenant, key: str,
                                                   host: Any) -> None:
    paired(acme, key)
    theirs = globex.api_key(ALL)
    assert ww(globex, "GET", "/session/status/shop", theirs).json["message"] == \
        "session_not_found"
    sid = session_id(acme, "shop")
    for ref in ("shop", sid, "14155550100"):
        refused(ww(globex, "GET", f"/client/getChats/{ref}", theirs), 404, "session_not_found")
        assert ww(globex, "GET", f"/session/terminate/{ref}", theirs).json["success"] is False
    assert ww(globex, "GET", "/session/terminateAll", theirs).json["success"] is True
    assert ww(acme, "GET", "/session/status/shop", key).json["state"] == "CONNECTED"


def test_restart_and_terminate(acme: Tenant, key: str, host: Any) -> None:
    paired(acme, key)
    restarted = ww(acme, "GET", "/session/restart/shop", key)
    assert restarted.json == {"success": True, "message": "Restarted successfully"}
    wait_for(lambda: ww(acme, "GET", "/session/status/shop", key).json["success"])
    terminated = ww(acme, "GET", "/session/terminate/shop", key)
    assert terminated.json == {"success": True, "message": "Logged out successfully"}
    assert acme.call("GET", "/v1/sessions").json["items"] == []
    assert ww(acme, "GET", "/session/status/shop", key).json["message"] == "session_not_found"
    assert ww(acme, "GET", "/session/start/shop", key).json["success"] is True  # a new one


def test_terminate_inactive_then_all(acme: Tenant, globex: Tenant, key: str,
                                     host: Any) -> None:
    paired(acme, key, "shop")
    assert ww(acme, "GET", "/session/start/idle", key).json["success"] is True
    theirs = globex.api_key(ALL)
    assert ww(globex, "GET", "/session/start/other", theirs).json["success"] is True
    flushed = ww(acme, "GET", "/session/terminateInactive", key)
    assert flushed.json == {"success": True, "message": "Flush completed successfully"}
    assert [s["name"] for s in acme.call("GET", "/v1/sessions").json["items"]] == ["shop"]
    assert ww(acme, "GET", "/session/terminateAll", key).json["success"] is True
    assert acme.call("GET", "/v1/sessions").json["items"] == []
    assert [s["name"] for s in globex.call("GET", "/v1/sessions").json["items"]] == ["other"]


def test_a_stopped_session_is_started_again(acme: Tenant, key: str, host: Any) -> None:
    sid = paired(acme, key)
    acme.call("POST", f"/v1/sessions/{sid}/stop")
    assert ww(acme, "GET", "/session/status/shop", key).json["state"] == "UNLAUNCHED"
    assert ww(acme, "GET", "/session/start/shop", key).json["success"] is True
    wait_for(lambda: ww(acme, "GET", "/session/status/shop", key).json["success"])


def test_the_callback_example_takes_a_callback_body(acme: Tenant, key: str) -> None:
    answer = ww(acme, "POST", "/localCallbackExample", key,
                {"dataType": "qr", "data": {"qr": "2@abc"}, "sessionId": "shop"})
    assert answer.status_code == 200 and answer.json == {"success": True}
    refused(ww(acme, "POST", "/localCallbackExample", None, {}), 403, "Invalid API key")
    refused(ww(acme, "POST", "/localCallbackExample", key, {"data": "x"}), 422)
