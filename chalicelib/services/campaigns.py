"""Campaigns: create (inline recipients, an upload or an address-book audience), start, pause,
resume, cancel, edit; the tick that releases recipients at the campaign's pace; progress.

Never twice, never skipped: a tick first claims the next recipients and their slots on the
campaign (a versioned write), then releases them as messages whose ids are derived from
(campaign, recipient), then clears the claim. A tick that dies half-way comes back (SQS) and
redoes the claimed release with the same ids; the batch accept stores only the missing ones.
The watchdog (the reconciler's minute) ticks any campaign whose next tick is overdue.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import clock, ids
from chalicelib.domain.audiences import Audience, Recipient, RowError, collect
from chalicelib.domain.auth import Principal
from chalicelib.domain.campaigns import (
    FINISHED,
    MAX_INLINE_RECIPIENTS,
    MAX_SESSIONS,
    Campaign,
    CampaignStatus,
    Interval,
    Progress,
    Release,
    Window,
    add_reference,
    eta,
    milestones,
    move,
    personalize,
    plan,
    progress,
    resumed_pace,
)
from chalicelib.domain.errors import AppError, Conflict, NotFound, ValidationFailed
from chalicelib.domain.events import Event, campaign_event
from chalicelib.domain.paging import Page, decode_cursor, encode_cursor
from chalicelib.domain.quotas import QuotaExceeded
from chalicelib.domain.sessions import not_ready
from chalicelib.domain.templates import placeholders
from chalicelib.services.messaging import Draft, MessagingService
from chalicelib.services.messaging.common import SQS_MAX_DELAY_S, Outgoing
from chalicelib.services.ports import (
    CampaignRepo,
    EventPublisher,
    GroupAudiences,
    Lane,
    MessageRepo,
    Scheduler,
    SessionRepo,
    Throttles,
    UploadAudiences,
)

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 100  # invalid rows kept on the campaign (the counts cover them all)
MAX_SCHEDULE_AHEAD = timedelta(days=35)
FOLLOW_UP = timedelta(seconds=15)  # ticks after the last release, until every send is over

SAVE_TRIES = 5  # read-modify-write rounds before a change gives up (409)
WATCHDOG_GRACE = timedelta(minutes=2)
GATE_CACHE_S = 2.0  # how long the send worker trusts a campaign's status it read
GATE_CACHE_ENTRIES = 1_000


@dataclass
class NewCampaign:
    """What a caller asks for (the native API and the dialects build the same)."""

    name: str
    session_ids: list[str]
    message: Draft  # session_id and to are ignored; {{var}} stays unfilled
    recipients: list[tuple[str, dict[str, str]]] | None = None
    upload_id: str | None = None
    group_ids: list[str] | None = None
    description: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    window: Window | None = None
    interval: Interval = field(default_factory=Interval)
    daily_limit: int | None = None
    typing_ms: int = 0
    add_ref: bool = False
    category: str = "marketing"


@dataclass
class Recipients:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _tick_body(campaign: Campaign) -> dict[str, Any]:
    return {"tenant_id": campaign.tenant_id, "campaign_id": campaign.id,
            "tick_id": campaign.tick_id}


def _schedule_name(campaign_id: str) -> str:
    return f"cmp-{campaign_id}"


def _delay(moment: datetime, now: datetime) -> int:
    return max(0, min(SQS_MAX_DELAY_S, math.ceil((moment - now).total_seconds())))


class CampaignGate:
    """What the send worker asks before a campaign message goes: ``go``, ``wait`` (its
    campaign is paused: the worker looks again later) or ``drop`` (canceled or gone). A
    campaign's status is trusted for GATE_CACHE_S, so a pause stops sends within seconds."""

    def __init__(self, campaigns: CampaignRepo) -> None:
        self._campaigns = campaigns
        self._seen: dict[tuple[str, str], tuple[float, CampaignStatus | None]] = {}

    def verdict(self, tenant_id: str, campaign_id: str) -> str:
        key = (tenant_id, campaign_id)
        seen = self._seen.get(key)
        if seen is None or seen[0] < time.monotonic():
            campaign = self._campaigns.get(tenant_id, campaign_id)
            seen = (time.monotonic() + GATE_CACHE_S, campaign.status if campaign else None)
            if len(self._seen) > GATE_CACHE_ENTRIES:
                self._seen.clear()
            self._seen[key] = seen
        if seen[1] in (CampaignStatus.CANCELED, None):
            return "drop"
        return "wait" if seen[1] == CampaignStatus.PAUSED else "go"


