"""The whatsapp-web.js REST wrapper's groups through ``/compat/wwebjs``: ``groupChat/*`` and
``client/createGroup|getCommonGroups|getInviteInfo|acceptInvite``, with whatsapp-web.js's
``GroupChat`` shape, on the sandbox (live, through the session's host)."""

from __future__ import annotations

import base64
from typing import Any

from tests.conftest import Tenant, wait_for
from tests.dialects.test_wwebjs_messages import SID, failed, ok, ww

ME = "14155550100@c.us"  # the ``working`` session's number
ANA, BEN, GONE = "4915112345678@c.us", "447911123456@c.us", "14155550000@c.us"  # GONE: not
# on WhatsApp
ALL = ["groups:read", "groups:write"]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 \
    + b"\xff\xd9"


def create(tenant: Tenant, key: str, name: str = "Team",
           people: list[str] | None = None) -> dict[str, Any]:
    return ok(ww(tenant, f"/client/createGroup/{SID}", key,
                 {"name": name, "participants": [ANA] if people is None else people}))[
        "response"]


def group(tenant: Tenant, key: str, gid: str) -> dict[str, Any]:
    return ok(ww(tenant, f"/groupChat/getClassInfo/{SID}", key, {"chatId": gid}))["chat"]


def roles(chat: dict[str, Any]) -> dict[str, tuple[bool, bool]]:
    return {p["id"]["_serialized"]: (p["isAdmin"], p["isSuperAdmin"])
            for p in chat["groupMetadata"]["participants"]}


