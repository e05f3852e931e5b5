"""/v1/address-book: the tenant's own contacts (not a session's WhatsApp contacts, which are
/v1/sessions/{id}/contacts), their statuses, sources and groups, and CSV imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint, page_json

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)
CONTACTS = "/address-book/contacts"


def _out(contact: Any) -> Any:
    from chalicelib.api.v1.schemas.address_book import ContactOut

    return ContactOut.of(contact)


def _tag_out(tag: Any) -> Any:
    from chalicelib.api.v1.schemas.address_book import TagOut

    return TagOut.of(tag)


@bp.route(CONTACTS, methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="contacts:write", body="address_book:ContactIn",
          out="address_book:ContactOut", status=201, idempotent=True,
          responses={409: "phone_taken: another contact has the number"})
def create_book_contact(request: Request, principal: Principal) -> Any:
    """Add a contact to the address book (one per number)."""
    fields = request.body().model_dump()
    return _out(container().address_book.create_contact(principal, fields))


@bp.route(CONTACTS, methods=["GET"])
@endpoint(bp, scope="contacts:read", out="address_book:Page[ContactOut]",
          query=("q", "contact_status", "source", "group_id", "limit", "cursor"))
def list_book_contacts(request: Request, principal: Principal) -> dict[str, Any]:
    """The address book's contacts, oldest first, that match every filter given (a filtered
    page may hold fewer than ``limit`` with a ``next_cursor``: keep paging)."""
    limit, cursor = request.page_args()
    page = container().address_book.list_contacts(
        principal, limit, cursor, request.query("q"), request.query("status"),
        request.query("source"), request.query("group_id"))
    return page_json(page, _out)


@bp.route(CONTACTS + "/import", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="contacts:write", body="address_book:ImportIn",
          out="address_book:ImportOut", idempotent=True)
def import_book_contacts(request: Request, principal: Principal) -> Any:
    """Import an uploaded CSV (up to 100,000 rows): its phone column, ``name`` and ``email``
    columns, every other column a custom field. A number already in the book updates its
    contact (empty cells keep what it has; the groups are added); every row not imported is
    reported."""
    from chalicelib.api.v1.schemas.address_book import ImportOut

    body = request.body()
    return ImportOut.of(container().address_book.import_contacts(
        principal, body.upload_id, body.group_ids, body.status, body.source))


@bp.route(CONTACTS + "/{contact_id}", methods=["GET"])
@endpoint(bp, scope="contacts:read", out="address_book:ContactOut")
def get_book_contact(request: Request, principal: Principal, contact_id: str) -> Any:
    """One contact of the address book."""
    return _out(container().address_book.get_contact(principal, contact_id))


@bp.route(CONTACTS + "/{contact_id}", methods=["PATCH"], content_types=JSON_TYPES)
@endpoint(bp, scope="contacts:write", body="address_book:ContactPatch",
          out="address_book:ContactOut",
          responses={409: "phone_taken: another contact has the number"})
def update_book_contact(request: Request, principal: Principal, contact_id: str) -> Any:
    """Change a contact's fields (those given; null clears one)."""
    changes = request.body().model_dump(exclude_unset=True)
    return _out(container().address_book.update_contact(principal, contact_id, changes))


@bp.route(CONTACTS + "/{contact_id}", methods=["DELETE"])
@endpoint(bp, scope="contacts:write", out="common:Deleted")
def delete_book_contact(request: Request, principal: Principal, contact_id: str) -> Any:
    """Delete a contact (its number may be added again)."""
    container().address_book.delete_contact(principal, contact_id)
    return {"deleted": True, "id": contact_id}


def _tag_routes(kind: str, plural: str) -> None:
    """CRUD of one kind of tag: ``/address-book/<plural>`` and ``/…/{<kind>_id}``."""
    path, item = f"/address-book/{plural}", f"/address-book/{plural}/{{{kind}_id}}"

    def route(fn: Callable[..., Any], name: str, doc: str, path: str, method: str,
              **spec: Any) -> None:
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = doc
        options = {"content_types": JSON_TYPES} if "body" in spec else {}
        bp.route(path, methods=[method], **options)(endpoint(bp, **spec)(fn))

    def create(request: Request, principal: Principal) -> Any:
        body = request.body()
        return _tag_out(container().address_book.create_tag(principal, kind, body.name,
                                                            body.color))

    def list_all(request: Request, principal: Principal) -> dict[str, Any]:
        limit, cursor = request.page_args()
        return page_json(container().address_book.list_tags(principal, kind, limit, cursor),
                         _tag_out)

    def get(request: Request, principal: Principal, **ids: str) -> Any:
        return _tag_out(container().address_book.get_tag(principal, kind, ids[f"{kind}_id"]))

    def update(request: Request, principal: Principal, **ids: str) -> Any:
        changes = request.body().model_dump(exclude_unset=True)
        return _tag_out(container().address_book.update_tag(principal, kind,
                                                            ids[f"{kind}_id"], changes))

    def delete(request: Request, principal: Principal, **ids: str) -> Any:
        tag_id = ids[f"{kind}_id"]
        container().address_book.delete_tag(principal, kind, tag_id)
        return {"deleted": True, "id": tag_id}

    route(create, f"create_book_{kind}", f"Create a contact {kind} (a name, an optional color).",
          path, "POST", scope="contacts:write", body="address_book:TagIn",
          out="address_book:TagOut", status=201, idempotent=True)
    route(list_all, f"list_book_{plural}", f"The address book's {plural}, oldest first.", path,
          "GET", scope="contacts:read", out="address_book:Page[TagOut]",
          query=("limit", "cursor"))
    route(get, f"get_book_{kind}", f"One {kind}.", item, "GET", scope="contacts:read",
          out="address_book:TagOut")
    route(update, f"update_book_{kind}", f"Rename or recolor a {kind} (color null: none).", item,
          "PATCH", scope="contacts:write", body="address_book:TagPatch",
          out="address_book:TagOut")
    route(delete, f"delete_book_{kind}", f"Delete a {kind} no contact uses (one in use is a 409 "
                                    "in_use: take it off its contacts first).", item, "DELETE",
          scope="contacts:write", out="common:Deleted",
          responses={409: "in_use: a contact has it"})


for _kind, _plural in (("status", "statuses"), ("source", "sources"), ("group", "groups")):
    _tag_routes(_kind, _plural)
