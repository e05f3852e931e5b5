"""The ports services depend on. Adapters implement them; tests may fake them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

from chalicelib.domain.accounts import ApiKey, Tenant, User
from chalicelib.domain.address_book import Contact as BookContact
from chalicelib.domain.address_book import Tag, TagKind
from chalicelib.domain.audiences import Audience, Recipient, Upload, UploadedFile
from chalicelib.domain.auth import Attempts
from chalicelib.domain.bots import Bot
from chalicelib.domain.campaigns import Campaign
from chalicelib.domain.chats import Chat, LastMessage, StoredLabel
from chalicelib.domain.content import StoredMedia
from chalicelib.domain.dead_letters import DeadLetter
from chalicelib.domain.devices import Device, Push, PushOutcome
from chalicelib.domain.events import Event
from chalicelib.domain.governor import FailureWindow, SessionState, StoredLimits, Throttle
from chalicelib.domain.hosts import HostRecord
from chalicelib.domain.idempotency import IdempotencyRecord
from chalicelib.domain.live import LiveOp, LiveResult
from chalicelib.domain.live.contacts import NumberCheck
from chalicelib.domain.messages import Message, MessageStatus
from chalicelib.domain.optouts import OptOut, OptOutSettings
from chalicelib.domain.otp import Destination, OtpSettings, RateTake, Verification
from chalicelib.domain.paging import Page
from chalicelib.domain.people import Contact, LidMapping
from chalicelib.domain.quotas import Charge
from chalicelib.domain.sessions import Session, SessionStatus
from chalicelib.domain.templates import Template
from chalicelib.domain.webhooks import Delivery, Subscription
from chalicelib.metrics import Metric


class UserRepo(Protocol):
    def put_tenant(self, tenant: Tenant) -> None: ...
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...
    def list_tenants(self, limit: int, cursor: str | None) -> Page: ...
    def create_user(self, user: User) -> None:
        """Store a new user; raises Conflict when the username is taken."""
    def get_user(self, tenant_id: str, user_id: str) -> User | None: ...
    def find_login(self, username: str) -> User | None: ...
    def list_users(self, tenant_id: str, limit: int, cursor: str | None) -> Page: ...
    def delete_user(self, user: User) -> None: ...
    def set_password(self, tenant_id: str, user_id: str, password_hash: str) -> User | None:
        """A new hash and the next token generation; None when there is no such user."""
    def user_and_revocation(self, tenant_id: str, user_id: str,
                            jti: str) -> tuple[User | None, bool]:
        """The user and whether token ``jti`` was revoked, in one round trip."""
    def revoke_token(self, tenant_id: str, user_id: str, jti: str, expires_epoch: int) -> None: ...
    def bump_token_generation(self, tenant_id: str, user_id: str) -> None: ...
    def put_api_key(self, key: ApiKey) -> None: ...
    def get_api_key(self, tenant_id: str, key_id: str) -> ApiKey | None: ...
    def list_api_keys(self, tenant_id: str, limit: int, cursor: str | None,
                      created_by: str | None = None) -> Page:
        """The tenant's keys (only those ``created_by`` that user, when given)."""
    def delete_api_key(self, tenant_id: str, key_id: str, created_by: str | None = None) -> bool:
        """Delete the key (only if ``created_by`` that user, when given); False if none was."""


class DeadLetterQueues(Protocol):
    """Each queue's dead-letter queue, by the queue's declared name (``outbound``, …)."""

    @property
    def names(self) -> list[str]: ...
    def count(self, queue: str) -> int: ...
    def peek(self, queue: str, limit: int) -> list[DeadLetter]:
        """Up to ``limit`` records, left where they are."""
    def redrive(self, queue: str, limit: int) -> int:
        """Move up to ``limit`` records back onto their queue; how many moved."""


