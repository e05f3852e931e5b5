"""/v1/address-book through the HTTP API on moto: contacts (one per number, search, filters,
pages), statuses, sources and groups, CSV imports through the upload path, the audience of
some groups that campaigns reach, tenant isolation and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.bootstrap import container
from chalicelib.domain.errors import ValidationFailed
from tests.api.test_uploads import upload
from tests.conftest import Tenant, assert_error, call

BOOK = "/v1/address-book"
KINDS = ("statuses", "sources", "groups")


def tag(tenant: Tenant, plural: str, name: str = "x", color: str | None = None) -> str:
    body: dict[str, Any] = {"name": name} | ({"color": color} if color else {})
    created = tenant.call("POST", f"{BOOK}/{plural}", body)
    assert created.status_code == 201, created.body
    return created.json["id"]


def contact(tenant: Tenant, phone: str, **fields: Any) -> dict[str, Any]:
    created = tenant.call("POST", f"{BOOK}/contacts", {"phone": phone, **fields})
    assert created.status_code == 201, created.body
    return created.json


def contacts(tenant: Tenant, query: str = "") -> list[dict[str, Any]]:
    """Every contact the list gives for ``query`` (following the cursors)."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        page = tenant.call("GET", f"{BOOK}/contacts?limit=2{query}"
                                  + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.body
        found += page.json["items"]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the list never ended")


def test_a_contact_lives_through_the_api(acme: Tenant):
    vip, ads, group = tag(acme, "statuses", "VIP", "#FF0000"), tag(acme, "sources", "Ads"), \
        tag(acme, "groups", "Rome")
    created = contact(acme, "+1 415 555 2671", name="Ann", email="ann@example.com",
                      custom_fields={"plan": "gold"}, status=vip, source=ads, group_ids=[group])
    assert created | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None, "name": "Ann", "phone": "+14155552671", "email": "ann@example.com",
        "custom_fields": {"plan": "gold"}, "status": vip, "source": ads, "group_ids": [group],
        "created_at": None, "updated_at": None}
    url = f"{BOOK}/contacts/{created['id']}"
    assert acme.call("GET", url).json == created
    changed = acme.call("PATCH", url, {"phone": "4915112345678@s.whatsapp.net", "email": None,
                                       "group_ids": None})
    assert changed.status_code == 200, changed.body
    assert (changed.json["phone"], changed.json["email"], changed.json["group_ids"],
            changed.json["name"]) == ("+4915112345678", None, [], "Ann")
    # the old number is free again, the new one is taken
    contact(acme, "+14155552671")
    assert_error(acme.call("POST", f"{BOOK}/contacts", {"phone": "4915112345678"}), 409,
                 "phone_taken")
    assert acme.call("DELETE", url).json == {"deleted": True, "id": created["id"]}
    assert_error(acme.call("GET", url), 404, "not_found")
    contact(acme, "+4915112345678")  # deleting released the number


def test_one_contact_per_number_in_any_form(acme: Tenant):
    first = contact(acme, "+14155552671")
    for same in ("14155552671", "+1 (415) 555-2671", "14155552671@c.us"):
        error = assert_error(acme.call("POST", f"{BOOK}/contacts", {"phone": same}), 409,
                             "phone_taken")
        assert error["details"][0]["field"] == "phone"
    other = contact(acme, "+4915112345678")
    assert_error(acme.call("PATCH", f"{BOOK}/contacts/{other['id']}",
                           {"phone": "+14155552671"}), 409, "phone_taken")
    assert [c["id"] for c in contacts(acme)] == [first["id"], other["id"]]


