"""Campaigns V2: list, create, details, update (start, pause, resume, cancel) and the
campaign's messages (its recipients with their message and status)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.api.dialects.cloudwa import schemas
from chalicelib.api.dialects.cloudwa.profile import router
from chalicelib.api.dialects.cloudwa.shapes import (
    MESSAGE_STATUSES,
    campaign,
    fields_named,
    resolve,
    session_of,
)
from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.domain import clock
from chalicelib.domain.campaigns import Interval
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.paging import collect
from chalicelib.services.campaigns import NewCampaign
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft

MAX_LISTED = 100  # the newest campaigns the list shows
MAX_RECIPIENTS = 1_000  # a campaign's inline recipients (the document's "max 1000")
MAX_TYPING_S = 5  # wagate shows "typing…" for at most 5 s before a send
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$")
RECIPIENT_STATUSES = {"pending": "PENDING", "queued": "PENDING", "sent": "SENT",
                      "delivered": "DELIVERED", "read": "READ", "failed": "FAILED",
                      "skipped": "SKIPPED", "opted_out": "OPTED_OUT"}
CREATE_FIELDS = {"session_ids": "session_uuids", "recipients": "phones", "start_at":
                 "starting_time", "end_at": "ending_time", "text": "message",
                 "caption": "message", "image": "image"}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _interval(raw: str | None) -> Interval:
    """``message_interval``: seconds between two sends, ``"10"`` or a range ``"5-15"``."""
    if raw is None:
        return Interval()
    matched = _INTERVAL.match(raw)
    try:
        if matched is None:
            raise ValueError
        low = float(matched.group(1))
        return Interval(min_s=low, max_s=float(matched.group(2) or low))
    except (ValueError, ValidationError):
        raise ValidationFailed.field("message_interval", "must be seconds (10) or a range "
                                                         "of seconds (5-15)") from None


def _campaign_id(call: Call, number: int) -> str:
    return resolve(call, "campaign", number)


@router.route("GET", "/api/v2/campaigns", scope="campaigns:read")
def list_campaigns(call: Call) -> list[dict[str, Any]]:
    """Get Campaigns of Session: the team's 100 newest campaigns with their progress."""
    service = call.services.campaign_service
    items = collect(lambda cursor: service.list(call.principal, MAX_LISTED, cursor),
                    MAX_LISTED)
    numbers = Numbers(call)
    numbers.load("campaign", [c.id for c in items])
    return [campaign(numbers, c) for c in items]


@router.route("POST", "/api/v2/campaigns/create", scope="campaigns:write",
              body=schemas.CampaignIn, status=201)
def create_campaign(call: Call) -> dict[str, Any]:
    """Create Campaign: TEXT (``message``) or IMAGE (``image``, ``message`` its caption) to
    ``phones`` (at most 1,000) from ``session_uuid`` and ``session_uuids`` in turn. It starts
    at ``starting_time`` (at or before now: at once) and skips whoever is not reached by
    ``ending_time``."""
    body: schemas.CampaignIn = call.body()
    refs = list(dict.fromkeys([body.session_uuid, *body.session_uuids]))
    sessions = []
    for index, ref in enumerate(refs):
        try:
            sessions.append(session_of(call, ref).id)
        except NotFound:
            field = "session_uuid" if index == 0 else \
                f"session_uuids.{body.session_uuids.index(ref)}"
            raise ValidationFailed.field(field, "The selected session is invalid") from None
    if body.type == "TEXT":
        if not body.message:
            raise ValidationFailed.field("message", "is required")
        draft = Draft(session_id="", to="", type="text", body={"text": body.message})
    else:
        if not body.image:
            raise ValidationFailed.field("image", "is required")
        draft = Draft(session_id="", to="", type="image", media=MediaSource(url=body.image),
                      body={"caption": body.message} if body.message else {})
    start, end = _utc(body.starting_time), _utc(body.ending_time)
    if end <= clock.now():
        raise ValidationFailed.field("ending_time", "must be a date after now")
    typing = min(body.typing_duration or 0, MAX_TYPING_S) * 1000
    new = NewCampaign(name=body.name, description=body.description, session_ids=sessions,
                      message=draft, recipients=[(p, {}) for p in body.phones],
                      start_at=start if start > clock.now() else None, end_at=end,
                      interval=_interval(body.message_interval), daily_limit=body.daily_limit,
                      typing_ms=typing, add_ref=body.add_ref)
    service = call.services.campaign_service
    with fields_named(CREATE_FIELDS):
        made = service.create(call.principal, new)
    if new.start_at is None:
        made = service.act(call.principal, made.id, "start")
    return campaign(Numbers(call), made)


@router.route("POST", "/api/v2/campaigns/details", scope="campaigns:read",
              body=schemas.CampaignRef)
def campaign_details(call: Call) -> dict[str, Any]:
    """Get Campaign Details: its settings, status and progress."""
    body: schemas.CampaignRef = call.body()
    found = call.services.campaign_service.get(call.principal,
                                               _campaign_id(call, body.campaign_id))
    return campaign(Numbers(call), found)


@router.route("POST", "/api/v2/campaigns/update", scope="campaigns:write",
              body=schemas.CampaignAction)
def update_campaign(call: Call) -> dict[str, Any]:
    """Modify Campaign: ``action`` start, pause, resume or cancel (409 where its status does
    not allow it)."""
    body: schemas.CampaignAction = call.body()
    changed = call.services.campaign_service.act(
        call.principal, _campaign_id(call, body.campaign_id), body.action)
    return campaign(Numbers(call), changed)


@router.route("POST", "/api/v2/campaigns/messages", scope="campaigns:read",
              body=schemas.CampaignRef)
def campaign_messages(call: Call) -> list[dict[str, Any]]:
    """Get Campaign Messages: each recipient (at most 1,000) with its message (``uuid``,
    accepted wherever a message id is) and status."""
    body: schemas.CampaignRef = call.body()
    service = call.services.campaign_service
    campaign_id = _campaign_id(call, body.campaign_id)
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(items) < MAX_RECIPIENTS:
        page = service.recipients(call.principal, campaign_id, None, 100, cursor)
        items += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    return [{"phone": (r.get("to") or "").split("@", 1)[0].lstrip("+"),
             "status": RECIPIENT_STATUSES.get(r["status"], str(r["status"]).upper()),
             "message_uuid": r.get("message_id"),
             "message_status": MESSAGE_STATUSES.get(r.get("message_status") or "")
             if r.get("message_status") else None,
             "session_uuid": r.get("session_id"), "reason": r.get("reason"),
             "updated_at": clock.laravel(r.get("updated_at"))}
            for r in items[:MAX_RECIPIENTS]]
