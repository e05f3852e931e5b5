"""In-memory fakes of the ports in ``chalicelib.services.ports``, and ``Services``: every
service wired by the real ``Container`` on them, for fast tests of the use cases.

Each fake keeps the promise its real adapter makes (the port's and the adapter's docstrings):
conditional writes refuse what the real condition refuses, lists are bounded pages with
tenant-bound cursors, queues keep delays. Nothing here does I/O, starts a thread or sleeps;
time is ``chalicelib.domain.clock``, which ``FakeClock.installed()`` replaces.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple, TypeVar
from unittest import mock
from urllib.parse import urlsplit

from chalicelib import resources
from chalicelib.adapters.media import MAX_PRESIGN_SECONDS, check_owner
from chalicelib.adapters.messages_repo import SEND_TOKEN
from chalicelib.adapters.safe_fetch import address_refusal, parse_url
from chalicelib.adapters.sessions_repo import SESSION_COUNTER
from chalicelib.bootstrap import Container
from chalicelib.domain import clock as clock_module
from chalicelib.domain import ids, paging
from chalicelib.domain.accounts import ApiKey, Tenant, User
from chalicelib.domain.audiences import Recipient
from chalicelib.domain.auth import PLATFORM_TENANT, ROLE_SCOPES, SCOPES, Attempts, Principal, Role
from chalicelib.domain.bots import Bot
from chalicelib.domain.campaigns import Campaign, CampaignStatus
from chalicelib.domain.campaigns import bucket as campaign_bucket
from chalicelib.domain.content import StoredMedia
from chalicelib.domain.devices import Device, Push, PushOutcome
from chalicelib.domain.errors import (
    Conflict,
    NotFound,
    OutcomeUnknown,
    SessionUnavailable,
    StaleFence,
    ValidationFailed,
)
from chalicelib.domain.events import Event, EventType, matches
from chalicelib.domain.governor import FailureWindow, SessionState, StoredLimits, Throttle
from chalicelib.domain.hosts import HostRecord
from chalicelib.domain.idempotency import IdempotencyRecord
from chalicelib.domain.live import LiveOp, LiveResult
from chalicelib.domain.media import media_key, safe_filename
from chalicelib.domain.messages import Message, MessageStatus, predecessors
from chalicelib.domain.optouts import OptOut, OptOutSettings
from chalicelib.domain.paging import Page
from chalicelib.domain.quotas import Charge, Limits
from chalicelib.domain.sessions import Session, SessionStatus, not_ready_error
from chalicelib.domain.templates import Template
from chalicelib.domain.webhooks import MAX_SUBSCRIPTIONS, Delivery, Subscription
from chalicelib.metrics import Metric
from chalicelib.settings import Settings

T = TypeVar("T")
SQS_MAX_DELAY_S = 900
SQS_BATCH = 10


# --- time ---------------------------------------------------------------------------------------


class FakeClock:
    """The gateway's clock, moved by hand."""

    def __init__(self, start: datetime = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        self.moment += timedelta(seconds=seconds, **delta)
        return self.moment

    @contextmanager
    def installed(self) -> Iterator[FakeClock]:
        """Make ``chalicelib.domain.clock.now`` (and so every service and fake) read this."""
        with mock.patch.object(clock_module, "now", self.now):
            yield self


# --- paging -------------------------------------------------------------------------------------


def page_of(tenant_id: str, rows: Sequence[tuple[str, T]], limit: int, cursor: str | None,
            newest_first: bool = False) -> Page:
    """One page of ``rows`` (sort key, item) in sort-key order, starting after the cursor's key.

    Cursors are encoded like the real ones (``{"pk": tenant, "sk": last key}``), so another
    tenant's cursor or garbage is the same 422; ``next_cursor`` is None on the last page.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")  # DynamoDB refuses Limit < 1 too
    start = paging.decode_cursor(cursor, tenant_id)
    ordered = sorted(rows, key=lambda row: row[0], reverse=newest_first)
    if start is not None:
        if "sk" not in start:
            raise ValidationFailed.field("cursor", "is not a valid cursor")
        after = start["sk"]
        ordered = [r for r in ordered if (r[0] < after if newest_first else r[0] > after)]
    chunk = ordered[:limit]
    more = len(ordered) > limit
    next_cursor = paging.encode_cursor({"pk": tenant_id, "sk": chunk[-1][0]}) if more else None
    return Page([item for _, item in chunk], next_cursor)


def _json(value: Any) -> Any:
    """``value`` as it comes back from a store that keeps JSON (and refuses anything else)."""
    return json.loads(json.dumps(value))


# --- users, tenants, keys, usage counters -------------------------------------------------------


class FakeUsers:
    """``UserRepo`` and ``AccountRepo`` in memory, like the users table that holds both.

    ``counters`` are the tenant's usage counters (``USAGE#…``); the session and message fakes
    given the same dict count into it, as the real repositories count into the users table.
    """

    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.users: dict[str, User] = {}  # by username (the global login claim)
        self.keys: dict[tuple[str, str], ApiKey] = {}
        self.revoked: set[tuple[str, str, str]] = set()
        self.counters: dict[tuple[str, str], int] = {}

    def put_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.id] = tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def list_tenants(self, limit: int, cursor: str | None) -> Page:
        rows = [(f"TENANT#{t.created_at}#{t.id}", t) for t in self.tenants.values()]
        return page_of(PLATFORM_TENANT, rows, limit, cursor)

    def set_limits(self, tenant_id: str, limits: dict[str, Any]) -> Tenant | None:
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            return None
        tenant = tenant.model_copy(update={"limits": Limits.model_validate(limits)})
        self.tenants[tenant_id] = tenant
        return tenant

    def usage(self, tenant_id: str, counters: list[str]) -> dict[str, int]:
        return {name: self.counters.get((tenant_id, name), 0) for name in counters}

    def create_user(self, user: User) -> None:
        if user.username in self.users:
            raise Conflict("username is already taken", code="username_taken")
        self.users[user.username] = user

    def get_user(self, tenant_id: str, user_id: str) -> User | None:
        return next((u for u in self.users.values()
                     if u.tenant_id == tenant_id and u.id == user_id), None)

    def find_login(self, username: str) -> User | None:
        return self.users.get(username)

    def list_users(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"USER#{u.id}", u) for u in self.users.values() if u.tenant_id == tenant_id]
        return page_of(tenant_id, rows, limit, cursor)

    def delete_user(self, user: User) -> None:
        self.users.pop(user.username, None)

    def set_password(self, tenant_id: str, user_id: str, password_hash: str) -> User | None:
        user = self.get_user(tenant_id, user_id)
        if user is None:
            return None
        user = user.model_copy(update={"password_hash": password_hash,
                                       "token_generation": user.token_generation + 1})
        self.users[user.username] = user
        return user

    def user_and_revocation(self, tenant_id: str, user_id: str,
                            jti: str) -> tuple[User | None, bool]:
        return self.get_user(tenant_id, user_id), (tenant_id, user_id, jti) in self.revoked

    def revoke_token(self, tenant_id: str, user_id: str, jti: str, expires_epoch: int) -> None:
        self.revoked.add((tenant_id, user_id, jti))

    def bump_token_generation(self, tenant_id: str, user_id: str) -> None:
        user = self.get_user(tenant_id, user_id)
        if user is not None:
            self.users[user.username] = user.model_copy(
                update={"token_generation": user.token_generation + 1})

    def put_api_key(self, key: ApiKey) -> None:
        self.keys[(key.tenant_id, key.id)] = key

    def get_api_key(self, tenant_id: str, key_id: str) -> ApiKey | None:
        return self.keys.get((tenant_id, key_id))

    def list_api_keys(self, tenant_id: str, limit: int, cursor: str | None,
                      created_by: str | None = None) -> Page:
        rows = [(f"APIKEY#{k.id}", k) for (t, _), k in self.keys.items()
                if t == tenant_id and created_by in (None, k.created_by)]
        return page_of(tenant_id, rows, limit, cursor)

    def delete_api_key(self, tenant_id: str, key_id: str, created_by: str | None = None) -> bool:
        key = self.keys.get((tenant_id, key_id))
        if key is None or created_by not in (None, key.created_by):
            return False
        del self.keys[(tenant_id, key_id)]
        return True


class FakeThrottle:
    """``ThrottleStore`` in memory, with the same compare-and-swap and counting rules."""

    def __init__(self) -> None:
        self.counters: dict[str, Attempts] = {}
        self.windows: dict[tuple[str, str], int] = {}

    def attempts(self, keys: Sequence[str]) -> dict[str, Attempts]:
        return {k: self.counters[k] for k in keys if k in self.counters}

    def replace_attempts(self, key: str, expected: Attempts | None, new: Attempts) -> bool:
        if self.counters.get(key) != expected:
            return False
        self.counters[key] = new
        return True

    def forget_attempts(self, key: str) -> None:
        self.counters.pop(key, None)

    def take(self, tenant_id: str, window: str, limit: int, expires_epoch: int) -> bool:
        used = self.windows.get((tenant_id, window), 0)
        if used >= limit:
            return False
        self.windows[(tenant_id, window)] = used + 1
        return True


class FakeHasher:
    """Plain-text "hashes" (fast); counts how often a password was checked."""

    def __init__(self) -> None:
        self.checks = 0

    def hash(self, password: str) -> str:
        return f"plain:{password}"

    def verify(self, hashed: str, password: str) -> bool:
        self.checks += 1
        return hashed == f"plain:{password}"


# --- sessions -----------------------------------------------------------------------------------


class FakeSessions:
    """``SessionRepo`` in memory. Items are kept as the table keeps them (JSON, absent
    attributes for None), so removing a field returns it to its default."""

    def __init__(self, counters: dict[tuple[str, str], int] | None = None) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.counters = counters if counters is not None else {}

    @staticmethod
    def _dump(session: Session) -> dict[str, Any]:
        return session.model_dump(mode="json", exclude_none=True)

    def create(self, session: Session, limit: int | None = None,
               over_limit: Exception | None = None) -> None:
        key = (session.tenant_id, session.id)
        if key in self.items:
            raise Conflict("session already exists")
        if limit is not None:
            counter = (session.tenant_id, SESSION_COUNTER)
            if self.counters.get(counter, 0) >= limit:
                raise over_limit or Conflict("session limit reached")
            self.counters[counter] = self.counters.get(counter, 0) + 1
        self.items[key] = self._dump(session)

    def put(self, session: Session) -> None:
        """Store ``session`` as it is (a test arranging what hosts would have written)."""
        self.items[(session.tenant_id, session.id)] = self._dump(session)

    def uncount(self, tenant_id: str) -> None:
        counter = (tenant_id, SESSION_COUNTER)
        self.counters[counter] = self.counters.get(counter, 0) - 1

    def get(self, tenant_id: str, session_id: str) -> Session | None:
        item = self.items.get((tenant_id, session_id))
        return Session.model_validate(copy.deepcopy(item)) if item else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"SESSION#{sid}", Session.model_validate(copy.deepcopy(item)))
                for (tid, sid), item in self.items.items() if tid == tenant_id]
        return page_of(tenant_id, rows, limit, cursor)

    def delete(self, tenant_id: str, session_id: str) -> bool:
        return self.items.pop((tenant_id, session_id), None) is not None

    def update(self, tenant_id: str, session_id: str,
               changes: dict[str, Any]) -> Session | None:
        item = self.items.get((tenant_id, session_id))
        if item is None:
            return None
        for name, value in changes.items():
            if value is None:
                item.pop(name, None)
            else:
                item[name] = _json(value)
        item["updated_at"] = clock_module.now_iso()
        return self.get(tenant_id, session_id)

    def set_desired(self, tenant_id: str, session_id: str, status: SessionStatus,
                    reason: str | None, running: bool,
                    bump_auth_epoch: bool = False) -> Session | None:
        item = self.items.get((tenant_id, session_id))
        if item is None:
            return None
        item.update(status=status.value, updated_at=clock_module.now_iso())
        if reason:
            item["reason"] = reason
        else:
            item.pop("reason", None)
        if bump_auth_epoch:
            item["auth_epoch"] = item.get("auth_epoch", 0) + 1
            item.pop("phone", None)
        if not running:  # nobody should hold it any more: the lease goes
            item.pop("owner", None)
            item.pop("qr", None)
            item["lease_until_ms"] = 0
        return self.get(tenant_id, session_id)

    def count_failed(self, most: int) -> int:
        return min(most, sum(1 for item in self.items.values()
                             if item["status"] == SessionStatus.FAILED.value))

    def holds(self, tenant_id: str, session_id: str, host_id: str, fence: int) -> bool:
        """Whether ``host_id`` holds the session's lease with ``fence`` (the fence check)."""
        item = self.items.get((tenant_id, session_id))
        return item is not None and item.get("owner") == host_id and item.get("fence") == fence


# --- messages -----------------------------------------------------------------------------------


class FakeMessages:
    """``MessageRepo`` in memory, plus the session hosts' writes (send tokens, receipts,
    inbound), with the DynamoDB repository's rules:

    - every status write is allowed by ``predecessors`` (else None), and back to "queued" only
      while no send token is on the message;
    - ``timestamps`` keeps when each status was first reached (a requeue is in ``history``
      only), and a write is stamped no earlier than the message's last change;
    - ``create`` checks the session exists and spends every charge, all or nothing, raising
      the first refused charge's error;
    - the sparse index: "sending" messages are in-flight, scheduled ones are watched until
      taken; ``inflight``/``overdue`` read them across tenants, oldest change first.
    """

    def __init__(self, sessions: FakeSessions,
                 counters: dict[tuple[str, str], int] | None = None) -> None:
        self.sessions = sessions
        self.counters = counters if counters is not None else sessions.counters
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.pointers: dict[tuple[str, str, str], str] = {}  # engine id -> message id

    def item(self, tenant_id: str, message_id: str) -> dict[str, Any]:
        """The stored item, with what the API never shows (``send_token``, ``attempts``)."""
        return copy.deepcopy(self.items[(tenant_id, message_id)])

    def create(self, message: Message, charges: tuple[Charge, ...] = ()) -> None:
        session = self.sessions.get(message.tenant_id, message.session_id)
        if session is None:
            raise ValidationFailed.field("session_id", "no such session")
        refusal = not_ready_error(session)
        if refusal is not None:
            raise refusal
        key = (message.tenant_id, message.id)
        if key in self.items:
            raise ValueError(f"message {message.id} exists")
        counters = [(message.tenant_id, charge.sk) for charge in charges]
        for counter, charge in zip(counters, charges, strict=True):
            if self.counters.get(counter, 0) >= charge.limit:
                raise charge.error
        for counter in counters:
            self.counters[counter] = self.counters.get(counter, 0) + 1
        item = message.model_dump(mode="json", exclude_none=True)
        if message.status == MessageStatus.SCHEDULED:
            item["inflight"] = "SCHEDULED"
        self.items[key] = item

    def create_many(self, messages: Sequence[Message]) -> None:
        """Batch puts: no condition, no counters (``charge`` spends those)."""
        for message in messages:
            self.items[(message.tenant_id, message.id)] = message.model_dump(
                mode="json", exclude_none=True)

    def existing(self, tenant_id: str, message_ids: Sequence[str]) -> set[str]:
        return {mid for mid in message_ids if (tenant_id, mid) in self.items}

    def charge(self, tenant_id: str, charges: Sequence[Charge], count: int) -> None:
        for charge in charges:
            spent = self.counters.get((tenant_id, charge.sk), 0)
            if spent + count > charge.limit:
                raise charge.error
            self.counters[(tenant_id, charge.sk)] = spent + count

    def campaign_counts(self, tenant_id: str, campaign_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (tid, _), item in self.items.items():
            if tid == tenant_id and item.get("campaign_id") == campaign_id:
                state = campaign_bucket(MessageStatus(item["status"]),
                                        (item.get("history") or [{}])[-1].get("reason"))
                counts[state] = counts.get(state, 0) + 1
        return counts

    def campaign_page(self, tenant_id: str, campaign_id: str, state: str | None, limit: int,
                      cursor: str | None) -> Page:
        rows = []
        for (tid, mid), item in self.items.items():
            bucket = campaign_bucket(MessageStatus(item["status"]),
                                     (item.get("history") or [{}])[-1].get("reason"))
            if tid == tenant_id and item.get("campaign_id") == campaign_id \
                    and state in (None, bucket):
                rows.append((f"{bucket}#MSG#{mid}", {**item, "campaign_state": bucket}))
        return page_of(tenant_id, rows, limit, cursor)

    def update_fields(self, tenant_id: str, message_id: str,
                      fields: dict[str, Any]) -> Message:
        item = self.items.get((tenant_id, message_id))
        if item is None:
            raise LookupError(f"no message {message_id}")  # the real write's condition fails
        item.update(_json(fields))
        return self._message(item)

    def inflight(self, updated_before: str, limit: int = 100) -> list[Message]:
        return self._watched("SENDING", lambda i: i["updated_at"] < updated_before, limit)

    def overdue(self, due_before: str, limit: int = 100) -> list[Message]:
        return self._watched("SCHEDULED", lambda i: i.get("schedule_at", "") < due_before, limit)

    def _watched(self, kind: str, keep: Callable[[dict[str, Any]], bool],
                 limit: int) -> list[Message]:
        found = sorted((i for i in self.items.values() if i.get("inflight") == kind and keep(i)),
                       key=lambda i: i["updated_at"])
        return [self._message(i) for i in found[:limit]]

    def get(self, tenant_id: str, message_id: str) -> Message | None:
        item = self.items.get((tenant_id, message_id))
        return self._message(item) if item else None

    def list(self, tenant_id: str, session_id: str | None, chat: str | None, limit: int,
             cursor: str | None) -> Page:
        rows = [(f"MSG#{mid}", self._message(item))
                for (tid, mid), item in self.items.items()
                if tid == tenant_id and session_id in (None, item["session_id"])
                and (not (chat and session_id) or item["chat"] == chat)]
        return page_of(tenant_id, rows, limit, cursor, newest_first=True)

    def transition(self, tenant_id: str, message_id: str, target: MessageStatus,
                   reason: str | None = None, **fields: Any) -> Message | None:
        item = self._write(tenant_id, message_id, target, reason, fields)
        return self._message(item) if item else None

    def _write(self, tenant_id: str, message_id: str, target: MessageStatus,
               reason: str | None, fields: dict[str, Any],
               token: str | None = None) -> dict[str, Any] | None:
        """One conditional status write (``token``: only by the attempt holding it)."""
        item = self.items.get((tenant_id, message_id))
        if item is None or item["status"] not in {s.value for s in predecessors(target)}:
            return None
        if target == MessageStatus.QUEUED and SEND_TOKEN in item:
            return None  # a send began: it never goes back to the queue
        if token is not None and item.get(SEND_TOKEN) != token:
            return None
        at = max(clock_module.now_iso(), item["updated_at"])  # never before the last change
        item.update(status=target.value, updated_at=at, **_json(fields))
        item["history"].append({"status": target.value, "at": at, "reason": reason})
        if target != MessageStatus.QUEUED:  # a requeue is no progress: history only
            item["timestamps"].setdefault(target.value, at)
        if target == MessageStatus.SENDING:
            item["inflight"] = "SENDING"
        else:
            item.pop("inflight", None)
        return item

    @staticmethod
    def _message(item: dict[str, Any]) -> Message:
        return Message.model_validate(copy.deepcopy(item))

    # --- writes by the owning session host, fenced by its lease ---

    def _fence(self, tenant_id: str, session_id: str, host_id: str, fence: int) -> None:
        if not self.sessions.holds(tenant_id, session_id, host_id, fence):
            raise StaleFence(f"{tenant_id}/{session_id} fence {fence}")

    def begin_send(self, tenant_id: str, session_id: str, message_id: str, token: str,
                   engine_id: str | None, host_id: str, fence: int) -> bool:
        self._fence(tenant_id, session_id, host_id, fence)
        item = self.items.get((tenant_id, message_id))
        if item is None or item["status"] != MessageStatus.SENDING.value or SEND_TOKEN in item:
            return False
        pointer = (tenant_id, session_id, engine_id) if engine_id else None
        if pointer and pointer in self.pointers:
            return False
        item[SEND_TOKEN] = token
        if pointer and engine_id:
            item["engine_message_id"] = engine_id
            self.pointers[pointer] = message_id
        return True

    def abandon_send(self, tenant_id: str, session_id: str, message_id: str, token: str,
                     engine_id: str | None) -> None:
        item = self.items.get((tenant_id, message_id))
        if item is None or item.get(SEND_TOKEN) != token:
            return
        del item[SEND_TOKEN]
        if engine_id:
            item.pop("engine_message_id", None)
            self.pointers.pop((tenant_id, session_id, engine_id), None)

    def record_sent(self, tenant_id: str, session_id: str, message_id: str, engine_id: str,
                    token: str) -> bool:
        item = self._write(tenant_id, message_id, MessageStatus.SENT, None,
                           {"engine_message_id": engine_id}, token=token)
        if item is None:
            return False
        self.pointers[(tenant_id, session_id, engine_id)] = message_id
        return True

    def by_engine_id(self, tenant_id: str, session_id: str, engine_id: str) -> Message | None:
        message_id = self.pointers.get((tenant_id, session_id, engine_id))
        return self.get(tenant_id, message_id) if message_id else None

    def apply_receipt(self, tenant_id: str, session_id: str, engine_id: str,
                      target: MessageStatus, host_id: str, fence: int) -> Message | None:
        message_id = self.pointers.get((tenant_id, session_id, engine_id))
        if message_id is None:
            return None
        self._fence(tenant_id, session_id, host_id, fence)
        return self.transition(tenant_id, message_id, target)

    def store_inbound(self, message: Message, host_id: str, fence: int) -> bool:
        self._fence(message.tenant_id, message.session_id, host_id, fence)
        pointer = (message.tenant_id, message.session_id, message.engine_message_id or message.id)
        if pointer in self.pointers:
            return False  # a replay
        self.pointers[pointer] = message.id
        self.items[(message.tenant_id, message.id)] = message.model_dump(mode="json",
                                                                         exclude_none=True)
        return True


# --- templates, idempotency, delivery log -------------------------------------------------------


class FakeTemplates:
    """``TemplateRepo`` in memory: ``put`` writes only a new template, or with ``must_exist``
    only an existing one (False otherwise)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Template] = {}

    def put(self, template: Template, must_exist: bool = False) -> bool:
        key = (template.tenant_id, template.id)
        if (key in self.items) != must_exist:
            return False
        self.items[key] = template.model_copy(deep=True)
        return True

    def get(self, tenant_id: str, template_id: str) -> Template | None:
        template = self.items.get((tenant_id, template_id))
        return template.model_copy(deep=True) if template else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"TPL#{tid}", t.model_copy(deep=True))
                for (tenant, tid), t in self.items.items() if tenant == tenant_id]
        return page_of(tenant_id, rows, limit, cursor)

    def delete(self, tenant_id: str, template_id: str) -> bool:
        return self.items.pop((tenant_id, template_id), None) is not None


class FakeCampaigns:
    """``CampaignRepo`` in memory (versioned saves, recipients by seq)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Campaign] = {}
        self.due_at: dict[tuple[str, str], str] = {}
        self.rows: dict[tuple[str, str], list[Recipient]] = {}

    def create(self, campaign: Campaign) -> None:
        self.items[(campaign.tenant_id, campaign.id)] = campaign.model_copy(deep=True)

    def get(self, tenant_id: str, campaign_id: str) -> Campaign | None:
        found = self.items.get((tenant_id, campaign_id))
        return found.model_copy(deep=True) if found else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"CMP#{c.id}", c) for (tenant, _), c in self.items.items()
                if tenant == tenant_id]
        return page_of(tenant_id, rows, limit, cursor, newest_first=True)

    def save(self, campaign: Campaign, due_at: str | None = None) -> Campaign | None:
        key = (campaign.tenant_id, campaign.id)
        if key not in self.items or self.items[key].version != campaign.version:
            return None
        saved = campaign.model_copy(update={"version": campaign.version + 1}, deep=True)
        self.items[key] = saved
        if due_at and saved.status in (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED):
            self.due_at[key] = due_at
        else:
            self.due_at.pop(key, None)
        return saved.model_copy(deep=True)

    def due(self, before: str, limit: int = 100) -> list[tuple[str, str]]:
        return [key for key, at in sorted(self.due_at.items(), key=lambda kv: kv[1])
                if at < before][:limit]

    def put_recipients(self, tenant_id: str, campaign_id: str,
                       recipients: Sequence[Recipient]) -> None:
        self.rows[(tenant_id, campaign_id)] = list(recipients)

    def recipients(self, tenant_id: str, campaign_id: str, start: int,
                   count: int) -> list[Recipient]:
        return self.rows.get((tenant_id, campaign_id), [])[start:start + max(count, 0)]


