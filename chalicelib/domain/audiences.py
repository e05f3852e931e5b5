"""Audiences: who a campaign (or an import) reaches, and the variables each one brings.

Pure rules: a CSV text (a header row, then one recipient a row) or an inline list becomes an
``Audience``: valid recipients with their phone as a JID string, per-row errors (never fatal),
and how many duplicates were dropped (the first row of a number wins). Bounded: rows, columns,
cell bytes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.jids import parse_jid
from chalicelib.domain.text import utf8_bytes

MAX_ROWS = 100_000
MAX_VARIABLES = 20  # variable columns of a CSV besides the phone
MAX_ROW_VARIABLES = 50  # variables of one recipient (as a message's variables)
MAX_CELL_BYTES = 1024
MAX_NAME_CHARS = 64  # a column (variable) name
PREVIEW_ERRORS = 20
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_URL_SECONDS = 3600
_UPLOAD_ID = re.compile(r"upl_[0-9A-HJKMNP-TV-Z]{26}", re.ASCII)
# Header names (case-insensitive) that mark the phone column; without one, the first column.
PHONE_COLUMNS = ("phone", "to", "number", "mobile", "whatsapp")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*", re.ASCII)  # what {{name}} accepts
_SPACES = re.compile(r"\s+")
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class Recipient:
    to: str  # a JID string, e.g. "14155552671@s.whatsapp.net"
    variables: dict[str, str] = field(default_factory=dict)
    row: int = field(default=0, compare=False)  # where it came from (as RowError.row)


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that reaches nobody: its number (CSV: the line, the header being 1; inline
    lists: the index), the value at fault and why."""

    row: int
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class Audience:
    recipients: list[Recipient]
    errors: list[RowError]
    duplicates: int
    columns: list[str]  # the variables each recipient carries

    @property
    def rows(self) -> int:
        """Rows read (valid, invalid and duplicate)."""
        return len(self.recipients) + len(self.errors) + self.duplicates


@dataclass(frozen=True, slots=True)
class Upload:
    """A CSV file a tenant puts in the store through a presigned URL, for a campaign or an
    address book import (``uploads/<tenant>/<id>.csv``)."""

    id: str
    tenant_id: str
    created_at: str
    expires_at: str  # when the URL stops accepting the file
    max_bytes: int


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """What arrived: its size, and its bytes unless it is larger than asked for."""

    size: int
    data: bytes | None


def is_upload_id(value: str) -> bool:
    return _UPLOAD_ID.fullmatch(value) is not None


def too_many_rows(field_name: str) -> ValidationFailed:
    return ValidationFailed.field(field_name, f"has more than {MAX_ROWS:,} rows (the limit)")


def collect(rows: Iterable[tuple[str, dict[str, str]]], start: int = 0,
            field_name: str = "recipients") -> Audience:
    """Recipients from ``(to, variables)`` pairs: each number normalised (any common form:
    ``+1 415…``, digits, ``…@c.us``, ``…@s.whatsapp.net``), an invalid one or an oversized
    value a ``RowError`` (rows numbered from ``start``), a repeated number dropped. More than
    ``MAX_ROWS`` rows is a 422 naming ``field_name``."""
    numbered = ((start + i, to, variables, None) for i, (to, variables) in enumerate(rows))
    return _gather(numbered, field_name, None)


def _gather(rows: Iterable[tuple[int, str, dict[str, str], str | None]], field_name: str,
            columns: list[str] | None) -> Audience:
    """The audience of numbered rows ``(row, to, variables, unreadable)``; ``columns`` None:
    the variables seen, in order of first appearance."""
    recipients: list[Recipient] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    duplicates = 0
    names: dict[str, None] = dict.fromkeys(columns or [])
    for count, (row, to, variables, unreadable) in enumerate(rows):
        if count >= MAX_ROWS:
            raise too_many_rows(field_name)
        problem = ("", unreadable) if unreadable else _check_variables(variables)
        if problem:
            errors.append(RowError(row, *problem))
            continue
        try:
            jid = parse_jid(to, "to")
        except ValidationFailed as exc:
            message = exc.details[0]["message"] if exc.details else exc.message
            errors.append(RowError(row, (to or "")[:64], message))
            continue
        if not jid.is_user:
            errors.append(RowError(row, (to or "")[:64], "must be a phone number"))
            continue
        key = str(jid)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        if columns is None:
            names.update(dict.fromkeys(variables))
        recipients.append(Recipient(key, dict(variables), row))
    return Audience(recipients, errors, duplicates, list(names))