class ThrottleStore(Protocol):
    """Failed-login counters and per-tenant rate windows, changed atomically, expiring alone."""

    def attempts(self, keys: Sequence[str]) -> dict[str, Attempts]:
        """The stored counters among ``keys`` (absent ones are left out)."""
    def replace_attempts(self, key: str, expected: Attempts | None, new: Attempts) -> bool:
        """Store ``new`` if the counter is still ``expected`` (None: absent); else False."""
    def forget_attempts(self, key: str) -> None: ...
    def take(self, tenant_id: str, window: str, limit: int, expires_epoch: int) -> bool:
        """Count one use in the tenant's ``window``; False, counting nothing, at ``limit``."""


class SessionRepo(Protocol):
    def create(self, session: Session, limit: int | None = None,
               over_limit: Exception | None = None) -> None: ...
    def uncount(self, tenant_id: str) -> None: ...
    def get(self, tenant_id: str, session_id: str) -> Session | None: ...
    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page: ...
    def delete(self, tenant_id: str, session_id: str) -> bool: ...
    def update(self, tenant_id: str, session_id: str,
               changes: dict[str, Any]) -> Session | None: ...
    def set_desired(self, tenant_id: str, session_id: str, status: SessionStatus,
                    reason: str | None, running: bool,
                    bump_auth_epoch: bool = False) -> Session | None:
        """API-side change of what the session should be doing (start/stop)."""
    def count_failed(self, most: int) -> int:
        """How many sessions of every tenant are FAILED, counting up to ``most``."""


class MessageRepo(Protocol):
    def create(self, message: Message, charges: tuple[Charge, ...] = ()) -> None: ...
    def create_many(self, messages: Sequence[Message]) -> None: ...
    def existing(self, tenant_id: str, message_ids: Sequence[str]) -> set[str]: ...
    def charge(self, tenant_id: str, charges: Sequence[Charge], count: int) -> None: ...
    def campaign_counts(self, tenant_id: str, campaign_id: str) -> dict[str, int]: ...
    def campaign_page(self, tenant_id: str, campaign_id: str, state: str | None, limit: int,
                      cursor: str | None) -> Page: ...
    def update_fields(self, tenant_id: str, message_id: str,
                      fields: dict[str, Any]) -> Message: ...
    def inflight(self, updated_before: str, limit: int = 100) -> list[Message]: ...
    def overdue(self, due_before: str, limit: int = 100) -> list[Message]: ...
    def get(self, tenant_id: str, message_id: str) -> Message | None: ...
    def by_engine_id(self, tenant_id: str, session_id: str, engine_id: str) -> Message | None: ...
    def list(self, tenant_id: str, session_id: str | None, chat: str | None, limit: int,
             cursor: str | None, after: str | None = None) -> Page:
        """Newest first; ``after``: only messages whose id sorts after it (a chat's)."""
    def transition(self, tenant_id: str, message_id: str, target: MessageStatus,
                   reason: str | None = None, **fields: Any) -> Message | None:
        """Move to ``target`` if allowed by the state machine; None when the condition fails."""


class OptOutList(Protocol):
    """The numbers that asked for no marketing messages (the send worker's one read)."""

    def is_opted_out(self, tenant_id: str, digits: str) -> bool: ...


class OptOutRepo(OptOutList, Protocol):
    def add(self, opt_out: OptOut) -> bool:
        """Store it unless the number is listed already; True when new."""
    def get(self, tenant_id: str, digits: str) -> OptOut | None: ...
    def remove(self, tenant_id: str, digits: str) -> OptOut | None: ...
    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page: ...
    def settings(self, tenant_id: str) -> OptOutSettings: ...
    def put_settings(self, tenant_id: str, settings: OptOutSettings) -> None: ...


