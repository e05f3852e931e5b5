"""Verification codes: the verification state machine, codes, their hashes, message
templates, and the send and attempt limits. Pure: no I/O, no settings.

A verification is ``pending`` until it is ``approved`` (the right code), ``expired`` (its
time ran out), ``canceled``, or ``max_attempts_reached`` (``MAX_ATTEMPTS`` wrong codes);
none of those ends ever changes again. A resend keeps the verification and its failure
count: only the code (and with it the expiry) is new, and the old code is dead.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import string
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from chalicelib.domain import clock

CODE_LENGTH_MIN, CODE_LENGTH_MAX, CODE_LENGTH_DEFAULT = 4, 10, 6
TTL_MIN_S, TTL_MAX_S, TTL_DEFAULT_S = 60, 3600, 600
MAX_ATTEMPTS = 5
SENDS_PER_WINDOW = 5  # sends to one destination …
SEND_WINDOW_S = 600  # … per 10 minutes (a sliding window)
RATE_PER_MINUTE_DEFAULT = 60  # sends per tenant per minute, unless its settings say otherwise
RATE_PER_MINUTE_MAX = 6000
TEMPLATE_MAX = 1024
KEPT_AFTER_END_S = 24 * 3600  # a verification stays readable this long after it expires
# Reverse codes: what a person types into WhatsApp, so no look-alike characters (0/O, 1/I/L).
REVERSE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REVERSE_LENGTH = 8
REVERSE_TOKENS_MAX = 10  # candidate codes looked up per inbound message
_REVERSE_TOKEN = re.compile(rf"(?<![A-Z0-9])[{REVERSE_ALPHABET}]{{{REVERSE_LENGTH}}}(?![A-Z0-9])")
_PLACEHOLDER = re.compile(r"{{\s*(\w+)\s*}}")
PLACEHOLDERS = ("code", "minutes")


class OtpStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    EXPIRED = "expired"
    CANCELED = "canceled"
    MAX_ATTEMPTS_REACHED = "max_attempts_reached"


class Kind(StrEnum):
    OTP = "otp"  # we send the code; the user types it into the product
    REVERSE = "reverse"  # the user sends the code to a shared number


class Outcome(StrEnum):
    """What one check of a code did."""

    APPROVED = "approved"
    WRONG = "wrong"  # a failed attempt, more left
    LOCKED = "locked"  # the failed attempt that used the last one
    EXPIRED = "expired"  # found expired now (it was still marked pending)
    UNCHANGED = "unchanged"  # it had already ended: nothing happens


DEFAULT_TEMPLATES = {
    "en": "Your verification code is {{code}}. It expires in {{minutes}} minutes.",
    "es": "Tu código de verificación es {{code}}. Caduca en {{minutes}} minutos.",
    "pt": "Seu código de verificação é {{code}}. Ele expira em {{minutes}} minutos.",
    "fr": "Votre code de vérification est {{code}}. Il expire dans {{minutes}} minutes.",
    "de": "Ihr Bestätigungscode lautet {{code}}. Er läuft in {{minutes}} Minuten ab.",
    "id": "Kode verifikasi Anda adalah {{code}}. Berlaku selama {{minutes}} menit.",
}


def default_template(locale: str | None) -> str:
    """The default text for ``locale`` (``es``, ``pt-BR``, …); English when unknown."""
    language = (locale or "en").replace("_", "-").split("-")[0].lower()
    return DEFAULT_TEMPLATES.get(language, DEFAULT_TEMPLATES["en"])


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot carry a code (None when it can)."""
    names = _PLACEHOLDER.findall(template)
    if "code" not in names:
        return "must contain {{code}}"
    unknown = sorted(set(names) - set(PLACEHOLDERS))
    if unknown:
        return f"may use only {{{{code}}}} and {{{{minutes}}}}, not {', '.join(unknown)}"
    return None


def fill(template: str, code: str, ttl_s: int) -> str:
    """The message text: ``{{code}}`` and ``{{minutes}}`` (the validity, rounded up)."""
    values = {"code": code, "minutes": str(math.ceil(ttl_s / 60))}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def new_code(length: int) -> str:
    """``length`` digits from the system's CSPRNG."""
    return "".join(secrets.choice(string.digits) for _ in range(length))


def new_reverse_code() -> str:
    return "".join(secrets.choice(REVERSE_ALPHABET) for _ in range(REVERSE_LENGTH))


def code_hash(pepper: str, verification_id: str, code: str) -> str:
    """HMAC-SHA256 under the pepper of the verification id and the code (hex)."""
    return hmac.new(pepper.encode(), f"{verification_id}:{code}".encode(),
                    hashlib.sha256).hexdigest()


