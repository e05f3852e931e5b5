"""Audiences from CSV files and inline lists: numbers in any common form become one JID,
invalid rows are reported and never abort, duplicates are sent once, everything is bounded."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.audiences import (
    MAX_ROW_VARIABLES,
    MAX_ROWS,
    MAX_VARIABLES,
    RowError,
    collect,
    is_upload_id,
    parse_csv,
)
from chalicelib.domain.errors import ValidationFailed

JID = "14155552671@s.whatsapp.net"
VALID = ["+14155552671", "+4915112345678", "+447911123456", "+5511987654321", "+819012345678"]


@pytest.mark.parametrize("form", ["+1 415 555 2671", "14155552671", "+1 (415) 555-2671",
                                  "0014155552671", "14155552671@c.us", JID,
                                  "14155552671:3@s.whatsapp.net"])
def test_every_common_form_of_a_number_is_one_jid(form: str):
    audience = collect([(form, {})])
    assert [r.to for r in audience.recipients] == [JID]


def test_the_phone_column_is_found_by_name_else_it_is_the_first():
    named = parse_csv("Name;WhatsApp;city\nAnn;+14155552671;Rome\n")
    assert [(r.to, r.variables) for r in named.recipients] == [
        (JID, {"Name": "Ann", "city": "Rome"})]
    assert named.columns == ["Name", "city"]
    first = parse_csv("cell\tfirst name\n14155552671\tAnn\n")
    assert [(r.to, r.variables) for r in first.recipients] == [(JID, {"first_name": "Ann"})]


def test_invalid_rows_are_reported_by_line_and_blank_lines_skipped():
    audience = parse_csv("phone,x\n\n+14155552671,1\nnope,2\n+1,3\n,4\n")
    assert audience.errors == [
        RowError(4, "nope", "must be a phone number in international format, e.g. "
                            "+14155552671"),
        RowError(5, "+1", "must be a phone number in international format, e.g. "
                          "+14155552671"),
        RowError(6, "", "must be a phone number in international format, e.g. "
                        "+14155552671")]
    assert audience.rows == 4 and len(audience.recipients) == 1


def test_a_group_or_an_oversized_value_is_a_row_error():
    audience = collect([("120363025246125888@g.us", {}), ("+14155552671", {"a": "x" * 1025}),
                        ("+14155552671", {"{{a}}": "1"}),
                        ("+14155552671", {f"v{i}": "" for i in range(MAX_ROW_VARIABLES + 1)})])
    assert [e.row for e in audience.errors] == [0, 1, 2, 3]
    assert audience.recipients == []


def test_a_missing_cell_is_an_empty_variable():
    audience = parse_csv("phone,a,b\n+14155552671,1\n")
    assert audience.recipients[0].variables == {"a": "1", "b": ""}


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"), (",,\n", "empty"), ("phone,a,A b,a\n", "twice"),
    ("phone,{{x}}\n", "variable name"), ("phone,\x00\n", "CSV"),
    ("phone," + ",".join(f"c{i}" for i in range(MAX_VARIABLES + 1)) + "\n", "at most 20"),
])
def test_a_file_without_a_usable_header_is_422(text: str, words: str):
    with pytest.raises(ValidationFailed, match=words) as failed:
        parse_csv(text, "upload_id")
    assert failed.value.details[0]["field"] == "upload_id"


def test_more_rows_than_the_limit_is_422_naming_it():
    with pytest.raises(ValidationFailed, match="100,000 rows"):
        collect(("+14155552671", {}) for _ in range(MAX_ROWS + 1))
    assert collect(("+14155552671", {}) for _ in range(MAX_ROWS)).duplicates == MAX_ROWS - 1


def test_upload_ids_are_recognised():
    assert is_upload_id("upl_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    for other in ("upl_01ARZ3NDEKTSV4RRFFQ69G5FA", "../x", "upl_01ARZ3NDEKTSV4RRFFQ69G5FAV/"):
        assert not is_upload_id(other)


# No NUL (not a CSV) and no lone surrogates (not text a file can hold).
text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
               max_size=20)
rows = st.lists(st.tuples(st.one_of(st.sampled_from(VALID), text),
                          st.sampled_from(["", "x", "é,\"q\"", "line\nbreak"])), max_size=40)


@given(rows)
def test_dedupe_keeps_every_distinct_valid_number_and_errors_never_abort(pairs):
    audience = collect((to, {"v": v}) for to, v in pairs)
    assert audience.rows == len(pairs)  # every row is a recipient, an error or a duplicate
    valid = [to for to, _ in pairs if to in VALID]
    got = [r.to for r in audience.recipients]
    assert len(got) == len(set(got))
    assert {f"{n.lstrip('+')}@s.whatsapp.net" for n in valid} <= set(got)


@given(rows)
def test_a_csv_gives_what_the_same_list_gives(pairs):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["phone", "v"])
    writer.writerows(pairs)
    from_csv = parse_csv(buffer.getvalue().encode())
    inline = collect((to.strip(), {"v": v.strip()}) for to, v in pairs
                     if to.strip() or v.strip())
    assert from_csv.recipients == inline.recipients
    assert from_csv.duplicates == inline.duplicates
    assert len(from_csv.errors) == len(inline.errors)
