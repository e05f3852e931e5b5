"""The tenant's address book: contacts (one per phone number) with custom fields, a status, a
source and groups, and the statuses, sources and groups themselves ("tags").

Pure rules: bounds, what a contact is searched by, and the variables a contact brings to a
campaign. Not WhatsApp's contacts of a session (``domain/people.py``): these belong to the
tenant, whatever the session.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.text import utf8_bytes

TagKind = Literal["status", "source", "group"]
TAG_PREFIXES: dict[TagKind, str] = {"status": "sts", "source": "src", "group": "grp"}
CONTACT_PREFIX = "ctc"
NAME_MAX_CHARS = 200
EMAIL_MAX_CHARS = 254
TAG_NAME_MAX_CHARS = 64
MAX_CUSTOM_FIELDS = 20
FIELD_NAME_MAX_CHARS = 64
FIELD_VALUE_MAX_BYTES = 1024
MAX_GROUPS = 20  # groups of one contact, and of one audience
MAX_AUDIENCE = 100_000
FIXED_VARIABLES = ("name", "email", "phone")  # a contact's variables besides custom fields
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*", re.ASCII)  # a {{variable}} name
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
COLOR = re.compile(r"#[0-9A-Fa-f]{6}", re.ASCII)
_DIGITS_ONLY = re.compile(r"[\d\s()+.-]+", re.ASCII)


class Contact(BaseModel):
    id: str
    tenant_id: str
    name: str | None = None
    phone: str  # E.164
    email: str | None = None
    custom_fields: dict[str, str] = Field(default_factory=dict)
    status: str | None = None  # a status id
    source: str | None = None  # a source id
    group_ids: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str

    @property
    def digits(self) -> str:
        return self.phone.lstrip("+")

    def search_text(self) -> str:
        """What ``q`` is matched against: name, number digits and email, folded."""
        return "\n".join((self.name or "", self.digits, self.email or "")).casefold()

    def variables(self) -> dict[str, str]:
        """What the contact brings to a campaign's ``{{variables}}``: its custom fields, and
        name, email and phone (these win over custom fields of the same name)."""
        return {**self.custom_fields, "name": self.name or "", "email": self.email or "",
                "phone": self.phone}


class Tag(BaseModel):
    """A status, a source or a group of contacts."""

    id: str
    tenant_id: str
    kind: TagKind
    name: str
    color: str | None = None  # "#RRGGBB"
    created_at: str
    updated_at: str


def search_term(q: str) -> str:
    """``q`` as matched against ``Contact.search_text``: a number typed in any form becomes
    its digits."""
    q = q.strip()
    if _DIGITS_ONLY.fullmatch(q) and any(c.isdigit() for c in q):
        return re.sub(r"\D", "", q)
    return q.casefold()


def check_email(email: str | None, field: str = "email") -> None:
    if email is not None and (len(email) > EMAIL_MAX_CHARS or not _EMAIL.fullmatch(email)):
        raise ValidationFailed.field(field, "is not an email address")


def check_custom_fields(fields: dict[str, str], field: str = "custom_fields") -> None:
    """At most ``MAX_CUSTOM_FIELDS``, each named like a ``{{variable}}`` (not name, email or
    phone) and at most ``FIELD_VALUE_MAX_BYTES`` long."""
    if len(fields) > MAX_CUSTOM_FIELDS:
        raise ValidationFailed.field(field, f"may have at most {MAX_CUSTOM_FIELDS} fields")
    for name, value in fields.items():
        if not _FIELD_NAME.fullmatch(name) or len(name) > FIELD_NAME_MAX_CHARS:
            raise ValidationFailed.field(f"{field}.{name[:64]}", "is not a field name: letters, "
                                         f"digits, _ . - (at most {FIELD_NAME_MAX_CHARS})")
        if name.lower() in FIXED_VARIABLES:
            raise ValidationFailed.field(f"{field}.{name}", "is a contact field of its own")
        if utf8_bytes(value) > FIELD_VALUE_MAX_BYTES:
            raise ValidationFailed.field(f"{field}.{name}", f"may be at most "
                                                            f"{FIELD_VALUE_MAX_BYTES} bytes")