def test_create_a_group_and_read_it_as_a_group_chat(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    made = create(acme, key, "Team", [ANA, "+447911123456", GONE])
    gid = made["gid"]["_serialized"]
    assert gid.endswith("@g.us") and made["gid"]["server"] == "g.us"
    assert made["title"] == "Team"
    assert {k: v["statusCode"] for k, v in made["participants"].items()} == {
        ANA: 200, BEN: 200, GONE: 404}
    chat = group(acme, key, gid)
    assert (chat["id"]["_serialized"], chat["name"], chat["isGroup"]) == (gid, "Team", True)
    meta = chat["groupMetadata"]
    assert (meta["subject"], meta["owner"]["_serialized"], meta["size"]) == ("Team", ME, 3)
    assert roles(chat) == {ME: (True, True), ANA: (False, False), BEN: (False, False)}
    # The document's sample names a person's chat: the wrapper's "not a group".
    assert failed(ww(acme, f"/groupChat/getClassInfo/{SID}", key,
                     {"chatId": "6281288888888@c.us"}), 422) == "The chat is not a group"
    failed(ww(acme, f"/client/createGroup/{SID}", key, {"participants": [ANA]}), 422)
    failed(ww(acme, f"/client/createGroup/{SID}", key, {"name": "x", "participants": ["no"]}),
           422)
    failed(ww(acme, f"/client/createGroup/{SID}", acme.api_key(["groups:read"]),
              {"name": "x"}), 403)


def test_participants_are_added_promoted_demoted_and_removed(acme: Tenant,
                                                             working: str) -> None:
    key = acme.api_key(ALL)
    gid = create(acme, key)["gid"]["_serialized"]
    path = "/groupChat/{}Participants/" + SID
    added = ok(ww(acme, path.format("add"), key, {"chatId": gid, "contactIds": [BEN]}))
    assert {p["id"]["_serialized"] for p in added["participants"]} == {ME, ANA, BEN}
    promoted = ok(ww(acme, path.format("promote"), key, {"chatId": gid, "contactIds": [BEN]}))
    assert {p["id"]["_serialized"]: p["isAdmin"] for p in promoted["participants"]}[BEN]
    demoted = ok(ww(acme, path.format("demote"), key, {"chatId": gid, "contactIds": BEN}))
    assert not {p["id"]["_serialized"]: p["isAdmin"] for p in demoted["participants"]}[BEN]
    removed = ok(ww(acme, path.format("remove"), key, {"chatId": gid, "contactIds": [ANA]}))
    assert {p["id"]["_serialized"] for p in removed["participants"]} == {ME, BEN}
    # The document's sample sends only chatId: whom to add is missing.
    assert "contactIds" in failed(ww(acme, path.format("add"), key, {"chatId": gid}), 422)
    failed(ww(acme, path.format("add"), key, {"chatId": gid, "contactIds": ["x@g.us"]}), 422)
    failed(ww(acme, path.format("add"), acme.api_key(["groups:read"]),
              {"chatId": gid, "contactIds": [ANA]}), 403)


def test_subject_description_settings_and_picture(acme: Tenant, working: str) -> None:
    key = acme.api_key(ALL)
    gid = create(acme, key)["gid"]["_serialized"]
    renamed = ok(ww(acme, f"/groupChat/setSubject/{SID}", key,
                    {"chatId": gid, "subject": "Night shift"}))["chat"]
    assert (renamed["name"], renamed["groupMetadata"]["subject"]) == ("Night shift",) * 2
    described = ok(ww(acme, f"/groupChat/setDescription/{SID}", key,
                      {"chatId": gid, "description": "Who works when"}))["chat"]
    assert described["groupMetadata"]["desc"] == "Who works when"
    failed(ww(acme, f"/groupChat/setSubject/{SID}", key, {"chatId": gid, "subject": ""}), 422)
    assert ok(ww(acme, f"/groupChat/setInfoAdminsOnly/{SID}", key, {
        "chatId": gid, "adminsOnly": True})) == {"success": True, "result": True}
    ok(ww(acme, f"/groupChat/setMessagesAdminsOnly/{SID}", key, {"chatId": gid}))
    meta = group(acme, key, gid)["groupMetadata"]
    assert (meta["restrict"], meta["announce"]) == (True, True)
    ok(ww(acme, f"/groupChat/setMessagesAdminsOnly/{SID}", key,
          {"chatId": gid, "adminsOnly": False}))
    assert group(acme, key, gid)["groupMetadata"]["announce"] is False
    assert ok(ww(acme, f"/groupChat/setPicture/{SID}", key, {
        "chatId": gid, "pictureMimetype": "image/jpeg",
        "pictureData": base64.b64encode(JPEG).decode()})) == {"success": True, "result": True}
    assert "image/jpeg" in failed(ww(acme, f"/groupChat/setPicture/{SID}", key, {
        "chatId": gid, "pictureMimetype": "application/pdf",
        "pictureData": base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()}), 422)
    assert ok(ww(acme, f"/groupChat/deletePicture/{SID}", key, {"chatId": gid})) == {
        "success": True, "result": True}


def test_invites_common_groups_and_leaving(acme: Tenant, globex: Tenant,
                                           working: str) -> None:
    key = acme.api_key(ALL)
    gid = create(acme, key)["gid"]["_serialized"]
    code = ok(ww(acme, f"/groupChat/getInviteCode/{SID}", key, {"chatId": gid}))["inviteCode"]
    assert ok(ww(acme, f"/groupChat/getInviteCode/{SID}", key, {"chatId": gid}))[
        "inviteCode"] == code
    fresh = ok(ww(acme, f"/groupChat/revokeInvite/{SID}", key, {"chatId": gid}))[
        "newInviteCode"]
    assert fresh != code
    # Globex's own "shop", another phone, looks at the invite and accepts it.
    other = globex.call("POST", "/v1/sessions", {"name": SID}).json["id"]
    wait_for(lambda: globex.call("GET", f"/v1/sessions/{other}").json["status"] == "SCAN_QR")
    globex.call("POST", f"/v1/sandbox/sessions/{other}/scan", {"phone": "+14155550111"})
    theirs = globex.api_key(ALL)
    info = ok(ww(globex, f"/client/getInviteInfo/{SID}", theirs, {"inviteCode": fresh}))[
        "inviteInfo"]
    assert (info["id"]["_serialized"], info["subject"], info["size"]) == (gid, "Team", 2)
    failed(ww(globex, f"/client/acceptInvite/{SID}", theirs, {"inviteCode": code}), 404)
    assert ok(ww(globex, f"/client/acceptInvite/{SID}", theirs, {"inviteCode": fresh})) == {
        "success": True, "acceptInvite": gid}
    # The document's samples print empty codes and ids: refused, clearly.
    assert "inviteCode" in failed(ww(acme, f"/client/acceptInvite/{SID}", key,
                                     {"inviteCode": ""}), 422)
    failed(ww(acme, f"/client/getCommonGroups/{SID}", key, {"contactId": ""}), 422)
    lone = create(acme, key, "Alone", [])["gid"]["_serialized"]
    common = ok(ww(acme, f"/client/getCommonGroups/{SID}", key,
                   {"contactId": "14155550111@c.us"}))["groups"]
    assert [g["_serialized"] for g in common] == [gid] and lone != gid
    assert [g["_serialized"] for g in ok(ww(acme, f"/client/getCommonGroups/{SID}", key,
                                            {"contactId": "+4915112345678"}))["groups"]] \
        == sorted([gid])
    # Globex's key reaches only globex's session: acme's group is not theirs to change.
    failed(ww(globex, f"/groupChat/setSubject/{SID}", globex.api_key(["groups:read"]),
              {"chatId": gid, "subject": "Mine"}), 403)
    assert ok(ww(globex, f"/groupChat/leave/{SID}", theirs, {"chatId": gid})) == {
        "success": True}
    failed(ww(globex, f"/groupChat/getClassInfo/{SID}", theirs, {"chatId": gid}), 403)
    assert ME in roles(group(acme, key, gid))
