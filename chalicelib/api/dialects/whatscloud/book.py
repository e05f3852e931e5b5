"""The address book: contacts, statuses, sources and groups (WhatsMark's CRUD)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.api.dialects.whatscloud import schemas
from chalicelib.api.dialects.whatscloud.profile import router
from chalicelib.api.dialects.whatscloud.shapes import (
    CONTACT_EXTRAS,
    listed,
    own,
    resolve,
    resolve_field,
)
from chalicelib.api.dialects.whatscloud.shapes import contact as contact_json
from chalicelib.api.dialects.whatscloud.shapes import tag as tag_json
from chalicelib.domain.address_book import TagKind
from chalicelib.domain.errors import Conflict, ValidationFailed

BASE = "/api/v1/{tenant}"
PAGING = ("page", "per_page")


def _phone_taken(exc: Conflict) -> None:
    """Laravel's unique rule: a number another contact has is a 422 on ``phone``."""
    if exc.code == "phone_taken":
        raise ValidationFailed.field("phone", "The phone has already been taken.") from exc


def _fields(call: Call, body: schemas.ContactIn | schemas.ContactUpdate,
            custom: dict[str, str]) -> dict[str, Any]:
    """The address book's fields of a WhatsMark contact body (ids resolved; the fields the
    book lacks merged into ``custom``)."""
    given = body.model_dump(exclude_unset=True)
    fields: dict[str, Any] = {"name": f"{body.firstname} {body.lastname}".strip(),
                              "phone": body.phone}
    if "email" in given:
        fields["email"] = body.email
    for kind in ("status", "source"):
        if f"{kind}_id" in given:
            number = given[f"{kind}_id"]
            fields[kind] = resolve_field(call, kind, number, f"{kind}_id") if number else None
    if "group_id" in given:
        fields["group_ids"] = [resolve_field(call, "group", n, f"group_id.{i}")
                               for i, n in enumerate(body.group_id or [])]
    extras = {name: given[name] for name in CONTACT_EXTRAS if name in given}
    merged = {**custom, **{k: str(v) for k, v in extras.items() if v is not None}}
    fields["custom_fields"] = {k: v for k, v in merged.items()
                               if k not in extras or extras[k] is not None}
    return fields


@router.route("POST", f"{BASE}/contacts", scope="contacts:write", body=schemas.ContactIn,
              status=201)
def create_contact(call: Call, tenant: str) -> dict[str, Any]:
    """Create a contact (or lead): one per phone number."""
    own(call, tenant)
    fields = _fields(call, call.body(), {})
    try:
        created = call.services.address_book.create_contact(call.principal, fields)
    except Conflict as exc:
        _phone_taken(exc)
        raise
    return {"message": "Contact created successfully",
            "data": contact_json(Numbers(call), created)}


@router.route("GET", f"{BASE}/contacts", scope="contacts:read",
              query=(*PAGING, "status_id", "source_id", "group_id"))
def list_contacts(call: Call, tenant: str) -> dict[str, Any]:
    """The address book's contacts, oldest first, a page at a time (Laravel's paginator in
    ``data``); ``status_id``, ``source_id`` and ``group_id`` filter."""
    own(call, tenant)
    filters: dict[str, str | None] = {}
    for kind in ("status", "source", "group"):
        number = call.query(f"{kind}_id")
        filters[kind] = resolve(call, kind, number) if number else None
    book = call.services.address_book
    return listed(call, lambda limit, cursor: book.list_contacts(
        call.principal, limit, cursor, None, filters["status"], filters["source"],
        filters["group"]), "contact", contact_json)


@router.route("GET", f"{BASE}/contacts/{{id}}", scope="contacts:read")
def get_contact(call: Call, tenant: str, id: str) -> dict[str, Any]:  # noqa: A002
    """One contact."""
    own(call, tenant)
    found = call.services.address_book.get_contact(call.principal,
                                                   resolve(call, "contact", id))
    return {"data": contact_json(Numbers(call), found)}


@router.route("PUT", f"{BASE}/contacts/{{id}}", scope="contacts:write",
              body=schemas.ContactUpdate)
