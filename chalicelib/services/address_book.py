"""The tenant's address book: contacts with statuses, sources and groups, CSV imports through
the upload path, and the audience of some groups that a campaign reaches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from chalicelib.domain import clock, ids
from chalicelib.domain.address_book import (
    CONTACT_PREFIX,
    FIXED_VARIABLES,
    MAX_AUDIENCE,
    MAX_CUSTOM_FIELDS,
    MAX_GROUPS,
    TAG_PREFIXES,
    Contact,
    Tag,
    TagKind,
    check_custom_fields,
    check_email,
    search_term,
)
from chalicelib.domain.audiences import Audience, Recipient, RowError, collect
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.paging import Page
from chalicelib.services.ports import AddressBookRepo
from chalicelib.services.uploads import UploadService

CONTACT_FIELDS = ("name", "phone", "email", "custom_fields", "status", "source", "group_ids")
_PLURALS: dict[TagKind, str] = {"status": "statuses", "source": "sources", "group": "groups"}


class ImportResult(NamedTuple):
    created: int
    updated: int
    duplicates: int
    errors: list[RowError]  # every row not imported

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.duplicates + len(self.errors)


class AddressBookService:
    def __init__(self, repo: AddressBookRepo, uploads: UploadService) -> None:
        self._repo = repo
        self._uploads = uploads

    # --- contacts ---

    def create_contact(self, caller: Principal, fields: dict[str, Any]) -> Contact:
        """A new contact; 409 ``phone_taken`` when the number is another contact's."""
        now = clock.now_iso()
        contact = self._checked(caller.tenant_id, {
            "id": f"{CONTACT_PREFIX}_{ids.new_id()}", "tenant_id": caller.tenant_id,
            "created_at": now, "updated_at": now, **fields})
        if not self._repo.create_contact(contact):
            raise _phone_taken(contact.phone)
        return contact

    def contact_for(self, caller: Principal, phone: str,
                    fields: dict[str, Any]) -> tuple[Contact, bool]:
        """The contact of ``phone`` and whether it is new: the one the book has, or one made
        from ``fields`` (the number as its name when none is given) for a number it lacks."""
        jid = parse_jid(phone, "phone")
        if not jid.is_user:
            raise ValidationFailed.field("phone", "must be a phone number")
        digits = jid.phone.lstrip("+")
        for _ in range(2):  # a twin request may claim the number between the look and the write
            owner = self._repo.phone_owner(caller.tenant_id, digits)
            stored = self._repo.get_contact(caller.tenant_id, owner) if owner else None
            if stored is not None:
                return stored, False
            try:
                return self.create_contact(caller, {"name": digits, **fields,
                                                    "phone": jid.phone}), True
            except Conflict as exc:
                if exc.code != "phone_taken":
                    raise
        raise _phone_taken(jid.phone)

    def get_contact(self, caller: Principal, contact_id: str) -> Contact:
        contact = self._repo.get_contact(caller.tenant_id, contact_id)
        if contact is None:
            raise NotFound("contact not found")
        return contact

    def update_contact(self, caller: Principal, contact_id: str,
                       changes: dict[str, Any]) -> Contact:
        """Change the fields given (null clears name, email, status and source; empties
        custom_fields and group_ids, which are replaced whole)."""
        stored = self.get_contact(caller, contact_id)
        if "phone" in changes and changes["phone"] is None:
            raise ValidationFailed.field("phone", "may not be null")
        cleared = {"custom_fields": {}, "group_ids": []}
        merged = {**stored.model_dump(),
                  **{k: (cleared.get(k) if v is None else v) for k, v in changes.items()},
                  "updated_at": clock.now_iso()}
        contact = self._checked(caller.tenant_id, merged, changes)
        outcome = self._repo.replace_contact(contact, stored.digits)
        if outcome == "phone":
            raise _phone_taken(contact.phone)
        if outcome == "contact":
            raise NotFound("contact not found")
        return contact

    def delete_contact(self, caller: Principal, contact_id: str) -> Contact:
        contact = self._repo.delete_contact(caller.tenant_id, contact_id)
        if contact is None:
            raise NotFound("contact not found")
        return contact

    def list_contacts(self, caller: Principal, limit: int, cursor: str | None,
                      q: str | None = None, status: str | None = None,
                      source: str | None = None, group_id: str | None = None) -> Page:
        term = search_term(q) if q else None
        return self._repo.list_contacts(caller.tenant_id, limit, cursor, term or None, status,
                                        source, group_id)

    def _checked(self, tenant_id: str, data: dict[str, Any],
                 changed: dict[str, Any] | None = None) -> Contact:
        """The contact ``data`` describes, its number normalised and every reference checked
        (only those in ``changed``, when given): 422 naming the field at fault."""
        changed = data if changed is None else changed
        jid = parse_jid(data["phone"], "phone")
        if not jid.is_user:
            raise ValidationFailed.field("phone", "must be a phone number")
        data = {**data, "phone": jid.phone}
        check_email(data.get("email"))
        check_custom_fields(data.get("custom_fields") or {})
        if "group_ids" in changed:
            data["group_ids"] = self._check_groups(tenant_id, data.get("group_ids") or [],
                                                   "group_ids")
        for kind in ("status", "source"):
            if changed.get(kind) is not None:
                self._check_tag(tenant_id, kind, data[kind], kind)
        return Contact.model_validate(data)

    # --- import ---

    def import_contacts(self, caller: Principal, upload_id: str, group_ids: Sequence[str] = (),
                        status: str | None = None, source: str | None = None) -> ImportResult:
        """Contacts from an uploaded CSV: its phone column, ``name`` and ``email`` columns
        (any case) as those fields and every other column a custom field. A number already in
        the book updates that contact (cells left empty keep what it has; the groups are
        added); each row that cannot be imported is reported, never fatal."""
        groups = self._check_groups(caller.tenant_id, group_ids, "group_ids")
        for kind, tag_id in (("status", status), ("source", source)):
            if tag_id is not None:
                self._check_tag(caller.tenant_id, kind, tag_id, kind)  # type: ignore[arg-type]
        try:
            audience = self._uploads.audience(caller.tenant_id, upload_id)
        except NotFound as exc:
            raise ValidationFailed.field("upload_id", "no such upload") from exc
        owners = self._repo.phone_owners(caller.tenant_id)
        numbers = (r.to.partition("@")[0] for r in audience.recipients)
        known = {c.digits: c for c in self._repo.get_contacts(
            caller.tenant_id, [owners[d] for d in numbers if d in owners])}
        now = clock.now_iso()
        created: list[Contact] = []
        updated: list[Contact] = []
        errors = list(audience.errors)
        for recipient in audience.recipients:
            try:
                contact = _imported(caller.tenant_id, recipient, known, groups, status, source,
                                    now)
            except ValidationFailed as exc:
                errors.append(RowError(recipient.row, recipient.to.partition("@")[0],
                                       exc.message))
                continue
            (updated if contact.digits in known else created).append(contact)
        self._repo.put_contacts(created + updated, claim=created)
        errors.sort(key=lambda e: e.row)
        return ImportResult(len(created), len(updated), audience.duplicates, errors)

    # --- statuses, sources, groups ---

    def create_tag(self, caller: Principal, kind: TagKind, name: str,
                   color: str | None) -> Tag:
        now = clock.now_iso()
        tag = Tag(id=f"{TAG_PREFIXES[kind]}_{ids.new_id()}", tenant_id=caller.tenant_id,
                  kind=kind, name=name, color=color, created_at=now, updated_at=now)
        self._repo.put_tag(tag, must_exist=False)
        return tag

    def get_tag(self, caller: Principal, kind: TagKind, tag_id: str) -> Tag:
        tag = self._repo.get_tag(caller.tenant_id, kind, tag_id)
        if tag is None:
            raise NotFound(f"{kind} not found")
        return tag

    def list_tags(self, caller: Principal, kind: TagKind, limit: int,
                  cursor: str | None) -> Page:
        return self._repo.list_tags(caller.tenant_id, kind, limit, cursor)

    def update_tag(self, caller: Principal, kind: TagKind, tag_id: str,
                   changes: dict[str, Any]) -> Tag:
        """Rename or recolor (``color`` null: none)."""
        if "name" in changes and changes["name"] is None:
            raise ValidationFailed.field("name", "may not be null")
        tag = self.get_tag(caller, kind, tag_id).model_copy(
            update={**changes, "updated_at": clock.now_iso()})
        if not self._repo.put_tag(tag, must_exist=True):
            raise NotFound(f"{kind} not found")
        return tag

    def delete_tag(self, caller: Principal, kind: TagKind, tag_id: str) -> Tag:
        """Delete a status, source or group no contact uses; one in use is a 409 ``in_use``
        (move its contacts first: deleting never changes contacts behind your back)."""
        self.get_tag(caller, kind, tag_id)
        user = next(self._repo.contacts(caller.tenant_id, uses=(kind, tag_id)), None)
        if user is not None:
            raise Conflict(f"the {kind} is in use (by contact {user.id} and maybe more): take "
                           f"it off its contacts first", code="in_use",
                           details=[{"field": kind, "contact_id": user.id}])
        tag = self._repo.delete_tag(caller.tenant_id, kind, tag_id)
        if tag is None:
            raise NotFound(f"{kind} not found")
        return tag

    # --- what campaigns reach ---

    def audience(self, tenant_id: str, group_ids: list[str]) -> Audience:
        """Every contact in any of ``group_ids``, once per number, with the variables name,
        email, phone and its custom fields. ValidationFailed on ``audience.group_ids`` for an
        unknown group, none, more than ``MAX_GROUPS``, or more than ``MAX_AUDIENCE``
        contacts."""
        field = "audience.group_ids"
        if not group_ids:
            raise ValidationFailed.field(field, "must name at least one group")
        groups = self._check_groups(tenant_id, group_ids, field)
        contacts: list[Contact] = []
        for contact in self._repo.contacts(tenant_id, groups):
            if len(contacts) >= MAX_AUDIENCE:
                raise ValidationFailed.field(field, f"reach more than {MAX_AUDIENCE:,} "
                                                    "contacts (the limit)")
            contacts.append(contact)
        return collect(((c.phone, c.variables()) for c in contacts), field_name=field)

    # --- references ---

    def _check_groups(self, tenant_id: str, group_ids: Sequence[str], field: str) -> list[str]:
        groups = list(dict.fromkeys(group_ids))
        if len(groups) > MAX_GROUPS:
            raise ValidationFailed.field(field, f"may name at most {MAX_GROUPS} groups")
        if groups:
            existing = self._repo.existing_tags(tenant_id, "group", groups)
            for i, group_id in enumerate(group_ids):
                if group_id not in existing:
                    raise ValidationFailed.field(f"{field}[{i}]", "no such group")
        return groups

    def _check_tag(self, tenant_id: str, kind: TagKind, tag_id: str, field: str) -> None:
        if self._repo.get_tag(tenant_id, kind, tag_id) is None:
            raise ValidationFailed.field(field, f"no such {kind}: see /v1/address-book/"
                                                f"{_PLURALS[kind]}")


