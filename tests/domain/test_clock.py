"""One way to read the times the gateway writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import clock


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.just(UTC)))
def test_what_iso_writes_parse_reads_back(moment: datetime) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert clock.parse(clock.iso(moment)) == moment


def test_offsets_and_naive_times_come_back_in_utc() -> None:
    assert clock.parse("2026-11-30T12:00:00+02:00") == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert clock.parse("2026-11-30T12:00:00") == datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert clock.parse("2026-11-30T12:00:00Z").tzinfo == UTC


@pytest.mark.parametrize("value", ["", "yesterday", "0001-01-01T00:00:00+14:00",
                                   "9999-12-31T23:59:59-14:00", "2026-13-01T00:00:00Z"])
def test_anything_else_is_a_value_error(value: str) -> None:
    with pytest.raises(ValueError):
        clock.parse(value)


def test_a_far_offset_that_fits_is_fine() -> None:
    moment = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    assert clock.parse(moment.isoformat()) == moment.astimezone(UTC)
