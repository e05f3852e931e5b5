"""WhatsCloud (WhatsMark SaaS) drop-in: the address book, templates and bots under
``/compat/whatscloud/api/v1/{tenant}``, walked with the product's own documented examples
(request bodies as its API reference prints them) and answered in its shapes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Tenant, call

ALL = ["contacts:read", "contacts:write", "messages:read", "messages:send", "bots:read"]
# WhatsMark's own examples (its API reference).
STATUS = {"name": "Pending", "color": "#FF0000", "isdefault": False}
SOURCE = {"name": "Website"}
GROUP = {"name": "Referral"}
CONTACT = {"firstname": "John", "lastname": "Doe", "company": "Acme Corp", "type": "lead",
           "email": "john@example.com", "phone": "+911234567890", "status_id": 1,
           "source_id": 1, "description": "Potential client from website"}


def wc(tenant: Tenant, method: str, path: str, key: str | None, body: Any = None,
       tenant_id: str | None = None) -> Any:
    """A call to the dialect as a WhatsCloud client makes it (``Authorization: Bearer``)."""
    return call(tenant.client, method,
                f"/compat/whatscloud/api/v1/{tenant_id or tenant.id}{path}", key, body)


def refused(response: Any, status: int, message: str | None = None) -> dict[str, Any]:
    """The product's error shape with this status."""
    assert response.status_code == status, (response.status_code, response.body)
    assert response.json["status"] == "error", response.json
    if message is not None:
        assert response.json["message"] == message, response.json
    return dict(response.json)


@pytest.fixture
def key(acme: Tenant) -> str:
    return acme.api_key(ALL)


@pytest.fixture
def book(acme: Tenant, key: str) -> dict[str, Any]:
    """A status, a source and a group, then the documented contact."""
    wc(acme, "POST", "/statuses", key, STATUS)
    wc(acme, "POST", "/sources", key, SOURCE)
    wc(acme, "POST", "/groups", key, GROUP)
    created = wc(acme, "POST", "/contacts", key, CONTACT)
    assert created.status_code == 201, created.body
    return dict(created.json)


def test_a_contact_is_created_read_listed_updated_and_deleted_as_whatsmark_shows_it(
        acme: Tenant, key: str, book: dict[str, Any]) -> None:
    assert book["status"] == "success" and book["message"] == "Contact created successfully"
    contact = book["data"]
    assert {k: contact[k] for k in ("id", "firstname", "lastname", "company", "type", "email",
                                    "phone", "status_id", "source_id", "group_id")} == {
        "id": 1, "firstname": "John", "lastname": "Doe", "company": "Acme Corp", "type": "lead",
        "email": "john@example.com", "phone": "+911234567890", "status_id": 1, "source_id": 1,
        "group_id": []}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", contact["created_at"])
    got = wc(acme, "GET", "/contacts/1", key)
    assert got.status_code == 200 and got.json == {"status": "success", "data": contact}
    listed = wc(acme, "GET", "/contacts", key).json
    assert listed["status"] == "success"
    page = listed["data"]
    assert page["current_page"] == 1 and page["per_page"] == 15 and page["from"] == 1
    assert page["data"] == [contact] and page["next_page_url"] is None
    updated = wc(acme, "PUT", "/contacts/1", key, {
        "firstname": "John", "lastname": "Smith", "phone": "919876543210", "group_id": [1],
        "company": None})
    assert updated.status_code == 200, updated.body
    assert updated.json["message"] == "Contact updated successfully"
    assert {k: updated.json["data"][k] for k in ("lastname", "phone", "group_id", "company",
                                                 "description")} == {
        "lastname": "Smith", "phone": "+919876543210", "group_id": [1], "company": None,
        "description": "Potential client from website"}
    deleted = wc(acme, "DELETE", "/contacts/1", key)
    assert deleted.json == {"status": "success", "message": "Contact deleted successfully"}
    refused(wc(acme, "GET", "/contacts/1", key), 404)