def _phone_taken(phone: str) -> Conflict:
    return Conflict(f"another contact has the number {phone}", code="phone_taken",
                    details=[{"field": "phone", "message": "is another contact's"}])


def _imported(tenant_id: str, recipient: Recipient, known: dict[str, Contact],
              groups: list[str], status: str | None, source: str | None, now: str) -> Contact:
    """The contact a CSV row makes: a new one, or the known one of its number updated."""
    digits = recipient.to.partition("@")[0]
    fields: dict[str, str] = {}
    custom: dict[str, str] = {}
    for column, value in recipient.variables.items():
        if not value:
            continue
        if column.lower() in ("name", "email"):
            fields[column.lower()] = value
        elif column.lower() not in FIXED_VARIABLES:
            custom[column] = value
    check_email(fields.get("email"), "email")
    stored = known.get(digits)
    if stored is None:
        contact = Contact(id=f"{CONTACT_PREFIX}_{ids.new_id()}", tenant_id=tenant_id,
                          phone=f"+{digits}", custom_fields=custom, status=status,
                          source=source, group_ids=groups, created_at=now, updated_at=now,
                          **fields)
    else:
        merged_groups = list(dict.fromkeys(stored.group_ids + groups))
        if len(merged_groups) > MAX_GROUPS:
            raise ValidationFailed.field("group_ids", f"the contact would be in more than "
                                                      f"{MAX_GROUPS} groups")
        contact = stored.model_copy(update={
            **fields, "custom_fields": {**stored.custom_fields, **custom},
            "group_ids": merged_groups, "status": status or stored.status,
            "source": source or stored.source, "updated_at": now})
    if len(contact.custom_fields) > MAX_CUSTOM_FIELDS:
        raise ValidationFailed.field("custom_fields", f"the contact would have more than "
                                                      f"{MAX_CUSTOM_FIELDS} custom fields")
    return contact