class FakeOptOuts:
    """``OptOutRepo`` in memory."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], OptOut] = {}
        self.saved: dict[str, OptOutSettings] = {}

    def add(self, opt_out: OptOut) -> bool:
        key = (opt_out.tenant_id, opt_out.phone.lstrip("+"))
        if key in self.items:
            return False
        self.items[key] = opt_out.model_copy()
        return True

    def get(self, tenant_id: str, digits: str) -> OptOut | None:
        return self.items.get((tenant_id, digits))

    def is_opted_out(self, tenant_id: str, digits: str) -> bool:
        return (tenant_id, digits) in self.items

    def remove(self, tenant_id: str, digits: str) -> OptOut | None:
        return self.items.pop((tenant_id, digits), None)

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"OPT#{d}", o) for (tenant, d), o in sorted(self.items.items())
                if tenant == tenant_id]
        return page_of(tenant_id, rows, limit, cursor)

    def settings(self, tenant_id: str) -> OptOutSettings:
        return self.saved.get(tenant_id) or OptOutSettings()

    def put_settings(self, tenant_id: str, settings: OptOutSettings) -> None:
        self.saved[tenant_id] = settings


class FakeBots:
    """``BotRepo`` in memory; ``claim`` keeps the same marks as the table does."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Bot] = {}
        self.marks: dict[tuple[str, str], tuple[str, int]] = {}  # -> (event id, until ms)

    def create(self, bot: Bot) -> None:
        self.items[(bot.tenant_id, bot.id)] = bot.model_copy(deep=True)

    def get(self, tenant_id: str, bot_id: str) -> Bot | None:
        bot = self.items.get((tenant_id, bot_id))
        return bot.model_copy(deep=True) if bot else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"BOT#{b}", bot.model_copy(deep=True))
                for (tenant, b), bot in sorted(self.items.items()) if tenant == tenant_id]
        return page_of(tenant_id, rows, limit, cursor)

    def all(self, tenant_id: str) -> list[Bot]:
        return self.list(tenant_id, 100, None).items

    def replace(self, bot: Bot) -> bool:
        current = self.items.get((bot.tenant_id, bot.id))
        if current is None:
            return False
        self.items[(bot.tenant_id, bot.id)] = bot.model_copy(update={
            "matches": current.matches, "last_matched_at": current.last_matched_at})
        return True

    def delete(self, tenant_id: str, bot_id: str) -> bool:
        return self.items.pop((tenant_id, bot_id), None) is not None

    def claim(self, tenant_id: str, bot_id: str, mark: str, event_id: str, until_ms: int,
              now_ms: int) -> str:
        held = self.marks.get((tenant_id, mark))
        if held is not None and held[1] > now_ms:
            return "again" if held[0] == event_id else "cooling"
        bot = self.items.get((tenant_id, bot_id))
        if bot is None:
            return "gone"
        self.marks[(tenant_id, mark)] = (event_id, until_ms)
        self.items[(tenant_id, bot_id)] = bot.model_copy(update={
            "matches": bot.matches + 1, "last_matched_at": clock_module.now_iso()})
        return "new"

    def target(self, tenant_id: str, target_id: str) -> Subscription | None:
        bot = self.items.get((tenant_id, target_id))
        return bot.webhook_target() if bot else None