def test_search_filters_and_pages(acme: Tenant):
    vip, lead = tag(acme, "statuses", "VIP"), tag(acme, "statuses", "Lead")
    ads, group = tag(acme, "sources", "Ads"), tag(acme, "groups", "Rome")
    ann = contact(acme, "+14155552671", name="Ann Smith", status=vip, group_ids=[group])
    bob = contact(acme, "+4915112345678", name="Bob", email="bob@Example.com", status=lead,
                  source=ads)
    cid = contact(acme, "+447911123456", name="Cid", source=ads, group_ids=[group])
    ids = lambda items: [c["id"] for c in items]  # noqa: E731
    assert ids(contacts(acme)) == [ann["id"], bob["id"], cid["id"]]
    assert ids(contacts(acme, "&q=smith")) == [ann["id"]]
    assert ids(contacts(acme, "&q=EXAMPLE.com")) == [bob["id"]]
    assert ids(contacts(acme, "&q=%2B1%20415")) == [ann["id"]]
    assert ids(contacts(acme, f"&status={vip}")) == [ann["id"]]
    assert ids(contacts(acme, f"&source={ads}")) == [bob["id"], cid["id"]]
    assert ids(contacts(acme, f"&group_id={group}")) == [ann["id"], cid["id"]]
    assert ids(contacts(acme, f"&group_id={group}&source={ads}")) == [cid["id"]]
    assert contacts(acme, "&q=nobody") == []


@pytest.mark.parametrize(("body", "field"), [
    ({}, "phone"), ({"phone": "nope"}, "phone"), ({"phone": "123@g.us"}, "phone"),
    ({"phone": "+14155552671", "email": "not-an-email"}, "email"),
    ({"phone": "+14155552671", "status": "sts_unknown"}, "status"),
    ({"phone": "+14155552671", "source": "src_unknown"}, "source"),
    ({"phone": "+14155552671", "group_ids": ["grp_unknown"]}, "group_ids[0]"),
    ({"phone": "+14155552671", "group_ids": [f"g{i}" for i in range(21)]}, "group_ids"),
    ({"phone": "+14155552671", "custom_fields": {"name": "x"}}, "custom_fields.name"),
    ({"phone": "+14155552671", "custom_fields": {"a b": "x"}}, "custom_fields.a b"),
    ({"phone": "+14155552671", "custom_fields": {"a": "x" * 1025}}, "custom_fields.a"),
    ({"phone": "+14155552671", "custom_fields": {f"f{i}": "" for i in range(21)}},
     "custom_fields"),
    ({"phone": "+14155552671", "name": "x" * 101}, "name"),
    ({"phone": "+14155552671", "colour": "red"}, "colour"),
])
def test_bad_contacts_are_422_naming_the_field_and_store_nothing(acme: Tenant, body: dict,
                                                                 field: str):
    error = assert_error(acme.call("POST", f"{BOOK}/contacts", body), 422)
    assert error["details"][0]["field"] == field, error
    assert contacts(acme) == []


def test_bad_changes_are_422_and_change_nothing(acme: Tenant):
    created = contact(acme, "+14155552671", name="Ann")
    url = f"{BOOK}/contacts/{created['id']}"
    for body, field in (({"phone": None}, "phone"), ({"phone": "nope"}, "phone"),
                        ({"status": "sts_unknown"}, "status"), ({"email": "x"}, "email")):
        error = assert_error(acme.call("PATCH", url, body), 422)
        assert error["details"][0]["field"] == field
    assert acme.call("GET", url).json == created


def test_bad_list_queries_are_422(acme: Tenant):
    for query in ("limit=0", "cursor=garbage", "status=" + "x" * 65, "q=" + "x" * 65):
        assert_error(acme.call("GET", f"{BOOK}/contacts?{query}"), 422)


@pytest.mark.parametrize("plural", KINDS)
def test_statuses_sources_and_groups_live_through_the_api(acme: Tenant, plural: str):
    created = acme.call("POST", f"{BOOK}/{plural}", {"name": "Hot", "color": "#00ff00"})
    assert created.status_code == 201, created.body
    assert created.json | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None, "name": "Hot", "color": "#00ff00", "created_at": None, "updated_at": None}
    url = f"{BOOK}/{plural}/{created.json['id']}"
    assert acme.call("GET", url).json == created.json
    renamed = acme.call("PATCH", url, {"name": "Warm", "color": None})
    assert (renamed.json["name"], renamed.json["color"]) == ("Warm", None)
    assert [t["id"] for t in acme.call("GET", f"{BOOK}/{plural}").json["items"]] == \
        [created.json["id"]]
    for body, field in (({"name": ""}, "name"), ({"name": "x", "color": "red"}, "color"),
                        ({}, "name"), ({"name": "x" * 65}, "name")):
        assert assert_error(acme.call("POST", f"{BOOK}/{plural}", body), 422)[
            "details"][0]["field"] == field
    assert_error(acme.call("PATCH", url, {"name": None}), 422)
    assert acme.call("GET", url).json["name"] == "Warm"
    assert acme.call("DELETE", url).json == {"deleted": True, "id": created.json["id"]}
    assert_error(acme.call("GET", url), 404)
    assert_error(acme.call("DELETE", url), 404)


