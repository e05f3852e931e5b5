"""The whatsapp-web.js REST wrapper drop-in, ``/chat/*`` (part A's: class info, contact,
typing and recording state, delete) and ``/contact/*``, walked with the document's own sample
bodies (``{"chatId": "6281288888888@c.us"}``, ``{"contactId": "6281288888888@c.us"}``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.dialects.test_wwebjs_session import ALL, paired, refused, ww

SAMPLE = "6281288888888@c.us"  # the document's sample id
MAX = "4915112345678@c.us"


@pytest.fixture
def key(acme: Tenant) -> str:
    return acme.api_key(ALL)


@pytest.fixture
def shop(acme: Tenant, key: str, host: Any) -> str:
    sid = paired(acme, key)
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
              {"from": "+4915112345678", "text": "hi", "push_name": "Max"})
    return sid


def chat(tenant: Tenant, key: str, name: str, chat_id: str = SAMPLE) -> Any:
    return ww(tenant, "POST", f"/chat/{name}/shop", key, {"chatId": chat_id})


def contact(tenant: Tenant, key: str, name: str, contact_id: str = SAMPLE) -> Any:
    return ww(tenant, "POST", f"/contact/{name}/shop", key, {"contactId": contact_id})


def test_chat_class_info_and_contact(acme: Tenant, key: str, shop: str) -> None:
    info = chat(acme, key, "getClassInfo", MAX).json
    assert info["success"] is True and info["chat"]["id"]["_serialized"] == MAX
    assert info["chat"]["lastMessage"]["body"] == "hi"
    refused(chat(acme, key, "getClassInfo"), 404, "Chat not Found")
    person = chat(acme, key, "getContact", MAX).json["contact"]
    assert person["id"]["_serialized"] == MAX and person["pushname"] == "Max"
    group = chat(acme, key, "getContact", "120363000000000001@g.us").json["contact"]
    assert group["isGroup"] is True and group["id"]["server"] == "g.us"
    assert "chatId" in refused(chat(acme, key, "getContact", "nonsense"), 422)


def test_typing_recording_and_clearing_state(acme: Tenant, key: str, shop: str,
                                             host: Any) -> None:
    assert chat(acme, key, "sendStateTyping").json == {"success": True,
                                                      "sendStateTyping": True}
    assert chat(acme, key, "sendStateRecording").json == {"success": True,
                                                         "sendStateRecording": True}
    assert chat(acme, key, "clearState").json == {"success": True, "clearState": True}
    states = [a[3] for a in host.engine.actions if a[1] == "chat_state" and a[0] == shop]
    assert states == ["typing", "recording", "paused"]
    assert "chatId" in refused(ww(acme, "POST", "/chat/sendStateTyping/shop", key, {}), 422)


def test_delete_a_chat(acme: Tenant, key: str, shop: str, host: Any) -> None:
    assert chat(acme, key, "delete", MAX).json == {"success": True, "deleteChat": True}
    refused(chat(acme, key, "getClassInfo", MAX), 404, "Chat not Found")
    assert ww(acme, "GET", "/client/getChats/shop", key).json["chats"] == []
    assert any(a[1] == "delete_chat" and a[2] == "4915112345678@s.whatsapp.net"
               for a in host.engine.actions)


def test_contact_answers_about_a_person(acme: Tenant, key: str, shop: str) -> None:
    info = contact(acme, key, "getClassInfo", MAX).json["result"]
    assert info["id"] == {"server": "c.us", "user": "4915112345678", "_serialized": MAX}
    assert info["pushname"] == "Max"
    stranger = contact(acme, key, "getClassInfo").json["result"]
    assert stranger["number"] == "6281288888888" and stranger["isMyContact"] is False
    assert contact(acme, key, "getFormattedNumber").json == {"success": True,
                                                            "result": "+62 812-8888-8888"}
    assert contact(acme, key, "getCountryCode").json == {"success": True, "result": "62"}
    assert contact(acme, key, "getCountryCode", "+4915112345678").json["result"] == "49"
    about = contact(acme, key, "getAbout", "14155552671@c.us").json
    assert about == {"success": True, "result": "Available"}
    assert contact(acme, key, "getAbout").json == {"success": True, "result": None}
    picture = contact(acme, key, "getProfilePicUrl", "14155552671@c.us").json["result"]
    assert picture.startswith("https://")
    assert contact(acme, key, "getProfilePicUrl").json == {"success": True, "result": None}
    own_chat = contact(acme, key, "getChat", MAX).json["result"]
    assert own_chat["id"]["_serialized"] == MAX and own_chat["unreadCount"] == 1
    fresh = contact(acme, key, "getChat").json["result"]
    assert fresh["id"]["_serialized"] == SAMPLE and "lastMessage" not in fresh
    refused(contact(acme, key, "getAbout", "6281288880000@c.us"), 404)  # not on WhatsApp
    for bad in ("nonsense", "120363000000000001@g.us"):
        assert "contactId" in refused(contact(acme, key, "getClassInfo", bad), 422)


def test_block_and_unblock(acme: Tenant, key: str, shop: str) -> None:
    assert contact(acme, key, "block", MAX).json == {"success": True, "result": True}
    assert contact(acme, key, "getClassInfo", MAX).json["result"]["isBlocked"] is True
    blocked = ww(acme, "POST", "/client/getBlockedContacts/shop", key).json["blockedContacts"]
    assert [b["id"]["_serialized"] for b in blocked] == [MAX]
    assert contact(acme, key, "unblock", MAX).json == {"success": True, "result": True}
    assert contact(acme, key, "getClassInfo", MAX).json["result"]["isBlocked"] is False
    assert ww(acme, "POST", "/client/getBlockedContacts/shop", key).json[
        "blockedContacts"] == []
    reader = acme.api_key(["contacts:read"])
    assert "contacts:write" in refused(contact(acme, reader, "block", MAX), 403)