class FakeIdempotencyStore:
    """``IdempotencyStore`` in memory: a key is claimed once and kept 24 h (by the gateway's
    clock); bodies come back as JSON, as stored."""

    RETENTION = timedelta(hours=24)

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], tuple[datetime, IdempotencyRecord]] = {}

    def begin(self, tenant_id: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
        now = clock_module.now()
        held = self.records.get((tenant_id, key))
        if held is not None and held[0] > now:
            return held[1]
        self.records[(tenant_id, key)] = (now + self.RETENTION,
                                          IdempotencyRecord("in_progress", fingerprint))
        return None

    def complete(self, tenant_id: str, key: str, status: int, body: Any) -> None:
        expires, record = self.records[(tenant_id, key)]
        self.records[(tenant_id, key)] = (expires, IdempotencyRecord(
            "done", record.fingerprint, status, _json(body)))

    def abandon(self, tenant_id: str, key: str) -> None:
        self.records.pop((tenant_id, key), None)


class FakeDeliveryLog:
    """``DeliveryLog`` in memory: deliveries by (tenant, webhook, delivery id)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.writes = 0

    def get(self, tenant_id: str, webhook_id: str, delivery_id: str) -> Delivery | None:
        item = self.items.get((tenant_id, webhook_id, delivery_id))
        return Delivery.model_validate(item) if item else None

    def save(self, delivery: Delivery, expected_attempts: int) -> bool:
        key = (delivery.tenant_id, delivery.webhook_id, delivery.id)
        current = self.items.get(key)
        if current is not None and current["attempt_count"] != expected_attempts:
            return False
        self.writes += 1
        self.items[key] = _json(delivery.model_dump(mode="json"))
        return True

    def list(self, tenant_id: str, webhook_id: str, limit: int, cursor: str | None,
             status: str | None = None, event_type: str | None = None) -> Page:
        rows = [(f"DLV#{w}#{d}", Delivery.model_validate(item))
                for (t, w, d), item in self.items.items()
                if t == tenant_id and w == webhook_id
                and (status is None or item["status"] == status)
                and (event_type is None or matches([event_type], item["event"]["type"]))]
        return page_of(tenant_id, rows, limit, cursor, newest_first=True)


class FakeSubscriptions:
    """``SubscriptionRepo`` in memory."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Subscription] = {}

    def create(self, subscription: Subscription) -> None:
        self.items[(subscription.tenant_id, subscription.id)] = subscription.model_copy()

    def get(self, tenant_id: str, webhook_id: str) -> Subscription | None:
        found = self.items.get((tenant_id, webhook_id))
        return found.model_copy() if found else None

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"WH#{i}", s.model_copy()) for (t, i), s in self.items.items() if t == tenant_id]
        return page_of(tenant_id, rows, limit, cursor)

    def all(self, tenant_id: str) -> list[Subscription]:
        return self.list(tenant_id, MAX_SUBSCRIPTIONS, None).items

    def update(self, tenant_id: str, webhook_id: str,
               changes: dict[str, Any]) -> Subscription | None:
        current = self.items.get((tenant_id, webhook_id))
        if current is None:
            return None
        updated = Subscription.model_validate({**current.model_dump(), **changes})
        self.items[(tenant_id, webhook_id)] = updated
        return updated.model_copy()

    def set_failing_since(self, tenant_id: str, webhook_id: str, moment: str | None) -> None:
        current = self.items.get((tenant_id, webhook_id))
        if current is not None and (moment is None or current.failing_since is None):
            current.failing_since = moment

    def delete(self, tenant_id: str, webhook_id: str) -> bool:
        return self.items.pop((tenant_id, webhook_id), None) is not None


