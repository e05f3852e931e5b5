"""What every part of messaging shares: the Draft a caller sends, retry timing, the
repositories and ports, and the status writes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from chalicelib.domain.auth import Principal
from chalicelib.domain.content import (
    Content,
)
from chalicelib.domain.errors import (
    NotFound,
)
from chalicelib.domain.events import status_changes
from chalicelib.domain.messages import (
    Message,
    MessageStatus,
    Priority,
)
from chalicelib.domain.optouts import Category
from chalicelib.domain.text import utf8_bytes
from chalicelib.metrics import MESSAGES_FAILED
from chalicelib.services.account import AccountService
from chalicelib.services.governor import GovernorService
from chalicelib.services.live import LiveService
from chalicelib.services.media import MediaService, MediaSource
from chalicelib.services.ports import (
    CampaignGate,
    EventPublisher,
    Fleet,
    Lane,
    MessageRepo,
    Metrics,
    OptOutList,
    Scheduler,
    Sealer,
    SessionRepo,
)
from chalicelib.services.templates import TemplateService

log = logging.getLogger(__name__)
MAX_SCHEDULE_AHEAD = timedelta(days=35)
SQS_MAX_DELAY_S = 900
PAST_TOLERANCE = timedelta(seconds=5)
STUCK_AFTER = timedelta(minutes=5)
CAMPAIGN_PAUSED_WAIT_S = 15  # a paused campaign's released message looks again this much later
# How long a message waits for its session to be sendable again (a host that died, a
# connection being restored) before it fails; the waits between tries start short.
SESSION_WAIT = timedelta(minutes=2)
RETRY_DELAYS_S = (1, 1, 2, 3, 5, 8, 13)
RETRY_DELAY_MAX_S = 15
METADATA_MAX_ENTRIES = 20
METADATA_KEY_MAX_BYTES = 64
METADATA_VALUE_MAX_BYTES = 1_024
RECORD_KEYS_BYTES = 1_024  # keys, index attributes and the send token around the message
INLINE_MEDIA_MAX = 5 * 1024 * 1024  # API Gateway answers at most ~6 MB: larger ones are linked
_CONTENT = TypeAdapter(Content)


class RetryLater(Exception):
    """The record should come back from the queue later (reported as a batch item failure)."""


def retry_delay(attempt: int) -> int:
    """Seconds before try ``attempt + 1`` of a message no host could take: 1, 1, 2, 3, 5, 8,
    13, then 15 — quick at first, since a dead host's sessions move within one lease TTL."""
    return RETRY_DELAYS_S[attempt - 1] if 1 <= attempt <= len(RETRY_DELAYS_S) \
        else RETRY_DELAY_MAX_S


def stored_bytes(value: Any) -> int:
    """About how many bytes DynamoDB counts for a JSON-like value: UTF-8 strings, up to 21
    bytes a number, 3 bytes a map or list plus 1 an element, attribute names included."""
    if isinstance(value, str):
        return utf8_bytes(value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float):
        return 21
    if isinstance(value, dict):
        return 3 + sum(utf8_bytes(str(k)) + stored_bytes(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(stored_bytes(v) + 1 for v in value)
    return utf8_bytes(str(value))


@dataclass
class Draft:
    """A message as the caller asked for it, before it is checked and stored."""

    session_id: str
    to: str
    type: str = "text"  # or ``media`` (domain.media.ANY_MEDIA): the file decides the type
    body: dict[str, Any] = field(default_factory=dict)  # the type's own fields
    media: MediaSource | None = None
    template_id: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    reply_to: str | None = None
    schedule_at: datetime | None = None
    expires_at: datetime | None = None
    ttl_seconds: int | None = None
    priority: Priority = Priority.NORMAL
    typing_ms: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    category: Category = "transactional"
    # Given by senders that may run twice for one cause (bots, opt-out confirmations): a
    # second send with the same id returns the first message and sends nothing.
    message_id: str | None = None
    # Parts of the text stored and shown masked (an OTP code): the real content is sealed
    # and opened only by the send worker.
    conceal: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outgoing:
    """One message of a batch (a campaign's recipient), ready to store and queue: its id is
    derived from its cause, so releasing it again never makes a second message."""

    message_id: str
    session_id: str
    to: str  # the chat's JID
    content: dict[str, Any]  # typed content (domain.content) as JSON
    delay_s: int  # when it is due, in seconds from now (at most SQS_MAX_DELAY_S)
    category: Category = "marketing"
    expires_at: datetime | None = None
    typing_ms: int = 0
    campaign_id: str | None = None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _schedule_name(message_id: str) -> str:
    return f"msg-{message_id}"



class MessagingCore:
    """The repositories, queues and ports the parts share, and the status writes."""

    def __init__(self, messages: MessageRepo, sessions: SessionRepo, lanes: dict[str, Lane],
                 scheduler: Scheduler, events: EventPublisher, fleet: Fleet,
                 media: MediaService, templates: TemplateService, account: AccountService,
                 max_attempts: int, live: LiveService, sealer: Sealer,
                 opt_outs: OptOutList | None = None,
                 campaign_gate: CampaignGate | None = None,
                 governor: GovernorService | None = None, *, metrics: Metrics) -> None:
        self._messages = messages
        self._sessions = sessions
        self._lanes = lanes
        self._scheduler = scheduler
        self._events = events
        self._fleet = fleet
        self._media = media
        self._templates = templates
        self._account = account
        self._max_attempts = max_attempts
        self._live = live
        self._sealer = sealer
        self._opt_outs = opt_outs
        self._campaign_gate = campaign_gate
        self._governor = governor  # the session budgets every send passes (None: none)
        self._metrics = metrics

    def get(self, caller: Principal, message_id: str) -> Message:
        message = self._messages.get(caller.tenant_id, message_id)
        if message is None:
            raise NotFound("message not found")
        return message


    def _fail(self, message: Message, reason: str, detail: str | None = None) -> None:
        self._end(message, MessageStatus.FAILED, reason,
                  error={"code": reason, "message": detail or reason})

    def _end(self, message: Message, status: MessageStatus, reason: str,
             **fields: Any) -> None:
        ended = self._messages.transition(message.tenant_id, message.id, status, reason=reason,
                                          **fields)
        if ended is not None:
            self._publish_changes(ended)


    def _publish_changes(self, message: Message) -> None:
        """Announce a status change (the one place a message's failure is counted)."""
        if message.status == MessageStatus.FAILED:
            self._metrics.count(MESSAGES_FAILED)
        for event in status_changes(message):
            self._events.publish(event)
