"""Groups through the API on the sandbox: every route end to end, the group.* events, bad
ids and links, sessions not WORKING, and other tenants."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from chalicelib import resources
from tests.conftest import Tenant, assert_error, run_worker, wait_for

ME = "14155550100@s.whatsapp.net"  # the `working` session's number
ANA, BEN, GONE = "+4915112345678", "+447911123456", "+14155550000"  # GONE: not on WhatsApp
ANA_JID, BEN_JID = "4915112345678@s.whatsapp.net", "447911123456@s.whatsapp.net"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 \
    + b"\xff\xd9"


def _groups(sid: str) -> str:
    return f"/v1/sessions/{sid}/groups"


def _create(acme: Tenant, sid: str, subject: str = "Team", people: list[str] | None = None
            ) -> dict[str, Any]:
    created = acme.call("POST", _groups(sid), {"subject": subject,
                                               "participants": people or [ANA]})
    assert created.status_code == 201, created.body
    return created.json


def _events(tenant: Tenant, types: str = "group.*") -> list[dict[str, Any]]:
    run_worker(resources.EVENT_QUEUE)
    return tenant.call("GET", f"/v1/events?types={types}&limit=100").json["items"]


def test_create_read_and_list_groups(acme: Tenant, working: str):
    group = _create(acme, working, "Team", [ANA, BEN, GONE, ANA])
    assert group["id"].endswith("@g.us") and group["subject"] == "Team"
    assert group["owner"] == ME and group["size"] == 3  # GONE is not on WhatsApp
    roles = {p["jid"]: (p["admin"], p["superadmin"]) for p in group["participants"]}
    assert roles == {ME: (True, True), ANA_JID: (False, False), BEN_JID: (False, False)}
    assert acme.call("GET", f"{_groups(working)}/{group['id']}").json == group

    others = [_create(acme, working, f"G{i}")["id"] for i in range(3)]
    first = acme.call("GET", f"{_groups(working)}?limit=3").json
    rest = acme.call("GET", f"{_groups(working)}?limit=3&cursor={first['next_cursor']}").json
    assert rest["next_cursor"] is None
    listed = first["items"] + rest["items"]
    assert [g["id"] for g in listed] == sorted([group["id"], *others])
    assert listed[0]["size"] == 3 and "participants" not in listed[0]
    assert [e["data"]["reason"] for e in _events(acme, "group.join")] == ["create"] * 4


def test_edit_settings_and_picture(acme: Tenant, working: str):
    gid = _create(acme, working)["id"]
    path = f"{_groups(working)}/{gid}"
    edited = acme.call("PATCH", path, {"subject": "Team 2", "description": "Our team"})
    assert (edited.json["subject"], edited.json["description"]) == ("Team 2", "Our team")
    assert acme.call("PATCH", path, {"description": ""}).json["description"] is None
    settings = acme.call("PATCH", f"{path}/settings", {"announce": True, "locked": True}).json
    assert (settings["announce"], settings["locked"]) == (True, True)
    picture = acme.call("PUT", f"{path}/picture",
                        {"base64": base64.b64encode(JPEG).decode()})
    assert picture.status_code == 200, picture.body
    assert picture.json["picture_id"]
    assert acme.call("DELETE", f"{path}/picture").json == {"done": True}
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()
    error = assert_error(acme.call("PUT", f"{path}/picture", {"base64": png}), 422)
    assert error["details"][0]["field"].startswith("picture")
    updates = [{k: v for k, v in e["data"].items() if v is not None}  # only what changed
               for e in _events(acme, "group.update")]
    assert updates == [
        {"group_id": gid, "by": ME, "subject": "Team 2", "description": "Our team"},
        {"group_id": gid, "by": ME, "description": ""},
        {"group_id": gid, "by": ME, "announce": True, "locked": True},
        {"group_id": gid, "by": ME, "picture": "set"},
        {"group_id": gid, "by": ME, "picture": "removed"}]


def test_participants_each_get_an_answer(acme: Tenant, working: str):
    gid = _create(acme, working)["id"]
    path = f"{_groups(working)}/{gid}/participants"
    added = acme.call("POST", f"{path}/add", {"participants": [BEN, ANA, GONE]}).json
    assert added == {"action": "add", "results": [
        {"jid": BEN_JID, "ok": True, "reason": None},
        {"jid": ANA_JID, "ok": False, "reason": "already_participant"},
        {"jid": "14155550000@s.whatsapp.net", "ok": False, "reason": "not_on_whatsapp"}]}
    promoted = acme.call("POST", f"{path}/promote", {"participants": [BEN]}).json
    assert promoted["results"] == [{"jid": BEN_JID, "ok": True, "reason": None}]
    demoted = acme.call("POST", f"{path}/demote", {"participants": [ME, BEN]}).json
    assert [r["reason"] for r in demoted["results"]] == ["is_owner", None]
    removed = acme.call("POST", f"{path}/remove", {"participants": [ANA, "+33612345678"]}).json
    assert [r["reason"] for r in removed["results"]] == [None, "not_participant"]
    info = acme.call("GET", f"{_groups(working)}/{gid}").json
    assert {p["jid"] for p in info["participants"]} == {ME, BEN_JID}
    changes = [(e["data"]["action"], e["data"]["participants"])
               for e in _events(acme, "group.participants")]
    assert changes == [("add", [BEN_JID]), ("promote", [BEN_JID]), ("demote", [BEN_JID]),
                       ("remove", [ANA_JID])]


def test_invite_links_join_and_leave(acme: Tenant, globex: Tenant, working: str, host: Any):
    gid = _create(acme, working)["id"]
    path = f"{_groups(working)}/{gid}"
    invite = acme.call("GET", f"{path}/invite").json
    assert invite["invite"] == f"https://chat.whatsapp.com/{invite['code']}"
    assert acme.call("GET", f"{path}/invite").json == invite  # the same until revoked

    # globex's session (another phone) looks, then joins by the link
    other = globex.call("POST", "/v1/sessions", {"name": "other"}).json["id"]
    wait_for(lambda: globex.call("GET", f"/v1/sessions/{other}").json["status"] == "SCAN_QR")
    globex.call("POST", f"/v1/sandbox/sessions/{other}/scan", {"phone": "+14155550111"})
    seen = globex.call("GET", f"{_groups(other)}/invite-info?invite={invite['invite']}").json
    assert (seen["id"], seen["subject"], seen["size"]) == (gid, "Team", 2)
    joined = globex.call("POST", f"{_groups(other)}/join", {"invite": invite["code"]})
    assert joined.json == {"group_id": gid}
    assert_error(globex.call("POST", f"{_groups(other)}/join", {"invite": invite["code"]}),
                 409, "already_participant")

    revoked = acme.call("POST", f"{path}/invite/revoke").json
    assert revoked["code"] != invite["code"]
    assert_error(globex.call("GET", f"{_groups(other)}/invite-info?invite={invite['code']}"),
                 404, "invalid_invite")

    assert globex.call("POST", f"{_groups(other)}/{gid}/leave").json == {"done": True}
    assert_error(globex.call("GET", f"{_groups(other)}/{gid}"), 403, "not_participant")
    assert [e["type"] for e in _events(globex)] == ["group.join", "group.update",  # revoked
                                                    "group.leave"]
    mine = [(e["type"], e["data"].get("action"), e["data"].get("participants"))
            for e in _events(acme) if e["type"] != "group.join"]
    assert mine == [("group.participants", "add", ["14155550111@s.whatsapp.net"]),
                    ("group.update", None, None),  # the link was revoked
                    ("group.participants", "remove", ["14155550111@s.whatsapp.net"])]


def test_someone_else_acts_in_a_group(acme: Tenant, working: str):
    play = f"/v1/sandbox/sessions/{working}/groups/act"
    made = acme.call("POST", play, {"by": ANA, "action": "create", "subject": "Ana's",
                                    "participants": [ME, BEN]})
    assert made.status_code == 200, made.body
    gid = made.json["group_id"]
    assert_error(acme.call("POST", play, {"by": BEN, "action": "add", "group_id": gid,
                                          "participants": [GONE]}), 403, "not_admin")
    acme.call("POST", play, {"by": ANA, "action": "promote", "group_id": gid,
                             "participants": [ME]})
    acme.call("POST", play, {"by": ANA, "action": "subject", "group_id": gid,
                             "subject": "Ana's team"})
    acme.call("POST", play, {"by": ANA, "action": "remove", "group_id": gid,
                             "participants": [ME]})
    events = [(e["type"], e["data"]) for e in _events(acme)]
    assert events == [
        ("group.join", {"group_id": gid, "subject": "Ana's", "by": ANA_JID, "reason": "added",
                        "participants": 3}),
        ("group.participants", {"group_id": gid, "action": "promote",
                                "participants": [ME], "by": ANA_JID}),
        ("group.update", {"group_id": gid, "by": ANA_JID, "subject": "Ana's team",
                          "description": None, "announce": None, "locked": None,
                          "picture": None, "invite_revoked": None, "deleted": None}),
        ("group.leave", {"group_id": gid, "by": ANA_JID})]
    assert_error(acme.call("GET", f"{_groups(working)}/{gid}"), 403, "not_participant")


@pytest.mark.parametrize(("method", "suffix", "body", "field"), [
    ("GET", "/nope", None, "group_id"),
    ("GET", "/12@g.us", None, "group_id"),
    ("GET", "/4915112345678@s.whatsapp.net", None, "group_id"),
    ("PATCH", "/120363000000000001@g.us", {"subject": "x\ny"}, "subject"),
    ("PATCH", "/120363000000000001@g.us", {}, "body"),
    ("POST", "/120363000000000001@g.us/participants/add", {"participants": ["nope"]},
     "participants[0]"),
    ("POST", "/120363000000000001@g.us/participants/add", {"participants": []},
     "participants"),
    ("POST", "/join", {"invite": "https://example.com/abc"}, "invite"),
    ("GET", "/invite-info?invite=short", None, "invite"),
    ("GET", "/invite-info", None, "invite"),
    ("POST", "", {"subject": "", "participants": []}, "subject"),
    ("POST", "", {"subject": "T", "participants": ["+1"] * 101}, "participants"),
])
def test_bad_ids_numbers_and_links_are_422(acme: Tenant, working: str, method: str,
                                           suffix: str, body: Any, field: str):
    error = assert_error(acme.call(method, _groups(working) + suffix, body), 422)
    assert error["details"][0]["field"] == field, error


def test_a_session_not_working_is_409(acme: Tenant, working: str):
    acme.call("POST", f"/v1/sessions/{working}/stop")
    assert_error(acme.call("GET", _groups(working)), 409, "session_not_ready")
    assert_error(acme.call("POST", _groups(working), {"subject": "T"}), 409, "session_not_ready")


def test_scopes(acme: Tenant, working: str):
    reader = acme.api_key(["groups:read"])
    headers = {"X-API-Key": reader}
    from tests.conftest import call

    assert call(acme.client, "GET", _groups(working), headers=headers).status_code == 200
    assert_error(call(acme.client, "POST", _groups(working), body={"subject": "T"},
                      headers=headers), 403, "missing_scope")


GID = "120363000000000001@g.us"
ROUTES = [
    ("POST", "", {"subject": "T"}),
    ("GET", "", None),
    ("GET", f"/{GID}", None),
    ("PATCH", f"/{GID}", {"subject": "T"}),
    ("PATCH", f"/{GID}/settings", {"locked": True}),
    ("PUT", f"/{GID}/picture", {"base64": base64.b64encode(JPEG).decode()}),
    ("DELETE", f"/{GID}/picture", None),
    *[("POST", f"/{GID}/participants/{a}", {"participants": [ANA]})
      for a in ("add", "remove", "promote", "demote")],
    ("GET", f"/{GID}/invite", None),
    ("POST", f"/{GID}/invite/revoke", None),
    ("POST", "/join", {"invite": "AbCdEfGhIjKlMnOpQrStUv"}),
    ("GET", "/invite-info?invite=AbCdEfGhIjKlMnOpQrStUv", None),
    ("POST", f"/{GID}/leave", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
def test_another_tenants_session_is_404(acme: Tenant, globex: Tenant, working: str,
                                        method: str, suffix: str, body: Any):
    gid = _create(acme, working)["id"]
    assert gid == GID  # the sandbox counts groups up from here
    assert_error(globex.call(method, _groups(working) + suffix, body), 404)
    assert acme.call("GET", f"{_groups(working)}/{GID}").json["size"] == 2  # unchanged


@pytest.mark.parametrize(("path", "body"), [
    ("groups/act", {"by": ANA, "action": "create", "subject": "T"}),
    ("call", {"from": ANA}),
])
def test_another_tenants_sandbox_plays_are_404(acme: Tenant, globex: Tenant, working: str,
                                               path: str, body: Any):
    assert_error(globex.call("POST", f"/v1/sandbox/sessions/{working}/{path}", body), 404)