class FakeEventStore:
    """``EventStore`` in memory (ordered by event id, like the table's sort key)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[Event, set[str]]] = {}

    def handled(self, tenant_id: str, event_id: str) -> set[str] | None:
        found = self.items.get((tenant_id, event_id))
        return set(found[1]) if found else None

    def save(self, event: Event, handled: set[str]) -> None:
        self.items[(event.tenant_id, event.id)] = (event, set(handled))

    def _rows(self, tenant_id: str) -> list[tuple[str, Event]]:
        return [(f"EVT#{i}", e) for (t, i), (e, _) in self.items.items() if t == tenant_id]

    def list(self, tenant_id: str, after: str | None, cursor: str | None,
             types: list[str] | None, session_id: str | None, limit: int) -> Page:
        rows = [(k, e) for k, e in self._rows(tenant_id)
                if (after is None or e.id > after) and (not types or matches(types, e.type))
                and (session_id is None or e.session_id == session_id)]
        return page_of(tenant_id, rows, limit, cursor)

    def window(self, tenant_id: str, since: datetime, until: datetime, cursor: str | None,
               limit: int) -> Page:
        low, high = (f"evt_{ids.floor_id(since)}", f"evt_{ids.floor_id(until)}")
        rows = [(k, e) for k, e in self._rows(tenant_id) if low <= e.id < high]
        return page_of(tenant_id, rows, limit, cursor)


# --- queues, scheduler, events ------------------------------------------------------------------


class Sent(NamedTuple):
    body: dict[str, Any]
    delay_seconds: int
    visible_at: datetime


class FakeQueue:
    """A queue (``Queue``, and ``Lane`` with its ARN) that keeps what was sent: the body as
    JSON, the delay, and when SQS would first hand it out. A delay outside SQS's 0-900 s is
    refused (the real adapter would clamp it, and a clamped delay delivers early)."""

    def __init__(self, name: str = "queue") -> None:
        self.name = name
        self.arn = f"arn:aws:sqs:us-east-1:000000000000:{name}"
        self.sent: list[Sent] = []
        self.batches = 0
        self.outage: Exception | None = None  # raised by every send while set

    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        if self.outage is not None:
            raise self.outage
        if not 0 <= delay_seconds <= SQS_MAX_DELAY_S:
            raise ValueError(f"SQS delays are 0-{SQS_MAX_DELAY_S} s, not {delay_seconds}")
        self.sent.append(Sent(_json(body), delay_seconds,
                              clock_module.now() + timedelta(seconds=delay_seconds)))

    def send_many(self, bodies: Sequence[tuple[dict[str, Any], int]]) -> None:
        """Like the adapter, ten to a call: ``batches`` counts the calls."""
        for start in range(0, len(bodies), SQS_BATCH):
            self.batches += 1
            for body, delay in bodies[start:start + SQS_BATCH]:
                self.send(body, delay)

    def receive(self) -> list[dict[str, Any]]:
        """Take the records whose delay has passed (the others stay)."""
        now = clock_module.now()
        due = [s for s in self.sent if s.visible_at <= now]
        self.sent = [s for s in self.sent if s.visible_at > now]
        return [s.body for s in due]


class Schedule(NamedTuple):
    fires_at: datetime  # whole seconds, as EventBridge Scheduler's at() takes it
    queue_arn: str
    body: dict[str, Any]


class FakeScheduler:
    """One-time schedules by name. Like the adapter, ``at`` goes to the next whole second
    (never early); a name in use is refused, and cancelling an unknown name is fine."""

    def __init__(self) -> None:
        self.schedules: dict[str, Schedule] = {}

    def schedule(self, name: str, at: datetime, queue_arn: str, body: dict[str, Any]) -> None:
        if name in self.schedules:
            raise ValueError(f"schedule {name} exists")
        at = at.astimezone(UTC)  # whole seconds, never early: as the adapter does
        if at.microsecond:
            at = at.replace(microsecond=0) + timedelta(seconds=1)
        self.schedules[name] = Schedule(at, queue_arn, _json(body))

    def cancel(self, name: str) -> None:
        self.schedules.pop(name, None)

    def fire(self, lanes: dict[str, FakeQueue]) -> int:
        """Put every schedule that is due on its queue, as EventBridge would; how many."""
        now = clock_module.now()
        due = [(n, s) for n, s in self.schedules.items() if s.fires_at <= now]
        by_arn = {lane.arn: lane for lane in lanes.values()}
        for name, schedule in due:
            by_arn[schedule.queue_arn].send(schedule.body)
            del self.schedules[name]
        return len(due)


class FakeEvents:
    """``EventPublisher`` that keeps every event (checked to serialize, as the queue needs)."""

    def __init__(self) -> None:
        self.published: list[Event] = []

    def publish(self, event: Event) -> None:
        self.published.append(Event.model_validate(_json(event.model_dump(mode="json"))))

    def of_type(self, event_type: EventType) -> list[Event]:
        return [e for e in self.published if e.type == event_type]


# --- the fleet ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandedOver:
    """A scripted send outcome: the host stores its send token (the message is handed to the
    engine), then ``error`` is raised: the message may have left."""

    error: Exception


Outcome = dict[str, Any] | Exception | HandedOver


class FleetCall(NamedTuple):
    operation: str  # "start", "stop", "send", or a ``call`` action
    session_id: str
    body: dict[str, Any]


class FakeFleet:
    """The session hosts, as one fake host (``HOST_ID``) that holds the sessions it adopted.

    Like ``HttpFleet``: ``start`` never raises (a host adopts the session later); ``stop`` of a
    session nobody holds does nothing; ``send`` and ``call`` to one nobody holds raise
    ``SessionUnavailable``. Every call is recorded in ``calls``.

    ``script(operation, *outcomes)`` sets what the next ``stop``, ``send`` or ``call``
    (action name) calls do, in order: a dict is the answer, an exception is raised with nothing
    done, ``HandedOver(error)`` raises after the send token is stored. Unscripted, ``send``
    does what a host does: store a send token (refused, ``OutcomeUnknown``, if one is there
    already), send, and record the message "sent" with a new engine id.
    """

    HOST_ID = "fake-host"

    def __init__(self, sessions: FakeSessions, messages: FakeMessages) -> None:
        self.sessions = sessions
        self.messages = messages
        self.calls: list[FleetCall] = []
        self.repeats: list[str] = []  # messages handed over again while holding a send token
        self._script: dict[str, deque[Outcome]] = {}
        self._sent = 0

    def script(self, operation: str, *outcomes: Outcome) -> None:
        """What the next calls of ``operation`` do, in order (replacing what was left)."""
        self._script[operation] = deque(outcomes)

    def adopt(self, tenant_id: str, session_id: str,
              status: SessionStatus = SessionStatus.WORKING, **fields: Any) -> Session:
        """What a host does when it takes a session: hold its lease, write its status (and
        e.g. ``phone``, ``qr``)."""
        item = self.sessions.items[(tenant_id, session_id)]
        item.update(owner=self.HOST_ID, fence=item.get("fence", 0) + 1,
                    lease_until_ms=2**53, status=status.value, **_json(fields))
        session = self.sessions.get(tenant_id, session_id)
        assert session is not None
        return session

    def operations(self, operation: str) -> list[FleetCall]:
        return [c for c in self.calls if c.operation == operation]

    def _next(self, operation: str) -> Outcome | None:
        queued = self._script.get(operation)
        return queued.popleft() if queued else None

    def _holder(self, session: Session) -> Session:
        current = self.sessions.get(session.tenant_id, session.id)
        if current is None or current.owner != self.HOST_ID:
            raise SessionUnavailable("no session host holds this session right now; "
                                     "it is being (re)started")
        return current

    def start(self, session: Session) -> None:
        self.calls.append(FleetCall("start", session.id, {}))

    def stop(self, session: Session, logout: bool = False) -> None:
        self.calls.append(FleetCall("stop", session.id, {"logout": logout}))
        if session.owner != self.HOST_ID:
            return
        outcome = self._next("stop")
        if isinstance(outcome, Exception):
            raise outcome

    def send(self, session: Session, message: Message) -> dict[str, Any]:
        self.calls.append(FleetCall("send", session.id, {"message_id": message.id,
                                                         "content": message.content,
                                                         "text": message.text}))
        holder = self._holder(session)
        tid, sid, mid = session.tenant_id, session.id, message.id
        if SEND_TOKEN in self.messages.item(tid, mid):
            self.repeats.append(mid)
        outcome = self._next("send")
        if isinstance(outcome, Exception):
            raise outcome
        token = f"token-{len(self.calls)}"
        if not self.messages.begin_send(tid, sid, mid, token, None, self.HOST_ID, holder.fence):
            raise OutcomeUnknown("this message was already handed to WhatsApp once",
                                 code="already_attempted")
        if isinstance(outcome, HandedOver):
            raise outcome.error
        self._sent += 1
        engine_id = f"3EB0FAKE{self._sent:08d}"
        self.messages.record_sent(tid, sid, mid, engine_id, token)
        return {**(outcome or {}), "engine_message_id": engine_id}

    def live(self, session: Session, op: LiveOp) -> LiveResult:
        """Record a live operation (by its name, e.g. ``messages.edit``) and answer what the
        script says (a dict: the result's fields; nothing: an empty result)."""
        self.calls.append(FleetCall(op.OP, session.id, op.model_dump(mode="json")))
        self._holder(session)
        outcome = self._next(op.OP)
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, HandedOver):  # no send token here: the same as its error
            raise outcome.error
        return op.RESULT.model_validate(outcome or {})