def update_contact(call: Call, tenant: str, id: str) -> dict[str, Any]:  # noqa: A002
    """Update a contact: ``firstname``, ``lastname`` and ``phone`` always, the rest when
    given."""
    own(call, tenant)
    book = call.services.address_book
    contact_id = resolve(call, "contact", id)
    stored = book.get_contact(call.principal, contact_id)
    changes = _fields(call, call.body(), stored.custom_fields)
    try:
        updated = book.update_contact(call.principal, contact_id, changes)
    except Conflict as exc:
        _phone_taken(exc)
        raise
    return {"message": "Contact updated successfully", "data": contact_json(Numbers(call),
                                                                            updated)}


@router.route("DELETE", f"{BASE}/contacts/{{id}}", scope="contacts:write")
def delete_contact(call: Call, tenant: str, id: str) -> dict[str, Any]:  # noqa: A002
    """Delete a contact."""
    own(call, tenant)
    call.services.address_book.delete_contact(call.principal, resolve(call, "contact", id))
    return {"message": "Contact deleted successfully"}


def _tag_routes(kind: TagKind, plural: str, title: str, create: type[Any],
                update: type[Any]) -> None:
    """WhatsMark's CRUD of statuses, sources or groups."""
    path, item = f"{BASE}/{plural}", f"{BASE}/{plural}/{{id}}"

    def fields(body: Any) -> dict[str, Any]:
        return body.model_dump(exclude_unset=True, include={"name", "color"})

    def create_tag(call: Call, tenant: str) -> dict[str, Any]:
        own(call, tenant)
        body = call.body()
        made = call.services.address_book.create_tag(call.principal, kind, body.name,
                                                     getattr(body, "color", None))
        return {"message": f"{title} created successfully", "data": tag_json(Numbers(call),
                                                                            made)}

    def list_tags(call: Call, tenant: str) -> dict[str, Any]:
        own(call, tenant)
        book = call.services.address_book
        return listed(call, lambda limit, cursor: book.list_tags(
            call.principal, kind, limit, cursor), kind, tag_json)

    def get_tag(call: Call, tenant: str, id: str) -> dict[str, Any]:  # noqa: A002
        own(call, tenant)
        found = call.services.address_book.get_tag(call.principal, kind,
                                                   resolve(call, kind, id))
        return {"data": tag_json(Numbers(call), found)}

    def update_tag(call: Call, tenant: str, id: str) -> dict[str, Any]:  # noqa: A002
        own(call, tenant)
        changes = fields(call.body())
        changed = call.services.address_book.update_tag(call.principal, kind,
                                                        resolve(call, kind, id), changes)
        return {"message": f"{title} updated successfully", "data": tag_json(Numbers(call),
                                                                            changed)}

    def delete_tag(call: Call, tenant: str, id: str) -> dict[str, Any]:  # noqa: A002
        own(call, tenant)
        call.services.address_book.delete_tag(call.principal, kind, resolve(call, kind, id))
        return {"message": f"{title} deleted successfully"}

    docs = {create_tag: f"Create a {kind}.",
            list_tags: f"The {plural}, oldest first, a page at a time (Laravel's paginator).",
            get_tag: f"One {kind}.", update_tag: f"Update a {kind} (the fields given).",
            delete_tag: f"Delete a {kind} no contact uses (one in use: 400)."}
    for fn, doc in docs.items():
        fn.__name__ = fn.__qualname__ = f"{fn.__name__}_{kind}"
        fn.__doc__ = doc
    router.route("POST", path, scope="contacts:write", body=create, status=201)(create_tag)
    router.route("GET", path, scope="contacts:read", query=PAGING)(list_tags)
    router.route("GET", item, scope="contacts:read")(get_tag)
    router.route("PUT", item, scope="contacts:write", body=update)(update_tag)
    router.route("DELETE", item, scope="contacts:write")(delete_tag)


_tag_routes("status", "statuses", "Status", schemas.StatusIn, schemas.StatusUpdate)
_tag_routes("source", "sources", "Source", schemas.NamedIn, schemas.NamedUpdate)
_tag_routes("group", "groups", "Group", schemas.NamedIn, schemas.NamedUpdate)
