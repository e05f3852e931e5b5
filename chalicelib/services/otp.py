"""Verification codes over WhatsApp: send (and resend), verify, cancel, settings, and reverse
OTP (the user sends a code to a shared number). The code exists in plaintext only in the
outgoing message (concealed in its stored record) and, for reverse OTP, in the answer that
creates it; everything stored holds its HMAC under the pepper: the current one for new
codes, while a code hashed under the previous one (before a rotation) still verifies."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal, RateLimit
from chalicelib.domain.errors import (
    AppError,
    Conflict,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from chalicelib.domain.events import Event, otp_approved, otp_failed, otp_sent
from chalicelib.domain.jids import normalize_phone
from chalicelib.domain.messages import Priority
from chalicelib.domain.otp import (
    CODE_LENGTH_MAX,
    CODE_LENGTH_MIN,
    Kind,
    OtpSettings,
    OtpStatus,
    Outcome,
    RateTake,
    Verification,
    approve_reverse,
    check,
    code_hash,
    default_template,
    fill,
    new_code,
    new_reverse_code,
    recent_sends,
    resend,
    reverse_candidates,
    reverse_key,
    same_hash,
    send_retry_after,
    template_problem,
)
from chalicelib.domain.otp import (
    cancel as cancel_verification,
)
from chalicelib.domain.sessions import Session
from chalicelib.services.messaging import Draft, MessagingService
from chalicelib.services.ports import EventPublisher, Keyring, OtpRepo, SessionRepo

log = logging.getLogger(__name__)
COMMIT_TRIES = 3  # optimistic writes retried this often against concurrent ones
REVERSE_CODE_TRIES = 5  # new reverse codes drawn when one is taken
SHARED_NUMBERS_MAX = 100  # shared numbers listed (sessions of the platform tenant read)
_CODE = re.compile(rf"^[0-9]{{{CODE_LENGTH_MIN},{CODE_LENGTH_MAX}}}$")


@dataclass(frozen=True)
class Sent:
    verification: Verification
    resend_available_at: str


@dataclass(frozen=True)
class Reverse:
    verification: Verification
    code: str  # shown once, to the caller, by design: the user must send it

    @property
    def link(self) -> str:
        number = (self.verification.send_to or "").lstrip("+")
        return f"https://wa.me/{number}?text={self.code}"


class OtpService:
    def __init__(self, otps: OtpRepo, sessions: SessionRepo, messaging: MessagingService,
                 events: EventPublisher, peppers: Keyring, platform_tenant: str,
                 rate_per_minute: int) -> None:
        self._otps = otps
        self._sessions = sessions
        self._messaging = messaging
        self._events = events
        self._peppers = peppers
        self._platform = platform_tenant
        self._rate = rate_per_minute

    # --- settings ---

    def settings(self, caller: Principal) -> OtpSettings:
        return self._otps.settings(caller.tenant_id) or OtpSettings()

    def put_settings(self, caller: Principal, settings: OtpSettings) -> OtpSettings:
        if settings.session_id and self._sessions.get(caller.tenant_id,
                                                      settings.session_id) is None:
            raise ValidationFailed.field("session_id", "no such session")
        if settings.template is not None:
            problem = template_problem(settings.template)
            if problem:
                raise ValidationFailed.field("template", problem)
        self._otps.put_settings(caller.tenant_id, settings)
        return settings

    def rate_per_minute(self, settings: OtpSettings | None) -> int:
        return settings.rate_per_minute if settings and settings.rate_per_minute else self._rate

    def _rate_take(self, settings: OtpSettings | None, now: datetime) -> tuple[RateTake, int]:
        limit = self.rate_per_minute(settings)
        window, retry_after = RateLimit(limit, 60).window(now.timestamp())
        return RateTake(window=window, limit=limit,
                        expires_epoch=int(now.timestamp()) + 180), retry_after

    @staticmethod
    def _rate_limited(limit: int, retry_after: int) -> TooManyRequests:
        return TooManyRequests(f"at most {limit} verification sends a minute for this "
                               "account; try again later", retry_after,
                               code="otp_rate_limited")

    # --- sending ---

    def send(self, caller: Principal, to: str, session_id: str | None, length: int,
             ttl_s: int, template: str | None, locale: str | None) -> Sent:
        """Send a code to ``to``: a new verification, or a new code for the pending one."""
        e164 = normalize_phone(to, "to")
        digits = e164.lstrip("+")
        for _ in range(COMMIT_TRIES):
            settings, destination = self._otps.settings_and_destination(caller.tenant_id, digits)
            session_id = session_id or (settings.session_id if settings else None)
            if not session_id:
                raise ValidationFailed.field("session_id", "is required: give one, or set a "
                                             "default with PUT /v1/otp/settings")
            text = template or (settings.template if settings else None) or \
                default_template(locale)
            problem = template_problem(text)
            if problem:
                raise ValidationFailed.field("template", problem)
            now = clock.now()
            wait = send_retry_after(destination.sends, now.timestamp())
            if wait:
                raise TooManyRequests("at most 5 codes per 10 minutes to one number; try "
                                      "again later", wait, code="otp_send_limit")
            current = self._otps.get(caller.tenant_id, destination.pending_id) \
                if destination.pending_id else None
            code = new_code(length)
            if current is not None and current.kind == Kind.OTP and current.is_live(now):
                updated = resend(current, code_hash(self._peppers.current(), current.id, code),
                                 ttl_s, now)
                if updated is None:
                    continue
                verification = updated.model_copy(update={"session_id": session_id,
                                                          "locale": locale})
                expected: Verification | None = current
            else:
                otp_id = ids.new_id()
                stamp = clock.iso(now)
                verification = Verification(
                    id=otp_id, tenant_id=caller.tenant_id, to=e164, session_id=session_id,
                    code_hash=code_hash(self._peppers.current(), otp_id, code),
                    created_at=stamp, updated_at=stamp,
                    expires_at=clock.iso(now + timedelta(seconds=ttl_s)),
                    locale=locale)
                expected = None
            sends = [*recent_sends(destination.sends, now.timestamp()), int(now.timestamp())]
            rate, rate_retry = self._rate_take(settings, now)
            stopped = self._otps.commit_send(
                verification, expected, digits,
                destination.model_copy(update={"pending_id": verification.id, "sends": sends,
                                               "version": destination.version + 1}), rate)
            if stopped == "rate":
                raise self._rate_limited(rate.limit, rate_retry)
            if stopped is not None:
                continue  # a concurrent send or check: read again
            self._deliver(caller, verification, expected, code, text, ttl_s)
            retry = send_retry_after(sends, now.timestamp())
            return Sent(verification, clock.iso(now + timedelta(seconds=retry)))
        raise Conflict("another send to this number is in progress; try again",
                       code="otp_busy")

    def _deliver(self, caller: Principal, verification: Verification,
                 previous: Verification | None, code: str, template: str, ttl_s: int) -> None:
        """Queue the code's message on the high lane, dead when the code is; if it cannot
        be accepted, the verification goes back to what it was (a new one is canceled)."""
        assert verification.session_id is not None and verification.to is not None
        try:
            self._messaging.send(caller, Draft(
                session_id=verification.session_id, to=verification.to,
                body={"text": fill(template, code, ttl_s)}, priority=Priority.HIGH,
                expires_at=clock.parse(verification.expires_at), conceal=(code,),
                metadata={"otp_id": verification.id}))
        except AppError:
            undo = previous or verification.model_copy(update={"status": OtpStatus.CANCELED})
            self._otps.replace(undo, verification)
            raise

    # --- reading, checking, canceling ---

    def get(self, caller: Principal, otp_id: str, kind: Kind = Kind.OTP) -> Verification:
        verification = self._otps.get(caller.tenant_id, otp_id)
        if verification is None or verification.kind != kind:
            raise NotFound("verification not found")
        return verification

    def verify(self, caller: Principal, otp_id: str | None, to: str | None,
               code: str) -> tuple[Verification, bool]:
        """Check ``code``: (the verification after the check, whether it was right)."""
        if not _CODE.match(code):
            raise ValidationFailed.field("code", f"must be {CODE_LENGTH_MIN} to "
                                         f"{CODE_LENGTH_MAX} digits")
        if otp_id is None:
            if to is None:
                raise ValidationFailed.field("id", "give id or to")
            digits = normalize_phone(to, "to").lstrip("+")
            otp_id = self._otps.settings_and_destination(caller.tenant_id,
                                                         digits)[1].pending_id
            if otp_id is None:
                raise NotFound("no verification for this number")
        hashed = code_hash(self._peppers.current(), otp_id, code)
        for _ in range(COMMIT_TRIES):
            now = clock.now()
            approved, stored = self._otps.try_approve(caller.tenant_id, otp_id, hashed,
                                                      clock.iso(now))
            if approved is not None:
                self._publish(otp_approved(caller.tenant_id, approved.session_id, approved.id,
                                           approved.kind, approved.to, None,
                                           approved.approved_at or clock.iso(now)))
                return approved, True
            if stored is None or stored.kind != Kind.OTP:
                raise NotFound("verification not found")
            matching = self._matching_hash(stored.code_hash, otp_id, code)
            after, outcome = check(stored, matching is not None, now)
            if outcome == Outcome.UNCHANGED:
                return stored, False
            if outcome == Outcome.APPROVED:  # hashed under another pepper, or it changed
                hashed = matching or hashed  # between the two reads: approve with that hash
                continue
            if not self._otps.replace(after, stored):
                continue
            if outcome in (Outcome.LOCKED, Outcome.EXPIRED):
                self._publish(otp_failed(caller.tenant_id, after.session_id, after.id,
                                         after.kind, after.to, outcome.value))
            return after, False
        raise Conflict("the verification is being checked concurrently; try again",
                       code="otp_busy")

    def _matching_hash(self, stored: str, otp_id: str, code: str) -> str | None:
        """The code's hash under the accepted pepper that stored hash is under, if any
        (compared in constant time)."""
        def same(pepper: str) -> str | None:
            candidate = code_hash(pepper, otp_id, code)
            return candidate if same_hash(stored, candidate) else None

        return self._peppers.first(same)

    def cancel(self, caller: Principal, otp_id: str) -> Verification:
        for _ in range(COMMIT_TRIES):
            stored = self.get(caller, otp_id)
            canceled = cancel_verification(stored, clock.now())
            if canceled is None:
                raise Conflict(f"a verification that is {stored.status_at(clock.now()).value} "
                               "cannot be canceled", code="not_cancelable")
            if self._otps.replace(canceled, stored):
                return canceled
        raise Conflict("the verification is being changed concurrently; try again",
                       code="otp_busy")

    # --- events of the code's message ---

    def on_message_status(self, event: Event) -> None:
        """``message.status`` of an OTP's message: sent → ``otp.sent``; failed or expired
        unsent → ``otp.failed`` (undeliverable)."""
        data = event.data
        otp_id = (data.get("metadata") or {}).get("otp_id")
        status = data.get("status")
        if not otp_id or status not in ("sent", "failed", "expired"):
            return
        verification = self._otps.get(event.tenant_id, str(otp_id))
        if verification is None or verification.kind != Kind.OTP or verification.to is None:
            return  # metadata any message may carry: only the gateway's own OTP messages
        if status == "sent":
            self._publish(otp_sent(event.tenant_id, verification.session_id, verification.id,
                                   verification.to, data["message_id"]))
        else:
            self._publish(otp_failed(event.tenant_id, verification.session_id,
                                     verification.id, verification.kind, verification.to,
                                     "undeliverable", data["message_id"]))

    # --- reverse OTP ---

    def shared_numbers(self) -> list[Session]:
        """The platform tenant's sessions marked as shared OTP numbers, with a number."""
        page = self._sessions.list(self._platform, SHARED_NUMBERS_MAX, None)
        return [s for s in page.items if s.shared_otp and s.phone]

    def create_reverse(self, caller: Principal, phone: str | None, ttl_s: int) -> Reverse:
        expected = normalize_phone(phone, "phone") if phone is not None else None
        numbers = self.shared_numbers()
        if not numbers:
            raise Conflict("no shared number is set up for reverse OTP (a platform "
                           "administrator marks one)", code="no_shared_number")
        settings = self._otps.settings(caller.tenant_id)
        for _ in range(REVERSE_CODE_TRIES):
            now = clock.now()
            stamp = clock.iso(now)
            code = new_reverse_code()
            if any(self._otps.reverse_owner(reverse_key(pepper, code))
                   for pepper in self._peppers.accepted()[1:]):
                continue  # pending under the previous pepper: codes stay unique
            otp_id = ids.new_id()
            shared = numbers[int(otp_id[-4:], 36) % len(numbers)]  # spread over the numbers
            verification = Verification(
                id=otp_id, tenant_id=caller.tenant_id, kind=Kind.REVERSE, phone=expected,
                send_to=shared.phone, code_hash=reverse_key(self._peppers.current(), code),
                created_at=stamp, updated_at=stamp,
                expires_at=clock.iso(now + timedelta(seconds=ttl_s)))
            rate, rate_retry = self._rate_take(settings, now)
            stopped = self._otps.create_reverse(verification, rate)
            if stopped == "rate":
                raise self._rate_limited(rate.limit, rate_retry)
            if stopped is None:
                return Reverse(verification, code)
        raise Conflict("could not draw a free code; try again", code="otp_busy")

    def reverse_by_code(self, caller: Principal, code: str) -> Verification:
        """The caller's reverse verification its code names, until the code expires
        (approved or not): 404 for another tenant's or an unknown code."""
        owner = self._reverse_owner(code)
        if owner is None or owner[0] != caller.tenant_id:
            raise NotFound("verification not found")
        return self.get(caller, owner[1], Kind.REVERSE)

    def on_inbound(self, event: Event) -> None:
        """A message on a shared number: any pending reverse code it carries (from the bound
        number, when there is one) approves its verification, for whichever tenant owns it.
        The shared number's own traffic stays the platform tenant's."""
        if event.tenant_id != self._platform or not event.session_id:
            return
        data = event.data
        text, sender = data.get("text"), data.get("from")
        if not text or not sender or str(data.get("chat", "")).endswith("@g.us"):
            return
        session = self._sessions.get(event.tenant_id, event.session_id)
        if session is None or not session.shared_otp:
            return
        phone = "+" + str(sender).split("@", 1)[0]
        for candidate in reverse_candidates(str(text)):
            self._approve_reverse(candidate, phone)

    def _reverse_owner(self, code: str) -> tuple[str, str, str] | None:
        """(tenant, verification id, key) of the pending reverse code, under any accepted
        pepper."""
        def owner(pepper: str) -> tuple[str, str, str] | None:
            key = reverse_key(pepper, code)
            found = self._otps.reverse_owner(key)
            return (*found, key) if found else None

        return self._peppers.first(owner)

    def _approve_reverse(self, code: str, phone: str) -> None:
        owner = self._reverse_owner(code)
        if owner is None:
            return
        tenant_id, otp_id, key = owner
        stored = self._otps.get(tenant_id, otp_id)
        if stored is None or stored.kind != Kind.REVERSE or not same_hash(stored.code_hash, key):
            return
        approved = approve_reverse(stored, phone, clock.now())
        if approved is None:
            log.info("reverse verification %s: a code from another number, or not pending",
                     stored.id)
            return
        if self._otps.replace(approved, stored):  # the code keeps naming it until it expires
            self._publish(otp_approved(approved.tenant_id, None, approved.id, approved.kind,
                                       None, approved.verified_phone,
                                       approved.approved_at or clock.now_iso()))

    def _publish(self, event: Event) -> None:
        self._events.publish(event)