# --- the outside world: URLs, fetches, media, webhooks ------------------------------------------


class FakeUrlPolicy:
    """``UrlPolicy`` without DNS: the real URL rules (``parse_url``) and, for IP literals, the
    real address rules (``address_refusal``); names resolve nowhere, so they pass, except
    hosts in ``refused``, which stand for names that resolve to a refused address."""

    def __init__(self, refused: set[str] | None = None, allow_private: bool = False,
                 max_length: int = 2048) -> None:
        self.refused = refused if refused is not None else {"localhost", "metadata.internal"}
        self.allow_private = allow_private
        self.max_length = max_length

    def check(self, url: str, field: str) -> str:
        url, host, _, literal = parse_url(url, field, self.max_length)
        if host in self.refused:
            raise ValidationFailed.field(field, f"private or reserved address: {host}")
        reason = None if literal is None else address_refusal(literal, self.allow_private)
        if reason is not None:
            raise ValidationFailed.field(field, f"private or reserved address: {host} is {reason}")
        return url


class FakeFetcher:
    """``Fetcher`` over ``files`` (URL -> bytes, Content-Type, file name): the policy checks
    the URL first, an unknown URL answers 404, a file over ``max_bytes`` is too large; each
    problem is a 422 on the field. ``fetched`` lists what was downloaded."""

    def __init__(self, urls: FakeUrlPolicy, max_bytes: int) -> None:
        self.urls = urls
        self.max_bytes = max_bytes
        self.files: dict[str, tuple[bytes, str | None, str | None]] = {}
        self.fetched: list[str] = []

    def fetch(self, url: str, field: str) -> tuple[bytes, str | None, str | None]:
        url = self.urls.check(url, field)
        if url not in self.files:
            raise ValidationFailed.field(field, f"unreachable: {urlsplit(url).hostname} "
                                         "answered HTTP 404")
        data, mime_type, filename = self.files[url]
        if len(data) > self.max_bytes:
            raise ValidationFailed.field(field, f"too large: larger than {self.max_bytes} bytes")
        self.fetched.append(url)
        return data, mime_type, filename