@pytest.mark.parametrize(("plural", "field"), [("statuses", "status"), ("sources", "source"),
                                               ("groups", "group_ids")])
def test_one_in_use_cannot_be_deleted(acme: Tenant, plural: str, field: str):
    tag_id = tag(acme, plural)
    used = contact(acme, "+14155552671", **{field: [tag_id] if field == "group_ids" else tag_id})
    error = assert_error(acme.call("DELETE", f"{BOOK}/{plural}/{tag_id}"), 409, "in_use")
    assert used["id"] in error["message"]
    acme.call("PATCH", f"{BOOK}/contacts/{used['id']}", {field: None})
    assert acme.call("DELETE", f"{BOOK}/{plural}/{tag_id}").status_code == 200


def test_another_tenants_ids_are_404(acme: Tenant, globex: Tenant):
    ids = {plural: tag(acme, plural) for plural in KINDS}
    mine = contact(acme, "+14155552671", status=ids["statuses"])
    url = f"{BOOK}/contacts/{mine['id']}"
    assert_error(globex.call("GET", url), 404)
    assert_error(globex.call("PATCH", url, {"name": "x"}), 404)
    assert_error(globex.call("DELETE", url), 404)
    for plural, tag_id in ids.items():
        assert_error(globex.call("GET", f"{BOOK}/{plural}/{tag_id}"), 404)
        assert_error(globex.call("PATCH", f"{BOOK}/{plural}/{tag_id}", {"name": "x"}), 404)
        assert_error(globex.call("DELETE", f"{BOOK}/{plural}/{tag_id}"), 404)
        assert globex.call("GET", f"{BOOK}/{plural}").json["items"] == []
    # another tenant's status, source or group is no reference, and the number is free there
    assert_error(globex.call("POST", f"{BOOK}/contacts",
                             {"phone": "+14155552671", "status": ids["statuses"]}), 422)
    contact(globex, "+14155552671")
    assert [c["id"] for c in contacts(acme)] == [mine["id"]]
    cursor = acme.call("GET", f"{BOOK}/contacts?limit=1").json
    contact(acme, "+4915112345678")
    next_cursor = acme.call("GET", f"{BOOK}/contacts?limit=1").json["next_cursor"]
    assert cursor is not None and next_cursor
    assert_error(globex.call("GET", f"{BOOK}/contacts?cursor={next_cursor}"), 422)
    upload_id = upload(acme)["upload_id"]
    assert_error(globex.call("POST", f"{BOOK}/contacts/import", {"upload_id": upload_id}),
                 422)


def test_scopes(acme: Tenant):
    reader = acme.api_key(["contacts:read"])
    assert_error(call(acme.client, "POST", f"{BOOK}/contacts", reader,
                      {"phone": "+14155552671"}), 403, "missing_scope")
    for plural in KINDS:
        assert_error(call(acme.client, "POST", f"{BOOK}/{plural}", reader, {"name": "x"}), 403,
                     "missing_scope")
    assert call(acme.client, "GET", f"{BOOK}/contacts", reader).status_code == 200
    other = acme.api_key(["messages:read"])
    assert_error(call(acme.client, "GET", f"{BOOK}/contacts", other), 403, "missing_scope")


IMPORT_CSV = (b"Phone,Name,email,plan\n"
              b"+1 415 555 2671,Ann,ann@example.com,gold\n"
              b"4915112345678,Bob,,silver\n"
              b"nope,Cid,,\n"
              b"+447911123456,Dee,not-an-email,\n"
              b"14155552671,Ann again,,\n")