class BotRepo(Protocol):
    def create(self, bot: Bot) -> None: ...
    def get(self, tenant_id: str, bot_id: str) -> Bot | None: ...
    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page: ...
    def all(self, tenant_id: str) -> list[Bot]:
        """Every bot of the tenant (at most ``domain.bots.MAX_BOTS``), one query."""
    def replace(self, bot: Bot) -> bool:
        """Store the changed bot if it still exists (its counters are left as they are)."""
    def delete(self, tenant_id: str, bot_id: str) -> bool: ...
    def claim(self, tenant_id: str, bot_id: str, mark: str, event_id: str, until_ms: int,
              now_ms: int) -> str:
        """Take a match mark (a chat's cooldown, or one event) and count the match, at once:
        ``new``; ``again`` when this event holds the mark already (a re-run: not counted);
        ``cooling`` when another event holds it; ``gone`` when the bot was deleted."""


class WebhookTargets(Protocol):
    """Where webhook deliveries go besides subscriptions (a webhook bot's URL)."""

    def target(self, tenant_id: str, target_id: str) -> Subscription | None: ...


class Queue(Protocol):
    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None: ...
    def send_many(self, bodies: Sequence[tuple[dict[str, Any], int]]) -> None:
        """Send (body, delay seconds) pairs, ten to a call."""


class Lane(Protocol):
    """An outbound queue: one per priority."""

    @property
    def arn(self) -> str: ...
    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None: ...
    def send_many(self, bodies: Sequence[tuple[dict[str, Any], int]]) -> None: ...


class CampaignGate(Protocol):
    def verdict(self, tenant_id: str, campaign_id: str) -> str: ...


class Scheduler(Protocol):
    def schedule(self, name: str, at: datetime, queue_arn: str, body: dict[str, Any]) -> None: ...
    def cancel(self, name: str) -> None: ...


class EventPublisher(Protocol):
    def publish(self, event: Event) -> None: ...


class Fleet(Protocol):
    """The session hosts, reached over the signed internal API."""

    def start(self, session: Session) -> None: ...
    def stop(self, session: Session, logout: bool = False) -> None: ...
    def send(self, session: Session, message: Message) -> dict[str, Any]: ...
    def live(self, session: Session, op: LiveOp) -> LiveResult:
        """Perform a live operation on the host holding the session (see domain.live),
        answering within ``LIVE_TIMEOUT_S`` or OutcomeUnknown."""


class Metrics(Protocol):
    """CloudWatch metrics (``chalicelib.metrics`` declares them), published when the
    invocation ends."""

    def count(self, metric: Metric, n: int = 1) -> None:
        """``n`` more occurrences (summed until published)."""
    def gauge(self, metric: Metric, value: float) -> None:
        """The metric's value now (the latest until published)."""


class HostRegistry(Protocol):
    """The fleet registry: where each live session host is and how loaded."""

    def heartbeat(self, host: HostRecord) -> None: ...
    def get(self, host_id: str) -> HostRecord | None: ...
    def alive(self, now_ms: int) -> list[HostRecord]: ...
    def registered(self) -> list[HostRecord]:
        """Every host record, lapsed ones too (one read of the registry)."""
    def remove(self, host_id: str) -> None: ...


class LeasedSessions(Protocol):
    """The session records as a host sees them: leases and fenced writes."""

    def get(self, tenant_id: str, session_id: str) -> Session | None: ...
    def claim(self, tenant_id: str, session_id: str, host_id: str, ttl_ms: int,
              now_ms: int) -> int | None:
        """Take the lease if it is free or lapsed: the new fencing token, else None."""
    def renew(self, tenant_id: str, session_id: str, host_id: str, fence: int, ttl_ms: int,
              now_ms: int) -> bool: ...
    def release(self, tenant_id: str, session_id: str, host_id: str, fence: int) -> None: ...
    def host_update(self, tenant_id: str, session_id: str, host_id: str, fence: int,
                    remove: tuple[str, ...] = (), **fields: Any) -> Session:
        """Write fields under the lease (StaleFence when it moved on)."""
    def runnable(self, limit: int = 100) -> list[Session]: ...