def _check_variables(variables: dict[str, str]) -> tuple[str, str] | None:
    """The value at fault and why, or None when the variables are within bounds."""
    if len(variables) > MAX_ROW_VARIABLES:
        return "", f"has more than {MAX_ROW_VARIABLES} variables"
    for name, value in variables.items():
        if not _VARIABLE.fullmatch(name) or len(name) > MAX_NAME_CHARS:
            return name[:64], "is not a variable name (letters, digits, _ . -)"
        if not isinstance(value, str) or utf8_bytes(value) > MAX_CELL_BYTES:
            return name, f"{name}: may be at most {MAX_CELL_BYTES} bytes"
    return None


def parse_csv(data: bytes | str, field_name: str = "upload_id") -> Audience:
    """An audience from a CSV file: the first row names the columns (``,`` ``;`` tab or ``|``
    between cells). The phone column is the one named phone, to, number, mobile or whatsapp
    (any case), else the first; every other column is a variable (``{{column}}``, spaces in its
    name become ``_``). A 422 naming ``field_name`` when the file is not UTF-8 text, has no
    header, names a column twice or badly, has more than ``MAX_VARIABLES`` variable columns or
    more than ``MAX_ROWS`` rows."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.field(field_name, "is not UTF-8 text") from exc
    if "\x00" in text:
        raise ValidationFailed.field(field_name, "is not a text (CSV) file")
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationFailed.field(field_name, f"has an unreadable header: {exc}") from exc
    if not header or not any(cell.strip() for cell in header):
        raise ValidationFailed.field(field_name, "is empty: the first row must name the columns")
    names = _column_names(header, field_name)
    phone_at = next((i for i, name in enumerate(names) if name.lower() in PHONE_COLUMNS), 0)
    variables = [(i, name) for i, name in enumerate(names) if i != phone_at]
    if len(variables) > MAX_VARIABLES:
        raise ValidationFailed.field(field_name, f"has {len(variables)} variable columns; at "
                                                 f"most {MAX_VARIABLES} besides the phone")
    return _gather(_rows(reader, phone_at, variables), field_name,
                   [name for _, name in variables])


def _column_names(header: list[str], field_name: str) -> list[str]:
    names: list[str] = []
    for i, cell in enumerate(header):
        name = _SPACES.sub("_", cell.strip()) or f"column_{i + 1}"
        if not _VARIABLE.fullmatch(name) or len(name) > MAX_NAME_CHARS:
            raise ValidationFailed.field(
                field_name, f"column {i + 1} ({cell[:64]!r}) is not a usable variable name: "
                            f"letters, digits, _ . - (at most {MAX_NAME_CHARS})")
        if name in names:
            raise ValidationFailed.field(field_name, f"names the column {name!r} twice")
        names.append(name)
    return names


def _rows(reader: Any, phone_at: int, variables: list[tuple[int, str]],
          ) -> Iterator[tuple[int, str, dict[str, str], str | None]]:
    """Each non-blank data row as ``(line, phone, variables, None)``; a row the CSV reader
    cannot read as ``(line, "", {}, why)``."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, "", {}, f"is not valid CSV: {exc}"
            continue
        if not any(cell.strip() for cell in cells):
            continue
        phone = cells[phone_at].strip() if phone_at < len(cells) else ""
        yield reader.line_num, phone, {name: (cells[i].strip() if i < len(cells) else "")
                                       for i, name in variables}, None