def test_a_csv_import_creates_updates_and_reports(acme: Tenant):
    vip, ads = tag(acme, "statuses", "VIP"), tag(acme, "sources", "Ads")
    group, old_group = tag(acme, "groups", "Imported"), tag(acme, "groups", "Old")
    bob = contact(acme, "+4915112345678", name="Robert", email="bob@example.com",
                  custom_fields={"city": "Berlin"}, group_ids=[old_group])
    upload_id = upload(acme, IMPORT_CSV)["upload_id"]
    result = acme.call("POST", f"{BOOK}/contacts/import",
                       {"upload_id": upload_id, "group_ids": [group], "status": vip,
                        "source": ads})
    assert result.status_code == 200, result.body
    assert result.json | {"errors": None} == {"rows": 5, "created": 1, "updated": 1,
                                              "duplicates": 1, "invalid": 2, "errors": None}
    assert [(e["row"], e["value"]) for e in result.json["errors"]] == [
        (4, "nope"), (5, "447911123456")]
    book = {c["phone"]: c for c in contacts(acme)}
    assert set(book) == {"+14155552671", "+4915112345678"}
    ann = book["+14155552671"]
    assert (ann["name"], ann["email"], ann["custom_fields"], ann["status"], ann["source"],
            ann["group_ids"]) == ("Ann", "ann@example.com", {"plan": "gold"}, vip, ads, [group])
    updated = book["+4915112345678"]
    assert (updated["id"], updated["name"], updated["email"], updated["custom_fields"],
            updated["group_ids"]) == (bob["id"], "Bob", "bob@example.com",
                                      {"city": "Berlin", "plan": "silver"}, [old_group, group])
    # an imported number is claimed like any other
    assert_error(acme.call("POST", f"{BOOK}/contacts", {"phone": "+14155552671"}), 409)
    again = acme.call("POST", f"{BOOK}/contacts/import", {"upload_id": upload_id})
    assert (again.json["created"], again.json["updated"]) == (0, 2)
    assert len(contacts(acme)) == 2


@pytest.mark.parametrize(("body", "field"), [
    ({}, "upload_id"), ({"upload_id": "upl_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "upload_id"),
    ({"upload_id": "UPLOAD", "group_ids": ["grp_unknown"]}, "group_ids[0]"),
    ({"upload_id": "UPLOAD", "status": "sts_unknown"}, "status"),
    ({"upload_id": "UPLOAD", "source": "src_unknown"}, "source"),
])
def test_bad_imports_are_422_and_import_nothing(acme: Tenant, body: dict, field: str):
    upload_id = upload(acme, IMPORT_CSV)["upload_id"]
    body = {k: (upload_id if v == "UPLOAD" else v) for k, v in body.items()}
    error = assert_error(acme.call("POST", f"{BOOK}/contacts/import", body), 422)
    assert error["details"][0]["field"] == field
    pending = upload(acme, None)["upload_id"]
    error = assert_error(acme.call("POST", f"{BOOK}/contacts/import", {"upload_id": pending}),
                         422)
    assert error["details"][0]["field"] == "upload_id"
    assert contacts(acme) == []


def test_the_audience_of_groups_is_every_member_once_with_its_fields(acme: Tenant):
    rome, paris, other = (tag(acme, "groups", n) for n in ("Rome", "Paris", "Other"))
    contact(acme, "+14155552671", name="Ann", email="ann@example.com",
            custom_fields={"plan": "gold"}, group_ids=[rome, paris])
    contact(acme, "+4915112345678", group_ids=[paris])
    contact(acme, "+447911123456", name="Out", group_ids=[other])
    audience = container().address_book.audience(acme.id, [rome, paris])
    assert [(r.to, r.variables) for r in audience.recipients] == [
        ("14155552671@s.whatsapp.net", {"plan": "gold", "name": "Ann",
                                        "email": "ann@example.com", "phone": "+14155552671"}),
        ("4915112345678@s.whatsapp.net", {"name": "", "email": "",
                                          "phone": "+4915112345678"})]
    assert audience.errors == [] and audience.duplicates == 0


def test_an_audience_of_unknown_groups_names_the_field(acme: Tenant, globex: Tenant):
    theirs = tag(globex, "groups")
    for group_ids in ([theirs], ["grp_unknown"], []):
        with pytest.raises(ValidationFailed) as failed:
            container().address_book.audience(acme.id, group_ids)
        assert failed.value.details[0]["field"].startswith("audience.group_ids")