class HostMessages(Protocol):
    """The message records as a host writes them: sends, receipts, inbound, changes."""

    def begin_send(self, tenant_id: str, session_id: str, message_id: str, token: str,
                   engine_id: str | None, host_id: str, fence: int) -> bool: ...
    def abandon_send(self, tenant_id: str, session_id: str, message_id: str, token: str,
                     engine_id: str | None) -> None: ...
    def record_sent(self, tenant_id: str, session_id: str, message_id: str, engine_id: str,
                    token: str) -> bool: ...
    def by_engine_id(self, tenant_id: str, session_id: str, engine_id: str) -> Message | None: ...
    def record_change(self, tenant_id: str, session_id: str, host_id: str, fence: int,
                      message_id: str | None = None, fields: dict[str, Any] | None = None
                      ) -> bool: ...
    def apply_receipt(self, tenant_id: str, session_id: str, engine_id: str,
                      target: MessageStatus, host_id: str, fence: int) -> Message | None: ...
    def store_inbound(self, message: Message, host_id: str, fence: int) -> bool: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, hashed: str, password: str) -> bool: ...


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST; the HTTP status and the first KB of the answer. Raises OSError-like errors on
        transport failure and ``ValidationFailed`` when the SSRF policy refuses the URL
        (nothing is sent)."""


class SubscriptionRepo(Protocol):
    def create(self, subscription: Subscription) -> None: ...
    def get(self, tenant_id: str, webhook_id: str) -> Subscription | None: ...
    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page: ...
    def all(self, tenant_id: str) -> list[Subscription]:
        """Every subscription of the tenant (there are at most ``MAX_SUBSCRIPTIONS``)."""
    def update(self, tenant_id: str, webhook_id: str,
               changes: dict[str, Any]) -> Subscription | None:
        """Set fields (None removes one) of an existing subscription; None if there is none."""
    def set_failing_since(self, tenant_id: str, webhook_id: str, moment: str | None) -> None:
        """Start (only if not started) or end (None) a failing streak."""
    def delete(self, tenant_id: str, webhook_id: str) -> bool: ...


class EventStore(Protocol):
    """The tenant's events, kept for catch-up and replay, with the consumers each has had."""

    def handled(self, tenant_id: str, event_id: str) -> set[str] | None:
        """The consumers that have run for a stored event; None if it is not stored yet."""
    def save(self, event: Event, handled: set[str]) -> None: ...
    def list(self, tenant_id: str, after: str | None, cursor: str | None,
             types: list[str] | None, session_id: str | None, limit: int) -> Page:
        """Events oldest first, after event id ``after`` or from ``cursor``."""
    def window(self, tenant_id: str, since: datetime, until: datetime, cursor: str | None,
               limit: int) -> Page:
        """Events created in [since, until), oldest first."""


class DeliveryLog(Protocol):
    def get(self, tenant_id: str, webhook_id: str, delivery_id: str) -> Delivery | None: ...
    def save(self, delivery: Delivery, expected_attempts: int) -> bool:
        """Store the delivery if it still has ``expected_attempts`` attempts (0: also if it
        is not stored yet); else False."""
    def list(self, tenant_id: str, webhook_id: str, limit: int, cursor: str | None,
             status: str | None = None, event_type: str | None = None) -> Page: ...


class UrlPolicy(Protocol):
    def check(self, url: str, field: str) -> str:
        """The URL, normalized, if wagate may send requests to it; else ``ValidationFailed``
        (422) on ``field``: not http(s), credentials, too long, or a host that is, or resolves
        to, an address the SSRF policy refuses (or does not resolve at all)."""


class TemplateRepo(Protocol):
    def put(self, template: Template, must_exist: bool = False) -> bool: ...
    def get(self, tenant_id: str, template_id: str) -> Template | None: ...
    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page: ...
    def delete(self, tenant_id: str, template_id: str) -> bool: ...


