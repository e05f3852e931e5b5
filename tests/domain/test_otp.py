"""The verification state machine, codes, templates and send limits (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import clock
from chalicelib.domain.otp import (
    MAX_ATTEMPTS,
    SEND_WINDOW_S,
    SENDS_PER_WINDOW,
    Kind,
    OtpStatus,
    Outcome,
    Verification,
    approve_reverse,
    cancel,
    check,
    code_hash,
    default_template,
    fill,
    new_code,
    new_reverse_code,
    recent_sends,
    resend,
    reverse_candidates,
    same_hash,
    send_retry_after,
    template_problem,
)

START = datetime(2030, 1, 1, tzinfo=UTC)
TTL = 600


def _new(now: datetime = START, **fields: object) -> Verification:
    stamp = clock.iso(now)
    return Verification.model_validate({
        "id": "v1", "tenant_id": "t", "to": "+14155552671", "code_hash": "h0",
        "created_at": stamp, "updated_at": stamp,
        "expires_at": clock.iso(now + timedelta(seconds=TTL)), **fields})


# One step of a verification's life: (action, seconds later).
steps = st.lists(st.tuples(st.sampled_from(["right", "wrong", "resend", "cancel"]),
                           st.integers(min_value=0, max_value=400)), max_size=30)
ENDS = {OtpStatus.APPROVED, OtpStatus.EXPIRED, OtpStatus.CANCELED,
        OtpStatus.MAX_ATTEMPTS_REACHED}


@given(steps)
def test_a_verification_ends_once_and_never_moves_after(life: list[tuple[str, int]]) -> None:
    v, now, code = _new(), START, "h0"
    approvals = wrong = 0
    ended: OtpStatus | None = None
    for action, wait in life:
        now += timedelta(seconds=wait)
        live_before = v.is_live(now)
        if action in ("right", "wrong"):
            v, outcome = check(v, same_hash(v.code_hash, code if action == "right" else "x"),
                               now)
            approvals += outcome == Outcome.APPROVED
            wrong += outcome in (Outcome.WRONG, Outcome.LOCKED)
            if outcome == Outcome.APPROVED:
                assert live_before and action == "right"
            if not live_before:
                assert outcome in (Outcome.UNCHANGED, Outcome.EXPIRED)
        elif action == "resend":
            code = f"h{wait}"
            renewed = resend(v, code, TTL, now)
            assert (renewed is None) == (not live_before)
            if renewed is not None:
                assert renewed.attempts == v.attempts  # the failure count is kept
                v = renewed
        else:
            canceled = cancel(v, now)
            assert (canceled is None) == (not live_before)
            v = canceled or v
        if ended is not None:
            assert v.status == ended  # an end never changes
        elif v.status in ENDS:
            ended = v.status
        assert 0 <= v.attempts <= MAX_ATTEMPTS and v.attempts == wrong
        assert v.attempts_left == MAX_ATTEMPTS - v.attempts
    assert approvals <= 1
    assert (v.status == OtpStatus.MAX_ATTEMPTS_REACHED) == (wrong == MAX_ATTEMPTS)


def test_the_fifth_wrong_code_locks_and_the_right_one_then_fails() -> None:
    v = _new()
    for _ in range(MAX_ATTEMPTS - 1):
        v, outcome = check(v, False, START)
        assert outcome == Outcome.WRONG
    v, outcome = check(v, False, START)
    assert outcome == Outcome.LOCKED and v.status == OtpStatus.MAX_ATTEMPTS_REACHED
    assert check(v, True, START) == (v, Outcome.UNCHANGED)


def test_expiry_is_found_at_check_time() -> None:
    v = _new()
    late = START + timedelta(seconds=TTL)
    assert v.status_at(late) == OtpStatus.EXPIRED and not v.is_live(late)
    expired, outcome = check(v, True, late)
    assert outcome == Outcome.EXPIRED and expired.status == OtpStatus.EXPIRED


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=40))
def test_never_more_than_five_sends_in_any_ten_minutes(offsets: list[int]) -> None:
    kept: list[int] = []
    base = 1_000_000
    for offset in sorted(offsets):
        now = base + offset
        wait = send_retry_after(kept, now)
        if wait == 0:
            kept = [*recent_sends(kept, now), now]
        else:
            assert send_retry_after(kept, now + wait) == 0  # Retry-After is honest
            assert send_retry_after(kept, now + wait - 1) > 0 or wait == 1
    accepted = sorted(kept)
    for i, first in enumerate(accepted):
        assert len([t for t in accepted[i:] if t < first + SEND_WINDOW_S]) <= SENDS_PER_WINDOW


@given(st.integers(min_value=4, max_value=10))
def test_codes_are_digits_of_the_asked_length(length: int) -> None:
    code = new_code(length)
    assert len(code) == length and code.isdigit()


def test_hashes_depend_on_the_pepper_the_verification_and_the_code() -> None:
    base = code_hash("pepper", "v1", "123456")
    assert "123456" not in base and len(base) == 64
    assert base != code_hash("other", "v1", "123456")
    assert base != code_hash("pepper", "v2", "123456")
    assert base != code_hash("pepper", "v1", "123457")


def test_templates() -> None:
    assert fill("Code {{code}}, {{ minutes }} min", "1234", 90) == "Code 1234, 2 min"
    assert template_problem("no code") == "must contain {{code}}"
    assert template_problem("{{code}} {{name}}")
    assert template_problem("{{code}}") is None
    assert default_template("pt-BR").startswith("Seu código")
    assert default_template("xx") == default_template(None)


def test_reverse_codes_are_found_in_what_people_write() -> None:
    code = new_reverse_code()
    assert reverse_candidates(f"hi! {code.lower()}.") == [code]
    assert reverse_candidates(f"X{code}") == []
    assert len(reverse_candidates(" ".join([code] * 3 + ["ABCDEFGH"] * 30))) == 2


def test_a_reverse_code_binds_to_its_phone() -> None:
    v = _new(kind=Kind.REVERSE, phone="+14155550123", to=None)
    assert approve_reverse(v, "+14155550124", START) is None
    approved = approve_reverse(v, "+14155550123", START)
    assert approved is not None and approved.verified_phone == "+14155550123"
    assert approve_reverse(approved, "+14155550123", START) is None
    assert approve_reverse(v, "+14155550123", START + timedelta(seconds=TTL)) is None