def test_contacts_page_like_laravel(acme: Tenant, key: str, book: dict[str, Any]) -> None:
    for n in range(4):
        body = {**CONTACT, "phone": f"+44790000000{n}", "email": None}
        assert wc(acme, "POST", "/contacts", key, body).status_code == 201
    page = wc(acme, "GET", "/contacts?per_page=2&page=2", key).json["data"]
    assert [c["id"] for c in page["data"]] == [3, 4]
    assert (page["from"], page["to"], page["current_page"]) == (3, 4, 2)
    assert page["next_page_url"].endswith("/contacts?page=3")
    assert page["prev_page_url"].endswith("/contacts?page=1")
    last = wc(acme, "GET", "/contacts?per_page=2&page=3", key).json["data"]
    assert [c["id"] for c in last["data"]] == [5] and last["next_page_url"] is None
    filtered = wc(acme, "GET", "/contacts?status_id=1", key).json["data"]["data"]
    assert len(filtered) == 5
    for bad in ("per_page=0", "per_page=101", "page=0", "page=x"):
        refused(wc(acme, "GET", f"/contacts?{bad}", key), 422, "Validation failed")


def test_bad_contacts_get_laravels_422_and_change_nothing(
        acme: Tenant, key: str, book: dict[str, Any]) -> None:
    missing = refused(wc(acme, "POST", "/contacts", key, {"firstname": "Ann"}), 422,
                      "Validation failed")
    assert {"lastname", "phone", "type", "status_id", "source_id"} <= set(missing["errors"])
    taken = refused(wc(acme, "POST", "/contacts", key, {**CONTACT, "email": None}), 422)
    assert taken["errors"] == {"phone": ["The phone has already been taken."]}
    unknown = refused(wc(acme, "POST", "/contacts", key, {**CONTACT, "phone": "+4915112345678",
                                                          "status_id": 9}), 422)
    assert list(unknown["errors"]) == ["status_id"]
    for phone in ("not a phone", "123@g.us"):
        refused(wc(acme, "POST", "/contacts", key, {**CONTACT, "phone": phone}), 422)
    refused(wc(acme, "PUT", "/contacts/1", key, {"firstname": "John"}), 422)
    assert len(wc(acme, "GET", "/contacts", key).json["data"]["data"]) == 1


def test_statuses_sources_and_groups_are_whatsmarks_crud(
        acme: Tenant, key: str, book: dict[str, Any]) -> None:
    status = wc(acme, "GET", "/statuses/1", key).json["data"]
    assert {k: status[k] for k in ("id", "name", "color", "isdefault")} == {
        "id": 1, "name": "Pending", "color": "#FF0000", "isdefault": False}
    for plural, title in (("statuses", "Status"), ("sources", "Source"), ("groups", "Group")):
        made = wc(acme, "POST", f"/{plural}", key, {"name": "Second one"})
        assert made.status_code == 201 and made.json["message"] == f"{title} created successfully"
        assert made.json["data"]["id"] == 2
        changed = wc(acme, "PUT", f"/{plural}/2", key, {"name": "Renamed"})
        assert changed.json["data"]["name"] == "Renamed", changed.body
        listed = wc(acme, "GET", f"/{plural}", key).json["data"]["data"]
        assert [t["id"] for t in listed] == [1, 2]
        assert wc(acme, "DELETE", f"/{plural}/2", key).json == {
            "status": "success", "message": f"{title} deleted successfully"}
        refused(wc(acme, "GET", f"/{plural}/2", key), 404)
        refused(wc(acme, "POST", f"/{plural}", key, {"name": ""}), 422)
    wc(acme, "PUT", "/contacts/1", key, {**CONTACT, "group_id": [1]})
    for plural in ("statuses", "sources", "groups"):  # still a contact's: WhatsMark's 400
        refused(wc(acme, "DELETE", f"/{plural}/1", key), 400)
    refused(wc(acme, "POST", "/statuses", key, {"name": "ab"}), 422)  # at least 3 characters
    refused(wc(acme, "POST", "/statuses", key, {"name": "abc", "color": "red"}), 422)


def test_another_tenants_ids_are_not_found_and_its_path_not_yours(
        acme: Tenant, globex: Tenant, key: str, book: dict[str, Any]) -> None:
    theirs = globex.api_key(ALL)
    for path in ("/contacts/1", "/statuses/1", "/sources/1", "/groups/1"):
        refused(wc(globex, "GET", path, theirs), 404)
        refused(wc(globex, "DELETE", path, theirs), 404)
    assert wc(globex, "GET", "/contacts", theirs).json["data"]["data"] == []
    # Acme's tenant in the path with Globex's key: WhatsMark checks the token against the
    # tenant the path names, so it is not a valid token there.
    refused(wc(acme, "GET", "/contacts", theirs), 401, "Invalid API token")
    refused(wc(acme, "GET", "/contacts", theirs, tenant_id="no-such-tenant"), 401,
            "Invalid API token")
    assert wc(acme, "GET", "/contacts/1", key).status_code == 200


