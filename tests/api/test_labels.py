"""Labels (WhatsApp Business): made, changed and deleted through the session or on the phone,
put on chats and taken off, listed from wagate's store, each change a ``label.*`` event; and
every chat and label route refuses another tenant's session."""

from __future__ import annotations

import json

import pytest

from chalicelib import resources
from tests.conftest import Tenant, assert_error, receive

MAX = "4915112345678@s.whatsapp.net"


def _label_events() -> list[tuple[str, dict]]:
    bodies = [json.loads(m["Body"]) for m in receive(resources.EVENT_QUEUE)]
    return [(e["type"], e["data"]) for e in bodies if e["type"].startswith("label.")]


def _create(tenant: Tenant, sid: str, name: str = "New customer", color: int = 3) -> dict:
    response = tenant.call("POST", f"/v1/sessions/{sid}/labels", {"name": name, "color": color})
    assert response.status_code == 201, response.body
    return response.json


def test_label_life_through_the_api(acme: Tenant, working: str):
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": "+4915112345678", "text": "hi"})
    label = _create(acme, working)
    assert label["name"] == "New customer" and label["color"] == 3 and label["id"] == "1"
    base = f"/v1/sessions/{working}/labels/{label['id']}"
    renamed = acme.call("PATCH", base, {"name": "Paid"}).json
    assert renamed["name"] == "Paid" and renamed["color"] == 3
    put = acme.call("PUT", f"/v1/sessions/{working}/chats/%2B4915112345678/labels/1")
    assert put.json == {"label_id": "1", "chat": MAX, "labeled": True}
    chat = acme.call("GET", f"/v1/sessions/{working}/chats/{MAX}").json
    assert chat["labels"] == ["1"]
    assert [c["id"] for c in acme.call("GET", f"{base}/chats").json["items"]] == [MAX]
    removed = acme.call("DELETE", f"/v1/sessions/{working}/chats/{MAX}/labels/1")
    assert removed.json["labeled"] is False
    assert acme.call("GET", f"{base}/chats").json["items"] == []
    acme.call("PUT", f"/v1/sessions/{working}/chats/{MAX}/labels/1")
    assert acme.call("DELETE", base).json == {"id": "1", "deleted": True}
    assert acme.call("GET", f"/v1/sessions/{working}/labels").json["items"] == []
    assert acme.call("GET", f"/v1/sessions/{working}/chats/{MAX}").json["labels"] == []
    assert_error(acme.call("GET", base), 404)
    assert [t for t, _ in _label_events()] == [
        "label.created", "label.updated", "label.chat_added", "label.chat_removed",
        "label.chat_added", "label.deleted"]


def test_labels_changed_on_the_phone_are_stored_and_published(acme: Tenant, working: str):
    made = acme.call("POST", f"/v1/sandbox/sessions/{working}/labels",
                     {"name": "VIP", "color": 5})
    assert made.status_code == 200, made.body
    labels = acme.call("GET", f"/v1/sessions/{working}/labels").json["items"]
    assert [(x["id"], x["name"], x["color"]) for x in labels] == [("1", "VIP", 5)]
    acme.call("POST", f"/v1/sandbox/sessions/{working}/labels", {"id": "1", "color": 7})
    acme.call("PUT", f"/v1/sandbox/sessions/{working}/chats/{MAX}/labels/1")
    assert acme.call("GET", f"/v1/sessions/{working}/chats/{MAX}").json["labels"] == ["1"]
    acme.call("POST", f"/v1/sandbox/sessions/{working}/labels", {"id": "1", "deleted": True})
    assert acme.call("GET", f"/v1/sessions/{working}/labels").json["items"] == []
    events = _label_events()
    assert [t for t, _ in events] == ["label.created", "label.updated", "label.chat_added",
                                      "label.deleted"]
    assert all(data["source"] == "phone" for _, data in events)
    assert events[1][1]["color"] == 7 and events[1][1]["name"] == "VIP"


def test_bad_labels_are_refused(acme: Tenant, working: str):
    for body, field in (({"name": ""}, "name"), ({"name": "x", "color": 20}, "color"),
                        ({"name": "a\nb"}, "name")):
        error = assert_error(acme.call("POST", f"/v1/sessions/{working}/labels", body), 422)
        assert error["details"][0]["field"] == field
    error = assert_error(acme.call("GET", f"/v1/sessions/{working}/labels/a.b"), 422)
    assert error["details"][0]["field"] == "label_id"
    assert_error(acme.call("PUT", f"/v1/sessions/{working}/chats/{MAX}/labels/9"), 404)
    _create(acme, working)
    error = assert_error(acme.call("PUT", f"/v1/sessions/{working}/chats/bad/labels/1"), 422)
    assert error["details"][0]["field"] == "chat_id"
    assert acme.call("GET", f"/v1/sessions/{working}/labels").json["items"][0]["id"] == "1"


def test_labels_listed_when_not_working_changes_refused(acme: Tenant, working: str):
    _create(acme, working)
    acme.call("POST", f"/v1/sessions/{working}/stop")
    from tests.conftest import wait_for

    wait_for(lambda: acme.call("GET", f"/v1/sessions/{working}").json["status"] == "STOPPED")
    assert len(acme.call("GET", f"/v1/sessions/{working}/labels").json["items"]) == 1
    assert_error(acme.call("POST", f"/v1/sessions/{working}/labels", {"name": "x"}), 409,
                 "session_not_ready")
    assert_error(acme.call("DELETE", f"/v1/sessions/{working}/labels/1"), 409,
                 "session_not_ready")


CHAT = "/chats/%2B4915112345678"
ROUTES = [
    ("GET", "/chats", None), ("GET", CHAT, None), ("GET", f"{CHAT}/messages", None),
    ("DELETE", CHAT, None), ("POST", f"{CHAT}/read", None), ("POST", f"{CHAT}/archive", None),
    ("POST", f"{CHAT}/unarchive", None), ("POST", f"{CHAT}/pin", None),
    ("POST", f"{CHAT}/unpin", None), ("POST", f"{CHAT}/mute", {}),
    ("POST", f"{CHAT}/unmute", None), ("POST", f"{CHAT}/clear", None),
    ("POST", f"{CHAT}/state", {"state": "typing"}),
    ("GET", "/labels", None), ("POST", "/labels", {"name": "x"}), ("GET", "/labels/1", None),
    ("PATCH", "/labels/1", {"name": "y"}), ("DELETE", "/labels/1", None),
    ("GET", "/labels/1/chats", None), ("PUT", f"{CHAT}/labels/1", None),
    ("DELETE", f"{CHAT}/labels/1", None),
]
SANDBOX_ROUTES = [
    ("POST", f"{CHAT}/change", {"archived": True}), ("POST", "/labels", {"name": "x"}),
    ("PUT", f"{CHAT}/labels/1", None), ("DELETE", f"{CHAT}/labels/1", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES + [
    (m, "sandbox:" + p, b) for m, p, b in SANDBOX_ROUTES])
def test_another_tenants_session_is_not_found(acme: Tenant, globex: Tenant, working: str,
                                              method: str, path: str, body):
    _create(acme, working)
    if path.startswith("sandbox:"):
        url = f"/v1/sandbox/sessions/{working}{path[8:]}"
    else:
        url = f"/v1/sessions/{working}{path}"
    assert_error(globex.call(method, url, body), 404)
    assert len(acme.call("GET", f"/v1/sessions/{working}/labels").json["items"]) == 1