class AccountRepo(Protocol):
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...
    def set_limits(self, tenant_id: str, limits: dict[str, Any]) -> Tenant | None: ...
    def usage(self, tenant_id: str, counters: list[str]) -> dict[str, int]: ...


class RecipientInbox(Protocol):
    """What sandbox recipients received, full text included (sandbox only)."""

    def record(self, tenant_id: str, phone: str, received: dict[str, Any]) -> None: ...
    def list(self, tenant_id: str, phone: str, limit: int, cursor: str | None) -> Page: ...


_Found = TypeVar("_Found")


class Keyring(Protocol):
    """One secret's values. ``current`` signs, hashes, seals and sends; ``accepted`` (current
    first, then the value it replaced, while a rotation overlaps) verifies, opens and
    accepts."""

    def current(self) -> str: ...
    def accepted(self) -> tuple[str, ...]: ...

    def first(self, check: Callable[[str], _Found | None]) -> _Found | None:
        """The first answer of ``check`` over the accepted values; when none answers, the
        values are read again (at most once, rate-limited) and any new one is tried: a
        newer process may already use a value rotated in since this one read them."""
        ...


class SecretVersions(Protocol):
    """A Secrets Manager secret's versions, as its rotation function sees them."""

    def describe(self, secret_id: str) -> tuple[bool, dict[str, list[str]]]:
        """Whether rotation is enabled, and each version id's staging labels."""
        ...

    def value(self, secret_id: str, stage: str, version_id: str | None = None) -> str | None:
        """The value staged ``stage`` (of that version), None when there is none."""
        ...

    def put_pending(self, secret_id: str, version_id: str, value: str) -> None: ...
    def random_value(self, length: int) -> str: ...

    def make_current(self, secret_id: str, version_id: str, current_id: str | None) -> None:
        """Move AWSCURRENT to ``version_id`` (the value it leaves becomes AWSPREVIOUS)."""
        ...

    def drop_pending(self, secret_id: str, version_id: str) -> None: ...


class Sealer(Protocol):
    """Encrypts what must not be readable at rest; ``open`` raises ValueError when it cannot."""

    def seal(self, data: bytes) -> str: ...
    def open(self, token: str) -> bytes: ...


class Fetcher(Protocol):
    def fetch(self, url: str, field: str) -> tuple[bytes, str | None, str | None]: ...


class MediaStore(Protocol):
    def put(self, tenant_id: str, message_id: str, data: bytes, mime_type: str,
            filename: str | None) -> StoredMedia: ...
    def get(self, media: StoredMedia, tenant_id: str) -> bytes: ...
    def presigned_url(self, media: StoredMedia, tenant_id: str, expires_s: int = 300) -> str: ...


class Base64Decoder(Protocol):
    def __call__(self, data: str, field: str, max_bytes: int) -> tuple[bytes, str | None]: ...


class IdempotencyStore(Protocol):
    def begin(self, tenant_id: str, key: str, fingerprint: str) -> IdempotencyRecord | None: ...
    def complete(self, tenant_id: str, key: str, status: int, body: Any) -> None: ...
    def abandon(self, tenant_id: str, key: str) -> None: ...