def test_tokens_and_abilities(acme: Tenant, book: dict[str, Any]) -> None:
    refused(wc(acme, "GET", "/contacts", None), 401, "API token is required")
    refused(wc(acme, "GET", "/contacts", "wg_nope"), 401, "Invalid API token")
    reader = acme.api_key(["contacts:read"])
    assert wc(acme, "GET", "/contacts", reader).status_code == 200
    cases = [("POST", "/contacts", "contacts:write"), ("PUT", "/contacts/1", "contacts:write"),
             ("DELETE", "/statuses/1", "contacts:write"), ("GET", "/templates", "messages:read"),
             ("GET", "/messagebots", "bots:read"), ("GET", "/template-bots", "bots:read"),
             ("POST", "/messages/send", "messages:send"),
             ("POST", "/messages/media", "messages:send"),
             ("POST", "/messages/template", "messages:send")]
    for method, path, scope in cases:
        refused(wc(acme, method, path, reader, {}), 403,
                f"Token does not have the required ability: {scope}")
    nothing = acme.api_key(["sessions:read"])
    refused(wc(acme, "GET", "/contacts/1", nothing), 403)
    assert wc(acme, "GET", "/contacts/1", acme.token).status_code == 200  # a login token too


def test_unknown_paths_and_methods_answer_in_the_products_shape(acme: Tenant, key: str) -> None:
    refused(wc(acme, "GET", "/nowhere", key), 404)
    refused(wc(acme, "PATCH", "/contacts", key), 405)
    refused(wc(acme, "POST", "/contacts", key, "{"), 400)
    document = call(acme.client, "GET", "/compat/whatscloud/openapi.json").json
    assert "/api/v1/{tenant}/templates" in document["paths"]
    assert document["components"]["securitySchemes"]["key"]["scheme"] == "bearer"


def _bot(acme: Tenant, name: str, message: dict[str, Any], match: str = "exact") -> str:
    created = acme.call("POST", "/v1/bots", {"name": name, "keywords": ["hi", "hello"],
                                             "match": match,
                                             "action": {"type": "reply", "message": message}})
    assert created.status_code == 201, created.body
    return str(created.json["id"])


def test_templates_and_bots_are_read_by_their_reply_kind(acme: Tenant, key: str) -> None:
    template = acme.call("POST", "/v1/templates", {"name": "welcome",
                                                   "body": "Hi {{name}}, code {{code}}"}).json
    _bot(acme, "mbot", {"type": "text", "text": "hello from reply text"})
    _bot(acme, "tbot", {"type": "text", "template_id": template["id"],
                        "variables": {"name": "you", "code": "1"}}, match="contains")
    acme.call("POST", "/v1/bots", {"name": "hook", "keywords": ["x"], "action": {
        "type": "webhook", "url": "https://example.com/hook"}})
    listed = wc(acme, "GET", "/templates", key).json["data"]["data"]
    assert [(t["id"], t["template_name"], t["body_data"], t["body_params_count"],
             t["status"]) for t in listed] == [(1, "welcome", "Hi {{name}}, code {{code}}", 2,
                                                "APPROVED")]
    assert wc(acme, "GET", "/templates/1", key).json["data"] == listed[0]
    for path in ("/messagebots", "/message-bots"):
        bots = wc(acme, "GET", path, key).json["data"]["data"]
        assert [(b["id"], b["name"], b["reply_text"], b["trigger"], b["reply_type"],
                 b["is_bot_active"]) for b in bots] == [(1, "mbot", "hello from reply text",
                                                         "hi,hello", 1, True)]
        assert wc(acme, "GET", f"{path}/1", key).json["data"] == bots[0]
        refused(wc(acme, "GET", f"{path}/2", key), 404)
    for path in ("/templatebots", "/template-bots"):
        bots = wc(acme, "GET", path, key).json["data"]["data"]
        assert [(b["id"], b["name"], b["template_id"], b["reply_type"], b["body_params"])
                for b in bots] == [(2, "tbot", 1, 2, '["you", "1"]')]
        refused(wc(acme, "GET", f"{path}/1", key), 404)
    refused(wc(acme, "GET", "/templates/9", key), 404)