class FakeMediaStore:
    """``MediaStore`` in memory, keyed like S3 (``media/<tenant>/<message>/<file>``): a key
    outside the tenant's prefix is Forbidden, a missing one NotFound; links are fake URLs."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, tenant_id: str, message_id: str, data: bytes, mime_type: str,
            filename: str | None) -> StoredMedia:
        key = media_key(tenant_id, message_id, filename)
        self.objects[key] = (bytes(data), mime_type)
        return StoredMedia(key=key, mime_type=mime_type, size=len(data),
                           sha256=hashlib.sha256(data).hexdigest(),
                           filename=safe_filename(filename) if filename else None)

    def get(self, media: StoredMedia, tenant_id: str) -> bytes:
        check_owner(media, tenant_id)
        if media.key not in self.objects:
            raise NotFound("media not found (it may have expired)")
        return self.objects[media.key][0]

    def presigned_url(self, media: StoredMedia, tenant_id: str, expires_s: int = 300) -> str:
        check_owner(media, tenant_id)
        if not 1 <= expires_s <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_s must be between 1 and {MAX_PRESIGN_SECONDS}")
        return f"https://media.invalid/{media.key}?expires_in={expires_s}"


class Post(NamedTuple):
    url: str
    body: bytes
    headers: dict[str, str]


class FakeWebhookSender:
    """``WebhookSender``: refuses what the URL policy refuses (``ValidationFailed``, nothing
    sent), else records the POST and answers the next scripted status for the URL (200 when
    none; the answer's body is ``b"ok"``), or raises the scripted exception (a transport
    failure)."""

    def __init__(self, urls: FakeUrlPolicy) -> None:
        self.urls = urls
        self.posts: list[Post] = []
        self._script: dict[str, deque[int | Exception]] = {}

    def script(self, url: str, *outcomes: int | Exception) -> None:
        """What the next POSTs to ``url`` get, in order (replacing what was left)."""
        self._script[url] = deque(outcomes)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        self.urls.check(url, "webhook_url")
        self.posts.append(Post(url, body, dict(headers)))
        queued = self._script.get(url)
        outcome = queued.popleft() if queued else 200
        if isinstance(outcome, Exception):
            raise outcome
        return outcome, b"ok"


# --- the send governor --------------------------------------------------------------------------


class FakeGovernorStore:
    """``GovernorStore`` in memory, with the table's conditions; ``calls`` counts each
    operation (the send path's cost)."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], StoredLimits] = {}
        self.states: dict[tuple[str, str], dict[str, Any]] = {}
        self.talked: set[tuple[str, str, str]] = set()
        self.days: dict[tuple[str, str, str], int] = {}
        self.calls: list[str] = []

    def limits(self, tenant_id: str, session_id: str) -> StoredLimits | None:
        self.calls.append("limits")
        return self.stored.get((tenant_id, session_id))

    def put_limits(self, tenant_id: str, session_id: str, stored: StoredLimits) -> None:
        self.calls.append("put_limits")
        self.stored[(tenant_id, session_id)] = stored.model_copy()

    def _state(self, key: tuple[str, str]) -> SessionState:
        item = self.states.get(key, {})
        return SessionState(tat_ms=dict(item.get("tat", {})), throttle=item.get("throttle"),
                            window=item.get("window"))

    def state(self, tenant_id: str, session_id: str) -> SessionState:
        self.calls.append("state")
        return self._state((tenant_id, session_id))

    def take(self, tenant_id: str, session_id: str, lane: str, expected_ms: int | None,
             new_ms: int, now_ms: int, respect_throttle: bool) -> SessionState | None:
        self.calls.append("take")
        key = (tenant_id, session_id)
        item = self.states.setdefault(key, {})
        tat = item.get("tat", {}).get(lane)
        fits = (tat is None or tat <= now_ms) if expected_ms is None else tat == expected_ms
        throttle: Throttle | None = item.get("throttle")
        if respect_throttle and throttle is not None and throttle.until_ms > now_ms:
            fits = False
        if not fits:
            return self._state(key)
        item.setdefault("tat", {})[lane] = new_ms
        item["sends"] = item.get("sends", 0) + 1
        window: FailureWindow | None = item.get("window")
        if window is not None:
            item["window"] = window.model_copy(update={"sends": window.sends + 1})
        return None

    def throttle(self, tenant_id: str, session_id: str, expected: Throttle | None,
                 new: Throttle, now_ms: int) -> bool:
        self.calls.append("throttle")
        item = self.states.setdefault((tenant_id, session_id), {})
        current: Throttle | None = item.get("throttle")
        if (current.until_ms if current else None) != (expected.until_ms if expected else None):
            return False
        item["throttle"] = new
        return True

    def count_failure(self, tenant_id: str, session_id: str, now_ms: int,
                      window_ms: int) -> FailureWindow:
        self.calls.append("count_failure")
        item = self.states.setdefault((tenant_id, session_id), {})
        window: FailureWindow | None = item.get("window")
        if window is None or window.start_ms <= now_ms - window_ms:
            window = FailureWindow(start_ms=now_ms, sends=0, failures=1)
        else:
            window = window.model_copy(update={"failures": window.failures + 1})
        item["window"] = window
        return window

    def new_contact(self, tenant_id: str, session_id: str, digits: str, day: str,
                    budget: int, now_ms: int) -> Literal["known", "counted", "over"]:
        self.calls.append("new_contact")
        if (tenant_id, session_id, digits) in self.talked:
            return "known"
        if self.days.get((tenant_id, session_id, day), 0) >= budget:
            return "over"
        self.talked.add((tenant_id, session_id, digits))
        self.days[(tenant_id, session_id, day)] = self.days.get((tenant_id, session_id, day),
                                                                0) + 1
        return "counted"

    def mark_talked(self, tenant_id: str, session_id: str, digits: str, now_ms: int) -> None:
        self.calls.append("mark_talked")
        self.talked.add((tenant_id, session_id, digits))

    def contacts_on(self, tenant_id: str, session_id: str, day: str) -> int:
        self.calls.append("contacts_on")
        return self.days.get((tenant_id, session_id, day), 0)


class FakeKnownChats:
    """``KnownChats``: the (tenant, session, jid) chats a session has."""

    def __init__(self) -> None:
        self.chats: set[tuple[str, str, str]] = set()

    def get(self, tenant_id: str, session_id: str, jid: str) -> Any:
        return object() if (tenant_id, session_id, jid) in self.chats else None


# --- everything wired ---------------------------------------------------------------------------


class FakeMetrics:
    """``Metrics`` in memory: counters summed, gauges' latest values, by metric name."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.gauges: dict[str, float] = {}

    def count(self, metric: Metric, n: int = 1) -> None:
        self.counts[metric.name] = self.counts.get(metric.name, 0) + n

    def gauge(self, metric: Metric, value: float) -> None:
        self.gauges[metric.name] = value


class FakeHosts:
    """``HostRegistry`` in memory (expired records are gone at once)."""

    def __init__(self) -> None:
        self.records: dict[str, HostRecord] = {}

    def heartbeat(self, host: HostRecord) -> None:
        self.records[host.host_id] = host

    def get(self, host_id: str) -> HostRecord | None:
        return self.records.get(host_id)

    def alive(self, now_ms: int) -> list[HostRecord]:
        return [h for h in self.records.values() if h.alive_until_ms > now_ms and not h.draining]

    def registered(self) -> list[HostRecord]:
        return list(self.records.values())

    def remove(self, host_id: str) -> None:
        self.records.pop(host_id, None)


class _ExplicitSettings(Settings):
    """Settings from arguments and defaults only: the environment is never read."""

    @classmethod
    def settings_customise_sources(cls, settings_cls: Any, init_settings: Any,
                                   **sources: Any) -> tuple[Any, ...]:
        return (init_settings,)


def fake_settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "prefix": "wagate-fake", "jwt_secret": "fake-jwt-secret-0123456789abcdef",
        "internal_secret": "fake-internal-secret", "default_engine": "sandbox",
        "otp_pepper": "fake-otp-pepper-0123456789abcdef",
        "send_attempts": 5, "send_interval_ms": 0, "allow_private_webhooks": False,
        "webhook_retry_schedule": "5,300,1800", "default_limits_json": "",
        "media_max_bytes": 1024 * 1024, "token_ttl_seconds": 3600,
    }
    return _ExplicitSettings(**{**values, **changes})


def caller(tenant_id: str, role: Role = Role.OWNER) -> Principal:
    return Principal(tenant_id=tenant_id, user_id=f"u-{tenant_id}", role=role,
                     scopes=ROLE_SCOPES[role])


class FakeAliases:
    def __init__(self) -> None:
        self.seq: dict[str, int] = {}
        self.by_id: dict[tuple[str, str, str], int] = {}
        self.by_number: dict[tuple[str, str, int], str] = {}

    def numbers(self, tenant_id: str, kind: str, ids: Sequence[str]) -> dict[str, int]:
        return {i: self.by_id[(tenant_id, kind, i)] for i in ids
                if (tenant_id, kind, i) in self.by_id}

    def target(self, tenant_id: str, kind: str, number: int) -> str | None:
        return self.by_number.get((tenant_id, kind, number))

    def assign(self, tenant_id: str, kind: str, wagate_id: str) -> int | None:
        pk = f"{tenant_id}#{kind}"
        self.seq[pk] = self.seq.get(pk, 0) + 1
        if (tenant_id, kind, wagate_id) in self.by_id:
            return None
        self.by_id[(tenant_id, kind, wagate_id)] = self.seq[pk]
        self.by_number[(tenant_id, kind, self.seq[pk])] = wagate_id
        return self.seq[pk]


class Services:
    """The fakes, and every service built by ``Container(settings, **fakes)``."""

    TENANTS = ("acme", "globex")

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or fake_settings()
        s = self.settings
        self.users = FakeUsers()
        self.sessions = FakeSessions(self.users.counters)
        self.messages = FakeMessages(self.sessions)
        self.templates = FakeTemplates()
        self.lanes = {name: FakeQueue(f"outbound-{name}") for name in resources.OUTBOUND_LANES}
        self.scheduler = FakeScheduler()
        self.events = FakeEvents()
        self.deliveries = FakeDeliveryLog()
        self.subscriptions = FakeSubscriptions()
        self.event_store = FakeEventStore()
        self.webhook_queue = FakeQueue("webhook-deliveries")
        self.fleet = FakeFleet(self.sessions, self.messages)
        self.urls = FakeUrlPolicy(allow_private=s.allow_private_webhooks)
        self.fetcher = FakeFetcher(self.urls, s.media_max_bytes)
        self.media_store = FakeMediaStore()
        self.sender = FakeWebhookSender(self.urls)
        self.idempotency_store = FakeIdempotencyStore()
        self.throttle = FakeThrottle()
        self.hasher = FakeHasher()
        self.devices, self.pusher = FakeDevices(), FakePusher()
        self.opt_outs, self.bots = FakeOptOuts(), FakeBots()
        self.campaigns = FakeCampaigns()
        self.governor_store, self.known_chats = FakeGovernorStore(), FakeKnownChats()
        self.aliases = FakeAliases()
        self.metrics, self.hosts = FakeMetrics(), FakeHosts()
        self.container = Container(
            s, users=self.users, sessions=self.sessions, messages=self.messages,
            templates=self.templates, lanes=self.lanes, scheduler=self.scheduler,
            events=self.events, deliveries=self.deliveries, subscriptions=self.subscriptions,
            event_store=self.event_store, webhook_queue=self.webhook_queue,
            webhook_urls=self.urls, fleet=self.fleet,
            media_store=self.media_store, password_hasher=self.hasher, throttle=self.throttle,
            idempotency_store=self.idempotency_store, media_fetcher=self.fetcher,
            webhook_sender=self.sender, devices=self.devices, pusher=self.pusher,
            sandbox_pushes=self.pusher, opt_outs=self.opt_outs, bots=self.bots,
            campaigns=self.campaigns, governor_store=self.governor_store,
            known_chats=self.known_chats, aliases=self.aliases, metrics=self.metrics,
            hosts=self.hosts)
        c = self.container
        self.auth, self.account, self.idempotency = c.auth, c.account, c.idempotency
        self.messaging, self.session_service = c.messaging, c.session_service
        self.live = c.live
        self.template_service, self.media = c.template_service, c.media
        self.subscription_service, self.delivery_service = (c.subscription_service,
                                                            c.delivery_service)
        self.event_service = c.event_service
        self.governor = c.governor
        self.alias_service = c.alias_service
        self.fleet_watch = c.fleet_watch
        for tenant in self.TENANTS:
            self.users.put_tenant(Tenant(id=tenant, name=tenant.title(),
                                         created_at=clock_module.now_iso()))
        self.acme, self.globex = caller("acme"), caller("globex")
        self.admin = Principal(tenant_id=PLATFORM_TENANT, user_id="root", role=Role.ADMIN,
                               scopes=SCOPES)

    def working_session(self, owner: Principal | None = None, name: str = "shop",
                        phone: str = "+14155550100", **fields: Any) -> Session:
        """A session linked to a phone and held by the fake host: it can send."""
        who = owner or self.acme
        session, _ = self.session_service.create(who, name, None, None, start=True)
        return self.fleet.adopt(who.tenant_id, session.id, phone=phone, **fields)

    def run_send_worker(self, receive_count: int = 1) -> int:
        """Deliver every due record of every lane, as the send worker does; how many."""
        handled = 0
        for lane_name, lane in self.lanes.items():
            for body in lane.receive():
                handled += 1
                self.messaging.deliver(body["tenant_id"], body["message_id"], receive_count,
                                       lane_name, attempt=int(body.get("attempt", 1)),
                                       waiting_since=body.get("waiting_since"))
        return handled

    def status(self, who: Principal, message_id: str) -> str:
        return self.messaging.get(who, message_id).status.value


# --- push devices -------------------------------------------------------------------------------


class FakeDevices:
    """``DeviceRepo`` in memory: one user's devices keyed like the table (``DEV#<user>#<id>``),
    the per-user count changed with the device, all or nothing."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.counts: dict[tuple[str, str], int] = {}

    def get(self, tenant_id: str, user_id: str, device_id: str) -> Device | None:
        item = self.items.get((tenant_id, user_id, device_id))
        return Device.model_validate(copy.deepcopy(item)) if item else None

    def create(self, device: Device, limit: int, over_limit: Exception) -> bool:
        key = (device.tenant_id, device.user_id, device.id)
        if key in self.items:
            return False
        if self.counts.get(key[:2], 0) >= limit:
            raise over_limit
        self.counts[key[:2]] = self.counts.get(key[:2], 0) + 1
        self.items[key] = device.model_dump(mode="json")
        return True

    def replace(self, device: Device) -> bool:
        key = (device.tenant_id, device.user_id, device.id)
        if key not in self.items:
            return False
        self.items[key] = device.model_dump(mode="json")
        return True

    def list(self, tenant_id: str, user_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"DEV#{u}#{d}", self.get(t, u, d)) for (t, u, d) in self.items
                if (t, u) == (tenant_id, user_id)]
        return page_of(tenant_id, rows, limit, cursor)

    def enabled(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"DEV#{u}#{d}", self.get(t, u, d)) for (t, u, d), item in self.items.items()
                if t == tenant_id and item["enabled"]]
        return page_of(tenant_id, rows, limit, cursor)

    def delete(self, tenant_id: str, user_id: str, device_id: str) -> bool:
        if self.items.pop((tenant_id, user_id, device_id), None) is None:
            return False
        self.counts[(tenant_id, user_id)] -= 1
        return True

    def disable(self, tenant_id: str, user_id: str, device_id: str, notifiable_token: str,
                reason: str) -> bool:
        item = self.items.get((tenant_id, user_id, device_id))
        if item is None or item["notifiable_token"] != notifiable_token:
            return False
        item.update(enabled=False, disabled_reason=reason, updated_at=clock_module.now_iso())
        return True