def reverse_key(pepper: str, code: str) -> str:
    """What a reverse code is found by (a code is unique among pending ones, whoever's)."""
    return hmac.new(pepper.encode(), f"reverse:{code.upper()}".encode(),
                    hashlib.sha256).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Constant-time comparison of two code hashes."""
    return hmac.compare_digest(a.encode(), b.encode())


def is_reverse_code(value: str) -> bool:
    """Whether ``value`` has the shape of a reverse code (any case), not of an id."""
    return _REVERSE_TOKEN.fullmatch(value.upper()) is not None


def reverse_candidates(text: str) -> list[str]:
    """The reverse codes a message may carry (whole words of the code alphabet), at most
    ``REVERSE_TOKENS_MAX``, in order, each once."""
    found = dict.fromkeys(_REVERSE_TOKEN.findall(text[:4096].upper()))
    return list(found)[:REVERSE_TOKENS_MAX]


# --- the verification -------------------------------------------------------------------------


class Verification(BaseModel):
    """One verification. Holds the code only as its hash (``code_hash``)."""

    id: str
    tenant_id: str
    kind: Kind = Kind.OTP
    to: str | None = None  # E.164 the code was sent to (OTP)
    session_id: str | None = None  # the session that sends it (OTP)
    phone: str | None = None  # reverse: the only number allowed to send the code back
    send_to: str | None = None  # reverse: the shared number (E.164)
    status: OtpStatus = OtpStatus.PENDING
    code_hash: str
    attempts: int = 0  # failed checks (kept across resends)
    sends: int = 1
    created_at: str
    updated_at: str
    expires_at: str
    approved_at: str | None = None
    verified_phone: str | None = None  # reverse: who sent the code
    locale: str | None = None

    @property
    def attempts_left(self) -> int:
        return max(0, MAX_ATTEMPTS - self.attempts)

    def status_at(self, now: datetime) -> OtpStatus:
        """The status as of ``now``: a pending one past its expiry is expired."""
        if self.status == OtpStatus.PENDING and clock.parse(self.expires_at) <= now:
            return OtpStatus.EXPIRED
        return self.status

    def is_live(self, now: datetime) -> bool:
        return self.status_at(now) == OtpStatus.PENDING


def check(verification: Verification, matches: bool,
          now: datetime) -> tuple[Verification, Outcome]:
    """One check of a code (``matches``: the hashes compared equal)."""
    if verification.status != OtpStatus.PENDING:
        return verification, Outcome.UNCHANGED
    stamp = clock.iso(now)
    if verification.status_at(now) == OtpStatus.EXPIRED:
        return verification.model_copy(update={"status": OtpStatus.EXPIRED,
                                               "updated_at": stamp}), Outcome.EXPIRED
    if matches:
        return verification.model_copy(update={"status": OtpStatus.APPROVED, "approved_at": stamp,
                                               "updated_at": stamp}), Outcome.APPROVED
    attempts = verification.attempts + 1
    locked = attempts >= MAX_ATTEMPTS
    return verification.model_copy(update={
        "attempts": attempts, "updated_at": stamp,
        "status": OtpStatus.MAX_ATTEMPTS_REACHED if locked else OtpStatus.PENDING,
    }), Outcome.LOCKED if locked else Outcome.WRONG


def resend(verification: Verification, new_hash: str, ttl_s: int,
           now: datetime) -> Verification | None:
    """The verification with a new code (and expiry), or None when it is no longer live."""
    if not verification.is_live(now):
        return None
    return verification.model_copy(update={
        "code_hash": new_hash, "sends": verification.sends + 1, "updated_at": clock.iso(now),
        "expires_at": clock.iso(now + timedelta(seconds=ttl_s))})


def cancel(verification: Verification, now: datetime) -> Verification | None:
    """The canceled verification, or None when it is no longer live."""
    if not verification.is_live(now):
        return None
    return verification.model_copy(update={"status": OtpStatus.CANCELED,
                                           "updated_at": clock.iso(now)})


def approve_reverse(verification: Verification, sender: str | None,
                    now: datetime) -> Verification | None:
    """A reverse verification approved by ``sender`` having sent its code; None when it is
    not live or ``sender`` is not the number it is bound to."""
    if verification.kind != Kind.REVERSE or not verification.is_live(now):
        return None
    if verification.phone is not None and verification.phone != sender:
        return None
    stamp = clock.iso(now)
    return verification.model_copy(update={"status": OtpStatus.APPROVED, "approved_at": stamp,
                                           "updated_at": stamp, "verified_phone": sender})


# --- send limits ------------------------------------------------------------------------------


def recent_sends(sends: Sequence[int], now: float) -> list[int]:
    """The sends (epoch seconds) still inside the window at ``now``, oldest first."""
    return sorted(s for s in sends if s > now - SEND_WINDOW_S)[-SENDS_PER_WINDOW:]


def send_retry_after(sends: Sequence[int], now: float) -> int:
    """Whole seconds until one more send to the destination is allowed (0: now)."""
    recent = recent_sends(sends, now)
    if len(recent) < SENDS_PER_WINDOW:
        return 0
    return max(1, math.ceil(recent[0] + SEND_WINDOW_S - now))


class OtpSettings(BaseModel):
    """A tenant's OTP settings (``PUT /v1/otp/settings``)."""

    session_id: str | None = None
    template: str | None = None
    rate_per_minute: int | None = None  # None: the gateway's default


class Destination(BaseModel):
    """What the gateway keeps per destination number: its pending verification and its
    recent sends (epoch seconds), written with ``version`` as an optimistic lock."""

    pending_id: str | None = None
    sends: list[int] = []
    version: int = 0


class RateTake(BaseModel):
    """One use of the tenant's per-minute send rate (window ``window`` of the clock)."""

    window: int
    limit: int
    expires_epoch: int
