"""Small domain helpers: errors, clock, ids, sessions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain import clock, ids
from chalicelib.domain.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    OutcomeUnknown,
    SessionUnavailable,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)
from chalicelib.domain.sessions import RUNNING_STATES, Session, SessionStatus

# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (BadRequest, 400, "bad_request"),
        (Unauthorized, 401, "unauthorized"),
        (Forbidden, 403, "forbidden"),
        (NotFound, 404, "not_found"),
        (Conflict, 409, "conflict"),
        (ValidationFailed, 422, "validation_failed"),
        (Unavailable, 503, "unavailable"),
        (SessionUnavailable, 503, "session_unavailable"),
        (OutcomeUnknown, 504, "outcome_unknown"),
    ],
)
def test_error_status_and_code(error: type[AppError], status: int, code: str) -> None:
    exc = error("boom")
    assert isinstance(exc, AppError)
    assert (exc.status, exc.code, exc.message, exc.details) == (status, code, "boom", [])
    assert str(exc) == "boom"


def test_error_code_override_is_per_instance() -> None:
    assert Unauthorized("x", code="token_expired").code == "token_expired"
    assert Unauthorized("x").code == "unauthorized"


def test_validation_failed_field() -> None:
    exc = ValidationFailed.field("phone", "is not a valid phone number")
    assert exc.status == 422
    assert exc.message == "phone: is not a valid phone number"
    assert exc.details == [{"field": "phone", "message": "is not a valid phone number"}]


# --- clock -------------------------------------------------------------------------------------


def test_iso_is_utc_with_milliseconds_and_z() -> None:
    moment = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    assert clock.iso(moment) == "2024-02-29T23:59:58.123Z"


def test_iso_converts_other_zones_to_utc() -> None:
    moment = datetime(2024, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    assert clock.iso(moment) == "2024-01-01T00:00:00.000Z"


def test_now_iso_and_epoch_ms_agree() -> None:
    text = clock.now_iso()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert abs(parsed.timestamp() * 1000 - clock.epoch_ms()) < 5_000
    assert clock.now().tzinfo is not None


# --- ids ---------------------------------------------------------------------------------------


def test_new_ids_are_ulids_sortable_by_creation() -> None:
    made = [ids.new_id() for _ in range(100)]
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", value) for value in made)
    assert len(set(made)) == len(made)
    assert sorted(made)[0][:10] <= made[-1][:10]  # the time part never goes back


def test_secret_tokens_are_hex_and_random() -> None:
    tokens = {ids.secret_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"[0-9a-f]{48}", token) for token in tokens)
    assert len(ids.secret_token(8)) == 16


# --- sessions ----------------------------------------------------------------------------------


def make_session(status: SessionStatus) -> Session:
    return Session(id="s1", tenant_id="t1", name="main", engine="sandbox", status=status,
                   created_at="x", updated_at="x")


@pytest.mark.parametrize("status", list(SessionStatus), ids=str)
def test_session_wants_running(status: SessionStatus) -> None:
    expected = status in {SessionStatus.STARTING, SessionStatus.SCAN_QR, SessionStatus.WORKING}
    assert make_session(status).wants_running == expected
    assert (status in RUNNING_STATES) == expected


def test_session_defaults() -> None:
    session = make_session(SessionStatus.STOPPED)
    assert (session.fence, session.lease_until_ms, session.auth_epoch) == (0, 0, 0)
