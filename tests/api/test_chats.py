"""A session's chats: listed from wagate's store as messages come and go, changed on WhatsApp
through the session (mark read or unread, archive, pin, mute, clear, delete, chat state),
changed on the phone, and filled from the history WhatsApp sends after pairing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import resources
from tests.conftest import Tenant, assert_error, run_worker, wait_for

ALICE = "14155550111@s.whatsapp.net"
MAX = "4915112345678@s.whatsapp.net"


def _inbound(tenant: Tenant, sid: str, sender: str = "+4915112345678", text: str = "hi",
             push_name: str | None = "Max") -> None:
    response = tenant.call("POST", f"/v1/sandbox/sessions/{sid}/inbound",
                           {"from": sender, "text": text, "push_name": push_name})
    assert response.status_code == 200, response.body


def _chats(tenant: Tenant, sid: str, query: str = "") -> list[dict]:
    response = tenant.call("GET", f"/v1/sessions/{sid}/chats{query}")
    assert response.status_code == 200, response.body
    return response.json["items"]


def _chat(tenant: Tenant, sid: str, chat: str = MAX) -> dict:
    return tenant.call("GET", f"/v1/sessions/{sid}/chats/{chat}").json


def test_chats_follow_messages_in_and_out(acme: Tenant, working: str):
    _inbound(acme, working, text="first")
    _inbound(acme, working, text="second")
    _inbound(acme, working, sender="+14155552671", text="other", push_name=None)
    chats = _chats(acme, working)
    assert [c["id"] for c in chats] == ["14155552671@s.whatsapp.net", MAX]  # newest first
    mine = chats[1]
    assert mine["unread_count"] == 2 and mine["name"] == "Max"
    assert mine["last_message"]["text"] == "second"
    assert mine["last_message"]["direction"] == "inbound"
    assert not mine["archived"] and not mine["pinned"] and not mine["muted"]
    sent = acme.call("POST", "/v1/messages", {"session_id": working, "to": "+4915112345678",
                                              "text": "answer"}).json
    assert run_worker(resources.OUTBOUND) == 1
    chat = wait_for(lambda: (c := _chat(acme, working, "+4915112345678"))["last_message"][
        "direction"] == "outbound" and c)
    assert chat["last_message"]["id"] == sent["id"] and chat["last_message"]["text"] == "answer"
    assert chat["unread_count"] == 2  # sending does not read the chat
    assert _chats(acme, working)[0]["id"] == MAX
    assert [c["id"] for c in _chats(acme, working, "?unread=true")] == [
        MAX, "14155552671@s.whatsapp.net"]
    page = acme.call("GET", f"/v1/sessions/{working}/chats?limit=1").json
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = acme.call("GET", f"/v1/sessions/{working}/chats?limit=1&cursor={page['next_cursor']}")
    assert [c["id"] for c in rest.json["items"]] == ["14155552671@s.whatsapp.net"]


def test_messages_of_a_chat_newest_first_paginated(acme: Tenant, working: str):
    for text in ("one", "two", "three"):
        _inbound(acme, working, text=text)
    _inbound(acme, working, sender="+14155552671", text="elsewhere")
    page = acme.call("GET", f"/v1/sessions/{working}/chats/{MAX}/messages?limit=2").json
    assert [m["text"] for m in page["items"]] == ["three", "two"]
    rest = acme.call("GET", f"/v1/sessions/{working}/chats/%2B4915112345678/messages"
                            f"?cursor={page['next_cursor']}").json
    assert [m["text"] for m in rest["items"]] == ["one"] and rest["next_cursor"] is None
    assert_error(acme.call("GET", f"/v1/sessions/{working}/chats/nonsense/messages"), 422)
    error = acme.call("GET", f"/v1/sessions/{working}/chats/12@x.y/messages").json["error"]
    assert error["details"][0]["field"] == "chat_id"


def test_mark_read_sends_receipts_and_zeroes_unread(acme: Tenant, working: str, host):
    _inbound(acme, working, text="a")
    _inbound(acme, working, text="b")
    response = acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/read")
    assert response.status_code == 200, response.body
    assert response.json["unread_count"] == 0
    read = [a for a in host.engine.actions if a[1] == "read"]
    assert read[-1][2] == MAX and len(read[-1][3]) == 2
    assert _chats(acme, working, "?unread=true") == []


def test_mark_unread_shows_the_chat_unread_until_it_is_read(acme: Tenant, working: str, host):
    _inbound(acme, working)
    acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/read")
    response = acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/unread")
    assert response.status_code == 200, response.body
    assert response.json["unread_count"] == 1
    assert [a[2] for a in host.engine.actions if a[1] == "unread"] == [MAX]
    assert [c["id"] for c in _chats(acme, working, "?unread=true")] == [MAX]
    _inbound(acme, working, text="more")
    assert acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/unread").json[
        "unread_count"] == 2  # already unread: the count stays what it is
    assert acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/read").json[
        "unread_count"] == 0


def test_archive_pin_mute_and_back(acme: Tenant, working: str, host):
    _inbound(acme, working)
    base = f"/v1/sessions/{working}/chats/{MAX}"
    assert acme.call("POST", f"{base}/archive").json["archived"] is True
    assert acme.call("POST", f"{base}/pin").json["pinned"] is True
    until = (datetime.now(UTC) + timedelta(hours=8)).isoformat()
    muted = acme.call("POST", f"{base}/mute", {"until": until}).json
    assert muted["muted"] is True and muted["muted_until"].startswith(until[:16])
    assert [c["id"] for c in _chats(acme, working, "?archived=true&pinned=true")] == [MAX]
    assert _chats(acme, working, "?archived=false") == []
    forever = acme.call("POST", f"{base}/mute", {}).json
    assert forever["muted"] is True and forever["muted_until"] is None
    assert acme.call("POST", f"{base}/unmute").json["muted"] is False
    assert acme.call("POST", f"{base}/unarchive").json["archived"] is False
    assert acme.call("POST", f"{base}/unpin").json["pinned"] is False
    kinds = [a[1] for a in host.engine.actions if a[0] == working]
    assert {"archive", "pin", "mute"} <= set(kinds)


@pytest.mark.parametrize("until", [timedelta(minutes=-1), timedelta(days=400), "tomorrow"],
                         ids=["past", "over-a-year", "not-a-time"])
def test_mute_refuses_a_bad_until(acme: Tenant, working: str, until: timedelta | str):
    if isinstance(until, timedelta):
        until = (datetime.now(UTC) + until).isoformat()
    _inbound(acme, working)
    error = assert_error(acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/mute",
                                   {"until": until}), 422)
    assert error["details"][0]["field"] == "until"
    assert _chat(acme, working)["muted"] is False


def test_clear_keeps_records_but_starts_the_chat_afresh(acme: Tenant, working: str):
    _inbound(acme, working, text="old")
    cleared = acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/clear")
    assert cleared.status_code == 200, cleared.body
    assert cleared.json["last_message"] is None and cleared.json["unread_count"] == 0
    assert acme.call("GET", f"/v1/sessions/{working}/chats/{MAX}/messages").json["items"] == []
    assert [m["text"] for m in acme.call(
        "GET", f"/v1/messages?session_id={working}").json["items"]] == ["old"]
    _inbound(acme, working, text="new")
    assert [m["text"] for m in acme.call(
        "GET", f"/v1/sessions/{working}/chats/{MAX}/messages").json["items"]] == ["new"]


def test_delete_takes_the_chat_off_the_list_until_its_next_message(acme: Tenant, working: str,
                                                                   host):
    _inbound(acme, working, text="old")
    deleted = acme.call("DELETE", f"/v1/sessions/{working}/chats/{MAX}")
    assert deleted.json == {"id": MAX, "deleted": True}
    assert _chats(acme, working) == []
    assert_error(acme.call("GET", f"/v1/sessions/{working}/chats/{MAX}"), 404)
    assert len(acme.call("GET", f"/v1/messages?session_id={working}").json["items"]) == 1
    _inbound(acme, working, text="again")
    again = _chats(acme, working)
    assert [c["id"] for c in again] == [MAX] and again[0]["unread_count"] == 1
    assert [m["text"] for m in acme.call(
        "GET", f"/v1/sessions/{working}/chats/{MAX}/messages").json["items"]] == ["again"]
    assert ("delete_chat" in [a[1] for a in host.engine.actions])


@pytest.mark.parametrize("state", ["typing", "recording", "paused"])
def test_chat_state(acme: Tenant, working: str, host, state: str):
    response = acme.call("POST", f"/v1/sessions/{working}/chats/%2B4915112345678/state",
                         {"state": state})
    assert response.json == {"id": MAX, "done": True}
    assert (working, "chat_state", MAX, state) in host.engine.actions


def test_chat_state_refuses_an_unknown_state(acme: Tenant, working: str):
    error = assert_error(acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/state",
                                   {"state": "dancing"}), 422)
    assert error["details"][0]["field"] == "state"


def test_phone_changes_arrive_and_are_stored(acme: Tenant, working: str):
    _inbound(acme, working)
    played = acme.call("POST", f"/v1/sandbox/sessions/{working}/chats/{MAX}/change",
                       {"archived": True, "pinned": True, "muted_until": "forever",
                        "read": True})
    assert played.status_code == 200, played.body
    chat = _chat(acme, working)
    assert chat["archived"] and chat["pinned"] and chat["muted"] and chat["unread_count"] == 0
    acme.call("POST", f"/v1/sandbox/sessions/{working}/chats/{MAX}/change",
              {"unmuted": True, "read": False, "archived": False})
    chat = _chat(acme, working)
    assert not chat["archived"] and not chat["muted"] and chat["unread_count"] == 1


def test_store_reads_work_when_the_session_is_not_working(acme: Tenant, working: str):
    _inbound(acme, working, text="kept")
    acme.call("POST", f"/v1/sessions/{working}/stop")
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{working}").json["status"] == "STOPPED")
    assert [c["id"] for c in _chats(acme, working)] == [MAX]
    assert _chat(acme, working)["unread_count"] == 1
    assert acme.call("GET", f"/v1/sessions/{working}/chats/{MAX}/messages").status_code == 200
    for path, body in (("read", None), ("archive", None), ("pin", None), ("mute", {}),
                       ("unmute", None), ("clear", None), ("state", {"state": "typing"})):
        assert_error(acme.call("POST", f"/v1/sessions/{working}/chats/{MAX}/{path}", body),
                     409, "session_not_ready")
    assert_error(acme.call("DELETE", f"/v1/sessions/{working}/chats/{MAX}"), 409,
                 "session_not_ready")
    assert _chat(acme, working)["unread_count"] == 1  # nothing changed


def test_history_after_the_first_pairing_within_the_bounds(acme: Tenant, host):
    host.engine.offer_history = True
    host.host._history_bounds = (30, 3)
    sid = acme.call("POST", "/v1/sessions", {"name": "shop"}).json["id"]
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550100"})
    chats = wait_for(lambda: len(c := _chats(acme, sid)) == 3 and c)
    assert [c["id"] for c in chats] == [ALICE, "120363000000000001@g.us",
                                        "14155550122@s.whatsapp.net"]
    alice, group, bob = chats
    assert alice["name"] == "Alice" and alice["unread_count"] == 2
    assert alice["last_message"]["text"] == "In size M?"
    assert group["pinned"] and group["is_group"] and bob["archived"]
    texts = [m["text"] for m in acme.call(
        "GET", f"/v1/sessions/{sid}/chats/{ALICE}/messages").json["items"]]
    assert texts == ["In size M?", "Do you have the blue one?", "Great, see you then"]  # 3 kept
    bob = acme.call(
        "GET", f"/v1/sessions/{sid}/chats/14155550122@s.whatsapp.net/messages").json["items"]
    assert [m["text"] for m in bob] == ["Invoice received"]  # 45 days ago: not kept
    group_messages = acme.call(
        "GET", f"/v1/sessions/{sid}/chats/120363000000000001@g.us/messages").json["items"]
    assert [m["direction"] for m in group_messages] == ["inbound", "outbound", "inbound"]
    assert group_messages[1]["status"] == "sent"
    events = acme.call("GET", "/v1/events?types=message.*").json["items"]
    assert events == []  # history is no news


def test_history_is_stored_once(acme: Tenant, host):
    host.engine.offer_history = True
    sid = acme.call("POST", "/v1/sessions", {"name": "shop"}).json["id"]
    for _ in range(2):  # paired, unlinked on the phone, paired again: the same history
        wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
        acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550100"})
        wait_for(lambda: len(_chats(acme, sid)) == 3)
        acme.call("POST", f"/v1/sandbox/sessions/{sid}/drop", {"logged_out": True})
        acme.call("POST", f"/v1/sessions/{sid}/start")
    listed = acme.call("GET", f"/v1/messages?session_id={sid}&limit=100").json["items"]
    assert len(listed) == 9  # 5 + 1 + 3 within 30 days, each once