class DeviceRepo(Protocol):
    """Users' push devices, keyed by tenant, user and device id."""

    def get(self, tenant_id: str, user_id: str, device_id: str) -> Device | None: ...
    def create(self, device: Device, limit: int, over_limit: Exception) -> bool:
        """Store a new device, counted against the user's ``limit`` in the same write; False
        when it exists already, ``over_limit`` raised when the user has ``limit`` devices."""
    def replace(self, device: Device) -> bool:
        """Overwrite the stored device; False when there is none (nothing is written)."""
    def list(self, tenant_id: str, user_id: str, limit: int, cursor: str | None) -> Page:
        """One page of the user's devices."""
    def enabled(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        """One page of the tenant's enabled devices (every user's)."""
    def delete(self, tenant_id: str, user_id: str, device_id: str) -> bool:
        """Delete the device and give its place back; False when there was none."""
    def disable(self, tenant_id: str, user_id: str, device_id: str, notifiable_token: str,
                reason: str) -> bool:
        """Disable the device if it still has ``notifiable_token`` (a re-registered device
        keeps its new token enabled); False when it did not."""


class Pusher(Protocol):
    def push(self, device: Device, push: Push) -> PushOutcome:
        """Send ``push`` to the device; ``UNREGISTERED`` when the push service says its token
        is dead, ``FAILED`` when it could not be sent this time (never raises for those)."""


class PushLog(Protocol):
    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        """One page of the pushes the sandbox kept for the tenant, newest first."""


class HostContacts(Protocol):
    """What a session host records of people (see adapters.contacts_repo)."""

    def learn(self, tenant_id: str, session_id: str, jid: str, at: str, *,
              phone: str | None = None, lid: str | None = None, push_name: str | None = None,
              business_name: str | None = None) -> None:
        """A person's contact (made if new) and, with both ``phone`` and ``lid``, their LID
        mapping, in one write."""


class ContactsStore(HostContacts, Protocol):
    """A session's contacts and the tenant's LID <-> phone map."""

    def record_checks(self, tenant_id: str, session_id: str, checks: Sequence[NumberCheck],
                      at: str) -> None: ...
    def set_local_name(self, tenant_id: str, session_id: str, jid: str, at: str,
                       first_name: str | None, last_name: str | None,
                       known: dict[str, Any]) -> Contact: ...
    def set_fields(self, tenant_id: str, session_id: str, jid: str, at: str,
                   fields: dict[str, Any]) -> None: ...
    def get(self, tenant_id: str, session_id: str, jid: str) -> Contact | None: ...
    def list(self, tenant_id: str, session_id: str, limit: int, cursor: str | None,
             sort: str = "name", q: str | None = None) -> Page: ...
    def lids(self, tenant_id: str, limit: int, cursor: str | None) -> Page: ...
    def by_lid(self, tenant_id: str, lid: str) -> LidMapping | None: ...
    def by_phone(self, tenant_id: str, phone: str) -> LidMapping | None: ...


class ChatRepo(Protocol):
    """A session's chats and labels as wagate keeps them (adapters.chats_repo)."""

    def get(self, tenant_id: str, session_id: str, jid: str) -> Chat | None: ...
    def list(self, tenant_id: str, session_id: str, limit: int, cursor: str | None, *,
             archived: bool | None = None, pinned: bool | None = None,
             unread: bool | None = None, label: str | None = None) -> Page: ...
    def touch(self, tenant_id: str, session_id: str, jid: str, last: LastMessage,
              unread: int = 0, name: str | None = None) -> None:
        """A message came or went (one write)."""
    def change(self, tenant_id: str, session_id: str, jid: str, sets: dict[str, Any],
               remove: tuple[str, ...] = ()) -> None: ...
    def clear(self, tenant_id: str, session_id: str, jid: str, before_id: str,
              delete: bool = False) -> None: ...
    def merge_history(self, tenant_id: str, session_id: str, jid: str, *, at: str,
                      last: LastMessage | None, name: str | None, unread_count: int,
                      archived: bool, pinned: bool, muted_until: str | None) -> bool: ...
    def label_chat(self, tenant_id: str, session_id: str, jid: str, label_id: str,
                   on: bool) -> None: ...
    def put_label(self, tenant_id: str, label: StoredLabel) -> None: ...
    def get_label(self, tenant_id: str, session_id: str, label_id: str
                  ) -> StoredLabel | None: ...
    def labels(self, tenant_id: str, session_id: str) -> list[StoredLabel]: ...
    def delete_label(self, tenant_id: str, session_id: str, label_id: str
                     ) -> StoredLabel | None: ...


class OtpRepo(Protocol):
    """Verifications, each destination's pending one and recent sends, the tenant's OTP
    settings and send rate, and the global index of pending reverse codes (by hash)."""

    def settings(self, tenant_id: str) -> OtpSettings | None: ...
    def put_settings(self, tenant_id: str, settings: OtpSettings) -> None: ...
    def settings_and_destination(self, tenant_id: str, digits: str
                                 ) -> tuple[OtpSettings | None, Destination]: ...
    def get(self, tenant_id: str, otp_id: str) -> Verification | None: ...
    def commit_send(self, verification: Verification, expected: Verification | None,
                    digits: str, destination: Destination, rate: RateTake) -> str | None:
        """Write a send at once: the verification (new when ``expected`` is None, else
        replacing ``expected``), the destination (if still at ``destination.version - 1``)
        and one use of the rate. None when written, else what stopped it: "verification",
        "destination" or "rate"."""
    def replace(self, verification: Verification, expected: Verification) -> bool:
        """Write ``verification`` if the stored one is still ``expected`` (status,
        attempts and code)."""
    def try_approve(self, tenant_id: str, otp_id: str, code_hash: str, now: str
                    ) -> tuple[Verification | None, Verification | None]:
        """Approve in one write if pending, unexpired and ``code_hash`` matches: (the
        approved one, None); otherwise (None, the stored one or None)."""
    def create_reverse(self, verification: Verification, rate: RateTake) -> str | None:
        """Store a reverse verification and its code's index entry (the code must not be
        pending already); None when written, else "code" or "rate"."""
    def reverse_owner(self, code_key: str) -> tuple[str, str] | None:
        """(tenant id, verification id) of a reverse code until it expires (approved or
        not), by its hash."""


class UploadStore(Protocol):
    """CSV uploads in the object store: a record of each upload issued, the presigned URL the
    client puts the file to, and the file."""

    def create(self, upload: Upload) -> str:
        """Record ``upload``; the presigned PUT URL (``Content-Type: text/csv``)."""
    def get(self, tenant_id: str, upload_id: str) -> Upload | None: ...
    def read(self, tenant_id: str, upload_id: str, max_bytes: int) -> UploadedFile | None:
        """The file in one read (its bytes left out when over ``max_bytes``); None when it
        has not arrived."""


class AddressBookRepo(Protocol):
    """The tenant's address book: contacts (one per number), statuses, sources and groups."""

    def create_contact(self, contact: BookContact) -> bool:
        """Store a new contact; False when its number is another contact's."""
    def replace_contact(self, contact: BookContact, old_digits: str) -> str | None:
        """Write over the stored contact; None, or "phone" (number taken) or "contact"
        (gone)."""
    def get_contact(self, tenant_id: str, contact_id: str) -> BookContact | None: ...
    def delete_contact(self, tenant_id: str, contact_id: str) -> BookContact | None: ...
    def list_contacts(self, tenant_id: str, limit: int, cursor: str | None, q: str | None,
                      status: str | None, source: str | None, group_id: str | None
                      ) -> Page: ...
    def contacts(self, tenant_id: str, group_ids: Sequence[str] = (),
                 uses: tuple[TagKind, str] | None = None) -> Iterator[BookContact]:
        """Every contact (in any of ``group_ids``; using the tag ``uses``), lazily."""
    def phone_owners(self, tenant_id: str) -> dict[str, str]:
        """Every claimed number (digits) -> contact id."""
    def phone_owner(self, tenant_id: str, digits: str) -> str | None:
        """The id of the contact that claimed the number (digits), or None."""
    def get_contacts(self, tenant_id: str, contact_ids: Sequence[str]) -> list[BookContact]: ...
    def put_contacts(self, contacts: Sequence[BookContact],
                     claim: Sequence[BookContact]) -> None:
        """Write many contacts in batches, and the number claims of the new ones."""
    def put_tag(self, tag: Tag, must_exist: bool) -> bool: ...
    def get_tag(self, tenant_id: str, kind: TagKind, tag_id: str) -> Tag | None: ...
    def existing_tags(self, tenant_id: str, kind: TagKind,
                      tag_ids: Sequence[str]) -> set[str]: ...
    def list_tags(self, tenant_id: str, kind: TagKind, limit: int, cursor: str | None
                  ) -> Page: ...
    def delete_tag(self, tenant_id: str, kind: TagKind, tag_id: str) -> Tag | None: ...
class KnownChats(Protocol):
    """Whether a session has a chat with someone (they wrote, or it wrote to them)."""

    def get(self, tenant_id: str, session_id: str, jid: str) -> Chat | None: ...


class GovernorStore(Protocol):
    """The send governor's budgets per session (adapters.governor_repo); times in ms."""

    def limits(self, tenant_id: str, session_id: str) -> StoredLimits | None: ...
    def put_limits(self, tenant_id: str, session_id: str, stored: StoredLimits) -> None: ...
    def state(self, tenant_id: str, session_id: str) -> SessionState: ...
    def take(self, tenant_id: str, session_id: str, lane: str, expected_ms: int | None,
             new_ms: int, now_ms: int, respect_throttle: bool) -> SessionState | None:
        """Store the lane's new timestamp if it is still ``expected_ms`` (None: absent or at
        most ``now_ms``) and, with ``respect_throttle``, no throttle holds at ``now_ms``;
        count a send in the failure window. None once written; else the state as it was."""
    def throttle(self, tenant_id: str, session_id: str, expected: Throttle | None,
                 new: Throttle, now_ms: int) -> bool:
        """Store ``new`` if the throttle is still ``expected`` (None: none); else False."""
    def count_failure(self, tenant_id: str, session_id: str, now_ms: int,
                      window_ms: int) -> FailureWindow:
        """Count a failed send in the window (a new one when the last ended); the window."""
    def new_contact(self, tenant_id: str, session_id: str, digits: str, day: str,
                    budget: int, now_ms: int) -> Literal["known", "counted", "over"]:
        """At once: mark ``digits`` reached unless it is (``known``), and count it on ``day``
        while under ``budget`` (``counted``); ``over`` changes nothing."""
    def mark_talked(self, tenant_id: str, session_id: str, digits: str, now_ms: int) -> None: ...
    def contacts_on(self, tenant_id: str, session_id: str, day: str) -> int: ...


class CampaignRepo(Protocol):
    def create(self, campaign: Campaign) -> None: ...
    def get(self, tenant_id: str, campaign_id: str) -> Campaign | None: ...
    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page: ...
    def save(self, campaign: Campaign, due_at: str | None = None) -> Campaign | None: ...
    def due(self, before: str, limit: int = 100) -> list[tuple[str, str]]: ...
    def put_recipients(self, tenant_id: str, campaign_id: str,
                       recipients: Sequence[Recipient]) -> None: ...
    def recipients(self, tenant_id: str, campaign_id: str, start: int,
                   count: int) -> list[Recipient]: ...


class UploadAudiences(Protocol):
    """An uploaded CSV's recipients (services.uploads)."""

    def audience(self, tenant_id: str, upload_id: str) -> Audience: ...


class GroupAudiences(Protocol):
    """The contacts of address-book groups, their fields as variables."""

    def audience(self, tenant_id: str, group_ids: list[str]) -> Audience: ...


class Throttles(Protocol):
    def throttled_until(self, tenant_id: str, session_id: str) -> datetime | None: ...


class Aliases(Protocol):
    """Per-tenant integer numbers of wagate ids, by kind (adapters.aliases_repo)."""

    def numbers(self, tenant_id: str, kind: str, ids: Sequence[str]) -> dict[str, int]:
        """The numbers the ids already have (ids without one are absent)."""
    def target(self, tenant_id: str, kind: str, number: int) -> str | None: ...
    def assign(self, tenant_id: str, kind: str, wagate_id: str) -> int | None:
        """Give the id the next number; None when it already has one."""