class Pushed(NamedTuple):
    device: Device
    push: Push


class FakePusher:
    """``Pusher`` and ``PushLog``: records each push and answers the outcome scripted for the
    device's ``notifiable_token`` (SENT when none), or raises the scripted exception; keeps
    the sent ones, once per event and device, as the sandbox does."""

    def __init__(self) -> None:
        self.pushes: list[Pushed] = []
        self.outcomes: dict[str, PushOutcome | Exception] = {}
        self.kept: dict[tuple[str, str, str], dict[str, Any]] = {}

    def push(self, device: Device, push: Push) -> PushOutcome:
        self.pushes.append(Pushed(device, push))
        outcome = self.outcomes.get(device.notifiable_token, PushOutcome.SENT)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == PushOutcome.SENT:
            self.kept.setdefault((device.tenant_id, push.event_id, device.id), {
                "event_id": push.event_id, "device_id": device.id, "title": push.title,
                "body": push.body, "data": dict(push.data)})
        return outcome

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page:
        rows = [(f"PUSH#{event}#{device}", item)
                for (tenant, event, device), item in self.kept.items() if tenant == tenant_id]
        return page_of(tenant_id, rows, limit, cursor, newest_first=True)


def run_deliveries(services: Services, clock: FakeClock, most: int = 1000) -> list[Sent]:
    """Work the webhook queue until it is empty, as the delivery worker does: move the clock
    to the next record's ``visible_at`` and handle every record then due (first receive).
    The records handled, in order; at most ``most`` of them."""
    queue, handled = services.webhook_queue, []
    while queue.sent:
        clock.moment = max(clock.moment, min(s.visible_at for s in queue.sent))
        due = [s for s in queue.sent if s.visible_at <= clock.moment]
        for body in queue.receive():
            services.delivery_service.handle(body)
        handled += due
        assert len(handled) <= most, "the webhook queue never empties"
    return handled