class CampaignService:
    def __init__(self, campaigns: CampaignRepo, messages: MessageRepo,
                 messaging: MessagingService, sessions: SessionRepo, ticks: Lane,
                 scheduler: Scheduler, events: EventPublisher, uploads: UploadAudiences,
                 groups: GroupAudiences | None, template_body: Callable[[Principal, str], str],
                 throttles: Throttles | None = None, rng: random.Random | None = None) -> None:
        self._campaigns = campaigns
        self._messages = messages
        self._messaging = messaging
        self._sessions = sessions
        self._ticks = ticks
        self._scheduler = scheduler
        self._events = events
        self._uploads = uploads
        self._groups = groups
        self._template_body = template_body
        self._throttles = throttles
        self._rng = rng or random.SystemRandom()

    # --- creating ---

    def create(self, caller: Principal, new: NewCampaign) -> Campaign:
        now = clock.now()
        self._check_sessions(caller, new.session_ids)
        start_at, end_at = self._timing(new.start_at, new.end_at, now)
        sources = [name for name, given in (("recipients", new.recipients is not None),
                                            ("upload_id", new.upload_id is not None),
                                            ("audience", new.group_ids is not None)) if given]
        if len(sources) != 1:
            raise ValidationFailed.field("recipients", "give exactly one of recipients, "
                                         "upload_id or audience")
        campaign_id = ids.new_id()
        draft = new.message
        if draft.template_id:  # the template's text, filled per recipient
            draft.body = {**draft.body, "text" if draft.type in ("text", "list") else "caption":
                          self._template_body(caller, draft.template_id)}
            draft.template_id = None
        prototype = self._messaging.compose(caller, draft, campaign_id)
        variables = placeholders(" ".join(str(prototype.get(k) or "")
                                          for k in ("text", "caption")))
        stamp = clock.iso(now)
        campaign = Campaign(
            id=campaign_id, tenant_id=caller.tenant_id, name=new.name,
            description=new.description, session_ids=new.session_ids, message=prototype,
            variables=variables, category=new.category,  # type: ignore[arg-type]
            source={"kind": sources[0], "upload_id": new.upload_id,
                    "group_ids": new.group_ids},
            start_at=clock.iso(start_at) if start_at else None,
            end_at=clock.iso(end_at) if end_at else None, window=new.window,
            interval=new.interval, daily_limit=new.daily_limit, typing_ms=new.typing_ms,
            add_ref=new.add_ref,
            status=CampaignStatus.SCHEDULED if start_at else CampaignStatus.DRAFT,
            created_at=stamp, updated_at=stamp)
        if new.recipients is not None:
            if len(new.recipients) > MAX_INLINE_RECIPIENTS:
                raise ValidationFailed.field("recipients", f"may list at most "
                                             f"{MAX_INLINE_RECIPIENTS} (upload a CSV for more)")
            campaign = self._with_audience(campaign, collect(new.recipients))
        else:  # the source is read at start; it must be there and readable now
            self._audience(campaign)
        self._campaigns.create(campaign)
        if start_at:
            self._scheduler.schedule(_schedule_name(campaign.id), start_at, self._ticks.arn,
                                     {**_tick_body(campaign), "start": True})
        return campaign

    def _check_sessions(self, caller: Principal, session_ids: list[str]) -> None:
        if not 1 <= len(session_ids) <= MAX_SESSIONS:
            raise ValidationFailed.field("session_ids", f"give 1 to {MAX_SESSIONS} sessions")
        if len(set(session_ids)) != len(session_ids):
            raise ValidationFailed.field("session_ids", "lists a session twice")
        for index, session_id in enumerate(session_ids):
            if self._sessions.get(caller.tenant_id, session_id) is None:
                raise ValidationFailed.field(f"session_ids[{index}]", "no such session")

    @staticmethod
    def _timing(start_at: datetime | None, end_at: datetime | None,
                now: datetime) -> tuple[datetime | None, datetime | None]:
        start = clock.parse(clock.iso(start_at)) if start_at else None
        end = clock.parse(clock.iso(end_at)) if end_at else None
        if start is not None:
            if start > now + MAX_SCHEDULE_AHEAD:
                raise ValidationFailed.field("start_at", "may be at most 35 days ahead")
            if start <= now:
                start = None  # due now: a draft the caller starts
        if end is not None and end <= (start or now):
            raise ValidationFailed.field("end_at", "must be after start_at (and now)")
        return start, end

    def _with_audience(self, campaign: Campaign, audience: Audience) -> Campaign:
        """The campaign with its recipients stored: rows missing a variable the message
        uses are invalid too."""
        usable: list[Recipient] = []
        errors = list(audience.errors)
        for index, recipient in enumerate(audience.recipients):
            missing = [v for v in campaign.variables if v not in recipient.variables]
            if missing:
                errors.append(RowError(row=index + 1, value=recipient.to,
                                       message=f"missing variable {', '.join(missing)}"))
            else:
                usable.append(recipient)
        self._campaigns.put_recipients(campaign.tenant_id, campaign.id, usable)
        return campaign.model_copy(update={
            "total": len(usable), "invalid": len(errors), "duplicates": audience.duplicates,
            "errors": [{"row": e.row, "value": e.value, "message": e.message}
                       for e in errors[:MAX_ERRORS_KEPT]],
            "progress": Progress(total=len(usable), pending=len(usable))})

    # --- reading ---

    def get(self, caller: Principal, campaign_id: str) -> Campaign:
        campaign = self._campaigns.get(caller.tenant_id, campaign_id)
        if campaign is None:
            raise NotFound("campaign not found")
        # Live, also once finished: receipts still move sent to delivered and read, and a
        # canceled campaign's released messages end skipped as their records come.
        return campaign.model_copy(update={"progress": self._progress(
            campaign, finished=campaign.status in FINISHED)})

    def list(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        return self._campaigns.list(caller.tenant_id, limit, cursor)

    @staticmethod
    def eta(campaign: Campaign) -> datetime | None:
        if campaign.status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
            return None
        return eta(campaign.pace, campaign.pace_rules, campaign.total - campaign.released,
                   clock.now())

    def _progress(self, campaign: Campaign, finished: bool = False) -> Progress:
        counts = self._messages.campaign_counts(campaign.tenant_id, campaign.id) \
            if campaign.released else {}
        return progress(campaign.total, campaign.released, counts, finished)

    def recipients(self, caller: Principal, campaign_id: str, status: str | None, limit: int,
                   cursor: str | None) -> Recipients:
        """Recipients with their message and status: the released ones (by status, from the
        progress index), then the ones not released (pending; skipped once it finished)."""
        campaign = self._campaigns.get(caller.tenant_id, campaign_id)
        if campaign is None:
            raise NotFound("campaign not found")
        finished = campaign.status in FINISHED
        scope = f"unreleased:{campaign.id}"
        position = decode_cursor(cursor, caller.tenant_id)
        unreleased_too = status is None or status == ("skipped" if finished else "pending")
        items: list[dict[str, Any]] = []
        if position is None or "scope" not in position:
            if status != "pending":
                page = self._messages.campaign_page(caller.tenant_id, campaign.id, status,
                                                    limit, cursor)
                items = [{"to": i.get("to"), "status": i["campaign_state"],
                          "message_id": i.get("id"), "message_status": i.get("status"),
                          "session_id": i.get("session_id"),
                          "reason": (i.get("error") or {}).get("code"),
                          "updated_at": i.get("updated_at")} for i in page.items]
                if page.next_cursor or not unreleased_too:
                    return Recipients(items, page.next_cursor)
            start = campaign.released
        elif position.get("scope") == scope and str(position.get("after", "")).isdigit():
            start = int(position["after"])
        else:
            raise ValidationFailed.field("cursor", "is not a valid cursor")
        if not unreleased_too:
            return Recipients(items, None)
        rows = self._campaigns.recipients(caller.tenant_id, campaign.id, start,
                                          limit - len(items))
        items += [{"to": r.to, "status": "skipped" if finished else "pending",
                   "message_id": None, "message_status": None, "session_id": None,
                   "reason": campaign.reason if finished else None, "updated_at": None}
                  for r in rows]
        end = start + len(rows)
        more = rows and end < campaign.total
        return Recipients(items, encode_cursor({"pk": caller.tenant_id, "scope": scope,
                                                "after": str(end)}) if more else None)

    # --- changing ---

    def act(self, caller: Principal, campaign_id: str, action: str) -> Campaign:
        """start, pause, resume or cancel (409 ``campaign_<status>`` when not allowed)."""
        return self._change(caller.tenant_id, campaign_id, action, reason="api")

    def update(self, caller: Principal, campaign_id: str, fields: dict[str, Any]) -> Campaign:
        """Change name, description, window, interval, daily limit, typing or end while the
        campaign is not finished."""
        if "end_at" in fields and fields["end_at"] is not None:
            if clock.parse(clock.iso(fields["end_at"])) <= clock.now():
                raise ValidationFailed.field("end_at", "must be in the future")
            fields["end_at"] = clock.iso(fields["end_at"])
        for _ in range(SAVE_TRIES):
            campaign = self._campaigns.get(caller.tenant_id, campaign_id)
            if campaign is None:
                raise NotFound("campaign not found")
            if campaign.status in FINISHED:
                raise Conflict(f"a {campaign.status.value} campaign cannot be changed",
                               code=f"campaign_{campaign.status.value}")
            changed = campaign.model_copy(update={**fields, "updated_at": clock.now_iso()})
            saved = self._campaigns.save(changed, self._due(changed))
            if saved is not None:
                return saved
        raise Conflict("the campaign is changing; try again", code="campaign_busy")

    def _change(self, tenant_id: str, campaign_id: str, action: str, reason: str,
                resume_at: datetime | None = None) -> Campaign:
        for _ in range(SAVE_TRIES):
            campaign = self._campaigns.get(tenant_id, campaign_id)
            if campaign is None:
                raise NotFound("campaign not found")
            target = move(campaign.status, action)
            if target is None:
                raise Conflict(f"a {campaign.status.value} campaign cannot be {action}ed",
                               code=f"campaign_{campaign.status.value}")
            now = clock.now()
            update: dict[str, Any] = {"status": target, "updated_at": clock.iso(now),
                                      "reason": reason if target != CampaignStatus.RUNNING
                                      else None, "resume_at": None}
            if action == "start":
                if campaign.source.get("kind") != "recipients":
                    campaign = self._load(campaign)
                update.update(started_at=clock.iso(now), tick_id=ids.new_id())
            elif action == "resume":  # what the pause held goes first, at the pace
                update.update(tick_id=ids.new_id(), pace=campaign.pace.model_copy(update={
                    "next_at": clock.iso(resumed_pace(campaign.pace_rules, now,
                                                      self._progress(campaign).queued))}))
            elif action == "pause":
                update.update(tick_id=None,
                              resume_at=clock.iso(resume_at) if resume_at else None)
            else:  # cancel
                update.update(tick_id=None, finished_at=clock.iso(now),
                              progress=self._progress(campaign, finished=True))
            changed = campaign.model_copy(update=update)
            saved = self._campaigns.save(changed, clock.iso(now))
            if saved is None:
                continue
            if campaign.status == CampaignStatus.SCHEDULED:
                self._scheduler.cancel(_schedule_name(campaign.id))
            if saved.tick_id and saved.status == CampaignStatus.RUNNING:
                self._ticks.send(_tick_body(saved))
            elif saved.resume_at:
                self._ticks.send({**_tick_body(saved), "resume": True},
                                 delay_seconds=_delay(clock.parse(saved.resume_at), now))
            kind = {"start": "started", "pause": "paused", "resume": "resumed",
                    "cancel": "canceled"}[action]
            self._publish(saved, kind, reason=reason)
            return saved
        raise Conflict("the campaign is changing; try again", code="campaign_busy")

    def _load(self, campaign: Campaign) -> Campaign:
        """An upload's or audience's recipients, read and stored as the campaign starts."""
        return self._with_audience(campaign, self._audience(campaign))

    def _audience(self, campaign: Campaign) -> Audience:
        source = campaign.source
        if source.get("kind") == "upload_id":
            return self._uploads.audience(campaign.tenant_id, source["upload_id"])
        if self._groups is None:
            raise ValidationFailed.field("audience", "this gateway has no address book")
        return self._groups.audience(campaign.tenant_id, source.get("group_ids") or [])

    # --- the tick ---

    def tick(self, tenant_id: str, campaign_id: str, tick_id: str | None,
             start: bool = False, resume: bool = False) -> None:
        """Release the campaign's next recipients and queue the next tick (one tick chain per
        campaign: a record whose ``tick_id`` is not the campaign's is stale and dropped)."""
        campaign = self._campaigns.get(tenant_id, campaign_id)
        if campaign is None:
            return
        if start and campaign.status == CampaignStatus.SCHEDULED:
            self._system_change(campaign, "start", "scheduled")
            return
        if resume and campaign.status == CampaignStatus.PAUSED and campaign.resume_at \
                and clock.parse(campaign.resume_at) <= clock.now() + timedelta(seconds=1):
            self._system_change(campaign, "resume", "throttle_ended")
            return
        for _ in range(SAVE_TRIES):
            if campaign is None or campaign.status != CampaignStatus.RUNNING \
                    or campaign.tick_id != tick_id:
                return
            if self._advance(campaign):
                return
            campaign = self._campaigns.get(tenant_id, campaign_id)  # changed meanwhile

    def _system_change(self, campaign: Campaign, action: str, reason: str) -> None:
        try:
            self._change(campaign.tenant_id, campaign.id, action, reason)
        except QuotaExceeded as exc:
            log.warning("campaign %s could not %s: %s", campaign.id, action, exc.message)
        except AppError as exc:
            log.info("campaign %s: %s skipped (%s)", campaign.id, action, exc.message)

    def _advance(self, campaign: Campaign) -> bool:
        """One tick's work; False when the campaign changed under it (read it again)."""
        if campaign.release is not None:
            done = self._release(campaign)
            if done is None:
                return False
            campaign = done
        now = clock.now()
        remaining = campaign.total - campaign.released
        sessions = self._sendable(campaign, now) if remaining else []
        planned = plan(campaign.pace_rules, campaign.pace, now, remaining, sessions, self._rng)
        if planned.slots:
            claimed = self._campaigns.save(campaign.model_copy(update={
                "release": Release(start=campaign.released,
                                   slots=[(clock.iso(s.at), s.session_id)
                                          for s in planned.slots]),
                "released": campaign.released + len(planned.slots), "pace": planned.state,
                "reason": None, "updated_at": clock.iso(now)}), clock.iso(now))
            if claimed is None:
                return False
            done = self._release(claimed)
            if done is None:
                return False
            campaign = done
        elif remaining:  # a closed window, a spent day or no session: the pace waits
            campaign = campaign.model_copy(update={
                "pace": planned.state, "reason": None if sessions else "no_sendable_session"})
        return self._follow(campaign, planned.next_tick, planned.ended, now)

    def _release(self, campaign: Campaign) -> Campaign | None:
        """Release the claimed recipients (again, after a crash: same ids, none twice)."""
        claim = campaign.release
        assert claim is not None
        now = clock.now()
        end_at = clock.parse(campaign.end_at) if campaign.end_at else None
        rows = self._campaigns.recipients(campaign.tenant_id, campaign.id, claim.start,
                                          len(claim.slots))
        batch: list[Outgoing] = []
        for offset, (recipient, (at, session_id)) in enumerate(zip(rows, claim.slots,
                                                                   strict=False)):
            due = clock.parse(at)
            message_id = ids.derived_id(due, campaign.id, str(claim.start + offset))
            content = personalize(campaign.message, recipient.variables)
            if campaign.add_ref:
                content = add_reference(content, message_id)
            batch.append(Outgoing(
                message_id=message_id, session_id=session_id, to=recipient.to,
                content=content, delay_s=_delay(due, now),
                category=campaign.category, expires_at=end_at,
                typing_ms=campaign.typing_ms, campaign_id=campaign.id))
        try:
            self._messaging.accept_batch(campaign.tenant_id, batch)
        except QuotaExceeded as exc:  # nothing of this batch was stored: unclaim it, pause
            paused = self._campaigns.save(campaign.model_copy(update={
                "release": None, "released": claim.start, "status": CampaignStatus.PAUSED,
                "reason": "quota_exceeded", "tick_id": None,
                "updated_at": clock.iso(now)}))
            if paused is not None:
                self._publish(paused, "paused", detail=exc.message)
            return None
        return self._campaigns.save(campaign.model_copy(update={"release": None}),
                                    clock.iso(now))

    def _sendable(self, campaign: Campaign, now: datetime) -> list[str]:
        """The campaign's sessions that can send now, in its order (not throttled)."""
        ready = []
        for session_id in campaign.session_ids:
            session = self._sessions.get(campaign.tenant_id, session_id)
            if session is None or not_ready(session) is not None:
                continue
            until = self._throttles.throttled_until(campaign.tenant_id, session_id) \
                if self._throttles else None
            if until is None or until <= now:
                ready.append(session_id)
        return ready

    def _follow(self, campaign: Campaign, next_tick: datetime | None, ended: bool,
                now: datetime) -> bool:
        """Progress (events each 10 %), then the next tick, or the end."""
        all_out = campaign.released >= campaign.total or ended
        current = self._progress(campaign, finished=False)
        over = all_out and current.queued == 0
        if over:
            current = self._progress(campaign, finished=True)
        steps = milestones(campaign.announced, current.percent)
        update: dict[str, Any] = {"progress": current, "updated_at": clock.iso(now),
                                  "announced": max([campaign.announced, *steps])}
        if over:
            update.update(status=CampaignStatus.COMPLETED, tick_id=None,
                          finished_at=clock.iso(now),
                          reason="ended" if campaign.released < campaign.total else None)
            due = None
        else:
            update["tick_id"] = ids.new_id()
            due = next_tick if next_tick is not None and not all_out else now + FOLLOW_UP
        saved = self._campaigns.save(campaign.model_copy(update=update),
                                     clock.iso(due) if due else None)
        if saved is None:
            return False
        for step in steps:
            self._publish(saved, "progress", percent=step)
        if over:
            self._publish(saved, "completed")
        elif due is not None:
            self._ticks.send(_tick_body(saved), delay_seconds=_delay(due, now))
        return True

    def watchdog(self) -> int:
        """Tick the running and scheduled campaigns whose next tick is long overdue (a tick
        record lost); the tick's claim keeps a second chain from doing anything twice."""
        woken = 0
        for tenant_id, campaign_id in self._campaigns.due(clock.iso(clock.now()
                                                                    - WATCHDOG_GRACE)):
            campaign = self._campaigns.get(tenant_id, campaign_id)
            if campaign is None:
                continue
            if campaign.status == CampaignStatus.SCHEDULED:
                self._ticks.send({**_tick_body(campaign), "start": True})
            elif campaign.status == CampaignStatus.RUNNING:
                revived = self._campaigns.save(campaign.model_copy(
                    update={"tick_id": ids.new_id()}), clock.now_iso())
                if revived is None:
                    continue
                self._ticks.send(_tick_body(revived))
            woken += 1
        return woken

    # --- what others ask ---

    def on_session_throttled(self, event: Event) -> None:
        """The governor throttled a session: pause the running campaigns that send through
        it until the throttle ends (they resume by themselves)."""
        until = event.data.get("until")
        resume_at = clock.parse(until) if until else None
        for campaign in self._campaigns.list(event.tenant_id, 100, None).items:
            if campaign.status == CampaignStatus.RUNNING \
                    and event.session_id in campaign.session_ids:
                try:
                    self._change(event.tenant_id, campaign.id, "pause",
                                 str(event.data.get("reason") or "throttled"), resume_at)
                except Conflict:
                    continue

    def _due(self, campaign: Campaign) -> str | None:
        return clock.now_iso() if campaign.status == CampaignStatus.RUNNING else \
            campaign.start_at if campaign.status == CampaignStatus.SCHEDULED else None

    def _publish(self, campaign: Campaign, kind: str, percent: int | None = None,
                 detail: str | None = None, reason: str | None = None) -> None:
        self._events.publish(campaign_event(kind, campaign, percent=percent, detail=detail,
                                            reason=reason))

