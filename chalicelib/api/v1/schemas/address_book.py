"""The tenant's address book: contacts, statuses, sources, groups, imports."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Id, Name, Out, text, token
from chalicelib.api.v1.schemas.uploads import RowErrorOut
from chalicelib.domain.address_book import (
    EMAIL_MAX_CHARS,
    FIELD_VALUE_MAX_BYTES,
    MAX_CUSTOM_FIELDS,
    MAX_GROUPS,
    TAG_NAME_MAX_CHARS,
    Contact,
    Tag,
)
from chalicelib.services.address_book import ImportResult

MAX_IMPORT_ERRORS = 1000  # errors an import answer lists (``invalid`` counts them all)
Phone = token(32)
Email = token(EMAIL_MAX_CHARS)
Color = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")]
TagName = token(TAG_NAME_MAX_CHARS)
CustomFields = Annotated[dict[Id, text(FIELD_VALUE_MAX_BYTES, 0)],
                         Field(max_length=MAX_CUSTOM_FIELDS,
                               description="Your own fields: each is a campaign variable "
                                           "({{field}}); names are letters, digits, _ . -")]
GroupIds = Annotated[list[Id], Field(max_length=MAX_GROUPS)]


class ContactIn(Body):
    phone: Phone = Field(description="E.164 (+14155552671), its digits, or a WhatsApp JID; "
                                     "one contact per number.")
    name: Name | None = None
    email: Email | None = None
    custom_fields: CustomFields = Field(default_factory=dict)
    status: Id | None = Field(default=None, description="A status id.")
    source: Id | None = Field(default=None, description="A source id.")
    group_ids: GroupIds = Field(default_factory=list)


class ContactPatch(Body):
    """The fields to change; null clears name, email, status and source, and empties
    custom_fields and group_ids (both are replaced whole)."""

    phone: Phone | None = None
    name: Name | None = None
    email: Email | None = None
    custom_fields: CustomFields | None = None
    status: Id | None = None
    source: Id | None = None
    group_ids: GroupIds | None = None


class ContactOut(Out):
    id: str
    name: str | None
    phone: str
    email: str | None
    custom_fields: dict[str, str]
    status: str | None
    source: str | None
    group_ids: list[str]
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        return cls.model_validate(contact.model_dump(exclude={"tenant_id"}))


class ImportIn(Body):
    upload_id: Id = Field(description="From POST /v1/campaigns/uploads, the CSV put to its "
                                      "URL.")
    group_ids: GroupIds = Field(default_factory=list, description="Groups every imported "
                                                                  "contact joins.")
    status: Id | None = Field(default=None, description="A status id every imported contact "
                                                        "gets.")
    source: Id | None = Field(default=None, description="A source id every imported contact "
                                                        "gets.")


class ImportOut(Out):
    rows: int = Field(description="Data rows read (blank lines aside).")
    created: int
    updated: int = Field(description="Rows whose number was a contact already.")
    duplicates: int = Field(description="Rows whose number came earlier in the file.")
    invalid: int
    errors: list[RowErrorOut] = Field(description=f"The first {MAX_IMPORT_ERRORS} rows not "
                                                  "imported, and why.")

    @classmethod
    def of(cls, result: ImportResult) -> ImportOut:
        return cls(rows=result.rows, created=result.created, updated=result.updated,
                   duplicates=result.duplicates, invalid=len(result.errors),
                   errors=[RowErrorOut.of(e) for e in result.errors[:MAX_IMPORT_ERRORS]])


class TagIn(Body):
    name: TagName
    color: Color | None = None


class TagPatch(Body):
    name: TagName | None = None
    color: Color | None = Field(default=None, description="null: no color.")


class TagOut(Out):
    id: str
    name: str
    color: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, tag: Tag) -> TagOut:
        return cls.model_validate(tag.model_dump(exclude={"tenant_id", "kind"}))
