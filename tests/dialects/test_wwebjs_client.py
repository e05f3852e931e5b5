"""The whatsapp-web.js REST wrapper drop-in, ``/client/*`` (part A): the account, chats and
contacts as whatsapp-web.js serializes them, chat changes, numbers, presence and profile, and
labels; every route behind the wrapper's session guard. Request bodies are the document's
own samples where it prints them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.dialects.test_wwebjs_session import ALL, PART_A, paired, refused, ww

MAX = "4915112345678@c.us"
SAMPLE = "6281288888888"  # the document's number
# The document's setProfilePicture sample, as printed (a space where its renderer broke it).
PICTURE = ("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAIAQMAAAD+wSzIAAAABlBMVEX +/v7+jQ3Y5AAAADklEQVQI12P4AIX8"
           "EAgALgAD/aNpbtEAAAAASUVORK5CYII=")
BODY = {"chatId": MAX, "contactId": MAX, "labelId": "1", "number": SAMPLE, "labelIds": [],
        "chatIds": [], "displayName": "Shop", "status": "Open", "pictureMimetype": "image/png",
        "pictureData": PICTURE}


@pytest.fixture
def key(acme: Tenant) -> str:
    return acme.api_key(ALL)


@pytest.fixture
def shop(acme: Tenant, key: str, host: Any) -> str:
    """Session "shop", paired through the dialect, with a message from Max."""
    sid = paired(acme, key)
    sent = acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
                     {"from": "+4915112345678", "text": "hi", "push_name": "Max"})
    assert sent.status_code == 200, sent.body
    return sid


def client(tenant: Tenant, key: str, name: str, body: Any = None, method: str = "POST",
           session: str = "shop") -> Any:
    return ww(tenant, method, f"/client/{name}/{session}", key, body)


def chat(tenant: Tenant, key: str, chat_id: str = MAX) -> dict[str, Any]:
    answer = client(tenant, key, "getChatById", {"chatId": chat_id})
    assert answer.status_code == 200, answer.body
    return dict(answer.json["chat"])


def test_class_info_and_version(acme: Tenant, key: str, shop: str) -> None:
    info = client(acme, key, "getClassInfo", method="GET").json
    me = {"server": "c.us", "user": "14155550100", "_serialized": "14155550100@c.us"}
    assert info["success"] is True and info["sessionInfo"]["wid"] == me
    assert info["sessionInfo"]["me"] == me and info["sessionInfo"]["pushname"]
    version = client(acme, key, "getWWebVersion", method="GET").json
    assert version["success"] is True and version["result"].startswith("2.")


def test_chats_are_whatsapp_web_js_chats(acme: Tenant, key: str, shop: str) -> None:
    chats = client(acme, key, "getChats", method="GET").json["chats"]
    assert len(chats) == 1
    got = chats[0]
    assert got["id"] == {"server": "c.us", "user": "4915112345678", "_serialized": MAX}
    assert {k: got[k] for k in ("isGroup", "isReadOnly", "unreadCount", "archived", "pinned",
                                "isMuted", "muteExpiration")} == {
        "isGroup": False, "isReadOnly": False, "unreadCount": 1, "archived": False,
        "pinned": False, "isMuted": False, "muteExpiration": 0}
    assert isinstance(got["timestamp"], int) and got["name"]
    last = got["lastMessage"]
    assert last["body"] == "hi" and last["type"] == "chat" and last["fromMe"] is False
    assert last["from"] == MAX and last["to"] == "14155550100@c.us"
    for form in (MAX, "+4915112345678", "4915112345678", "4915112345678@s.whatsapp.net"):
        assert chat(acme, key, form) == got
    refused(client(acme, key, "getChatById", {"chatId": f"{SAMPLE}@c.us"}), 404,
            "Chat not Found")
    assert "chatId" in refused(client(acme, key, "getChatById", {"chatId": "nonsense"}), 422)
    assert "chatId" in refused(client(acme, key, "getChatById", {}), 422)
    refused(client(acme, key, "getChatById", "not json"), 400)


def test_chat_changes_through_the_wrapper(acme: Tenant, key: str, shop: str,
                                          host: Any) -> None:
    assert client(acme, key, "archiveChat", {"chatId": MAX}).json == {"success": True,
                                                                      "result": True}
    assert chat(acme, key)["archived"] is True
    assert client(acme, key, "unarchiveChat", {"chatId": MAX}).json["result"] is False
    assert client(acme, key, "pinChat", {"chatId": MAX}).json["result"] is True
    assert chat(acme, key)["pinned"] is True
    assert client(acme, key, "unpinChat", {"chatId": MAX}).json["result"] is False
    forever = client(acme, key, "muteChat", {"chatId": MAX, "unmuteDate": ""}).json
    assert forever == {"success": True, "mute": {"isMuted": True, "muteExpiration": -1}}
    until = datetime.now(UTC) + timedelta(hours=8)
    muted = client(acme, key, "muteChat", {"chatId": MAX, "unmuteDate": until.isoformat()})
    assert muted.json["mute"]["muteExpiration"] == int(until.timestamp())
    in_seconds = client(acme, key, "muteChat",
                        {"chatId": MAX, "unmuteDate": int(until.timestamp())}).json
    assert in_seconds["mute"]["muteExpiration"] == int(until.timestamp())
    for bad in ("tomorrow", (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                "9999999999999999", 99999999999):
        error = refused(client(acme, key, "muteChat", {"chatId": MAX, "unmuteDate": bad}), 422)
        assert "unmuteDate" in error
    assert chat(acme, key)["isMuted"] is True
    unmuted = client(acme, key, "unmuteChat", {"chatId": MAX}).json
    assert unmuted == {"success": True, "result": {"isMuted": False, "muteExpiration": 0}}
    assert client(acme, key, "sendSeen", {"chatId": MAX}).json["result"] is True
    assert chat(acme, key)["unreadCount"] == 0
    assert client(acme, key, "markChatUnread", {"chatId": MAX}).json == {"success": True}
    assert chat(acme, key)["unreadCount"] == 1
    kinds = [a[1] for a in host.engine.actions if a[0] == shop]
    assert {"archive", "pin", "mute", "read", "unread"} <= set(kinds)


def test_contacts_are_whatsapp_web_js_contacts(acme: Tenant, key: str, shop: str) -> None:
    contacts = client(acme, key, "getContacts", method="GET").json["contacts"]
    max_ = next(c for c in contacts if c["id"]["_serialized"] == MAX)
    assert max_["pushname"] == "Max" and max_["number"] == "4915112345678"
    assert {k: max_[k] for k in ("isUser", "isGroup", "isMe", "isBlocked", "isMyContact",
                                 "type")} == {
        "isUser": True, "isGroup": False, "isMe": False, "isBlocked": False,
        "isMyContact": False, "type": "in"}
    assert client(acme, key, "getContactById", {"contactId": MAX}).json["contact"] == max_
    stranger = client(acme, key, "getContactById", {"contactId": SAMPLE}).json["contact"]
    assert stranger["id"]["_serialized"] == f"{SAMPLE}@c.us" and stranger["pushname"] is None
    group = client(acme, key, "getContactById", {"contactId": "120363000000000001@g.us"})
    assert group.json["contact"]["isGroup"] is True  # whatsapp-web.js has group contacts too
    assert "contactId" in refused(client(acme, key, "getContactById", {"contactId": "x"}), 422)
    assert client(acme, key, "getBlockedContacts").json == {"success": True,
                                                            "blockedContacts": []}
    assert ww(acme, "POST", "/contact/block/shop", key, {"contactId": MAX}).json["result"]
    blocked = client(acme, key, "getBlockedContacts").json["blockedContacts"]
    assert [(b["id"]["_serialized"], b["isBlocked"]) for b in blocked] == [(MAX, True)]


def test_numbers_are_checked_on_whatsapp(acme: Tenant, key: str, shop: str) -> None:
    found = client(acme, key, "getNumberId", {"number": SAMPLE}).json
    assert found == {"success": True, "result": {"server": "c.us", "user": SAMPLE,
                                                 "_serialized": f"{SAMPLE}@c.us"}}
    for form in (f"{SAMPLE}@c.us", f"+{SAMPLE}"):
        assert client(acme, key, "isRegisteredUser", {"number": form}).json == {
            "success": True, "result": True}
    assert client(acme, key, "getNumberId", {"number": "6281288880000"}).json == {
        "success": True, "result": None}
    assert client(acme, key, "isRegisteredUser", {"number": "6281288880000"}).json[
        "result"] is False
    assert "number" in refused(client(acme, key, "isRegisteredUser", {"number": "x"}), 422)


def test_presence_and_profile(acme: Tenant, key: str, shop: str, host: Any) -> None:
    for name in ("sendPresenceAvailable", "sendPresenceUnavailable"):
        assert client(acme, key, name).json == {"success": True}
    assert client(acme, key, "setDisplayName", {"displayName": "Acme Shop"}).json == {
        "success": True, "result": True}
    assert client(acme, key, "setStatus", {"status": "I'm running WhatsApp Web Api"}).json == {
        "success": True}
    profile = acme.call("GET", f"/v1/sessions/{shop}/profile").json
    assert profile["name"] == "Acme Shop" and profile["about"] == "I'm running WhatsApp Web Api"
    set_picture = client(acme, key, "setProfilePicture",
                         {"pictureMimetype": "image/png", "pictureData": PICTURE})
    assert set_picture.json == {"success": True, "result": True}, set_picture.body
    assert "pictureData" in refused(client(acme, key, "setProfilePicture", {
        "pictureMimetype": "image/png", "pictureData": "bm90IGFuIGltYWdl"}), 422)
    assert "displayName" in refused(client(acme, key, "setDisplayName", {}), 422)
    with_picture = client(acme, key, "getProfilePicUrl", {"contactId": "14155552671@c.us"}).json
    assert with_picture["result"].startswith("https://")
    assert client(acme, key, "getProfilePicUrl", {"contactId": f"{SAMPLE}@c.us"}).json == {
        "success": True}  # none: the wrapper's result is left out


def _label(acme: Tenant, sid: str, name: str, color: int) -> str:
    made = acme.call("POST", f"/v1/sessions/{sid}/labels", {"name": name, "color": color})
    assert made.status_code == 201, made.body
    return str(made.json["id"])


def test_labels_and_the_chats_that_carry_them(acme: Tenant, key: str, shop: str) -> None:
    vip, new = _label(acme, shop, "VIP", 1), _label(acme, shop, "New", 0)
    labels = client(acme, key, "getLabels").json["labels"]
    assert sorted(labels, key=lambda x: x["name"]) == [
        {"id": new, "name": "New", "hexColor": "#ff9485"},
        {"id": vip, "name": "VIP", "hexColor": "#64c4ff"}]
    assert client(acme, key, "getLabelById", {"labelId": vip}).json["label"]["name"] == "VIP"
    refused(client(acme, key, "getLabelById", {"labelId": "999"}), 404, "Label not Found")
    assert client(acme, key, "addOrRemoveLabels", {"labelIds": [], "chatIds": []}).json == {
        "success": True}  # the document's sample: nothing to change
    assert client(acme, key, "addOrRemoveLabels",
                  {"labelIds": [vip, int(new)], "chatIds": [MAX]}).json == {"success": True}
    on_chat = client(acme, key, "getChatLabels", {"chatId": MAX}).json["chatLabels"]
    assert sorted(x["id"] for x in on_chat) == sorted([vip, new])
    by_label = client(acme, key, "getChatsByLabelId", {"labelId": vip}).json["chats"]
    assert [c["id"]["_serialized"] for c in by_label] == [MAX]
    client(acme, key, "addOrRemoveLabels", {"labelIds": [new], "chatIds": [MAX]})
    assert [x["id"] for x in client(acme, key, "getChatLabels", {"chatId": MAX}).json[
        "chatLabels"]] == [new]
    assert client(acme, key, "getChatsByLabelId", {"labelId": vip}).json["chats"] == []
    refused(client(acme, key, "addOrRemoveLabels", {"labelIds": ["999"], "chatIds": [MAX]}),
            404, "Label not Found")
    assert "chatIds[0]" in refused(client(acme, key, "addOrRemoveLabels",
                                          {"labelIds": [vip], "chatIds": ["nonsense"]}), 422)
    assert [x["id"] for x in client(acme, key, "getChatLabels", {"chatId": MAX}).json[
        "chatLabels"]] == [new]  # the refused calls changed nothing
    client(acme, key, "addOrRemoveLabels", {"labelIds": [], "chatIds": [MAX]})
    assert client(acme, key, "getChatLabels", {"chatId": MAX}).json["chatLabels"] == []
    refused(client(acme, key, "getChatLabels", {"chatId": f"{SAMPLE}@c.us"}), 404,
            "Chat not Found")


def test_a_key_without_the_scope_gets_the_wrappers_403(acme: Tenant, key: str,
                                                      shop: str) -> None:
    reader = acme.api_key(["sessions:read"])
    assert "chats:write" in refused(client(acme, reader, "archiveChat", {"chatId": MAX}), 403)
    assert "profile:write" in refused(client(acme, reader, "setDisplayName",
                                             {"displayName": "x"}), 403)
    assert "contacts:read" in refused(client(acme, reader, "getContacts", method="GET"), 403)
    assert chat(acme, key)["archived"] is False


SESSION_ROUTES = [(m, p) for m, p in PART_A
                  if p.startswith(("/client/", "/chat/", "/contact/"))]


def test_every_route_guards_the_session(acme: Tenant, globex: Tenant, key: str, shop: str,
                                        host: Any) -> None:
    """A session that is not connected is the wrapper's 404 ``session_not_connected`` (but
    getState), another tenant's is one nobody has: 404 ``session_not_found``."""
    assert ww(acme, "GET", "/session/start/idle", key).json["success"] is True
    theirs = globex.api_key(ALL)
    for method, path in SESSION_ROUTES:
        body = BODY if method == "POST" else None
        if not path.startswith("/client/getState/"):
            refused(ww(acme, method, path.replace("{sessionId}", "idle"), key, body), 404,
                    "session_not_connected")
        refused(ww(globex, method, path.replace("{sessionId}", "shop"), theirs, body), 404,
                "session_not_found")
    assert chat(acme, key)["archived"] is False
