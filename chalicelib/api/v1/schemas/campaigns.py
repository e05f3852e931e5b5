"""Campaigns: what a caller creates and changes, and how a campaign and its recipients show."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Body, Id, Name, Out, Timestamp, Variables, text
from chalicelib.api.v1.schemas.messages import _TYPED, ContentIn, Recipient
from chalicelib.domain.campaigns import (
    MAX_INLINE_RECIPIENTS,
    MAX_SESSIONS,
    Campaign,
    Interval,
    Progress,
    RecipientStatus,
    Window,
)
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.events import CampaignProgressData
from chalicelib.services.campaigns import NewCampaign, Recipients

Description = text(2_000, 0)
Status = Literal["draft", "scheduled", "running", "paused", "completed", "canceled"]
MESSAGE_DOC = ("The message, as POST /v1/messages takes its content (type and the object it "
               "names, or template_id); {{variables}} in its text or caption are filled per "
               "recipient.")


class RecipientIn(Body):
    to: Recipient = Field(description="A phone number (E.164, + optional) or a JID.")
    variables: Variables = Field(default_factory=dict)


class AudienceIn(Body):
    group_ids: list[Id] = Field(min_length=1, max_length=50,
                                description="Address-book groups: their contacts, with name, "
                                            "email, phone and custom fields as variables.")


class CampaignIn(Body):
    name: Name
    description: Description | None = None
    session_ids: list[Id] = Field(min_length=1, max_length=MAX_SESSIONS,
                                  description="Sends rotate over those that are WORKING.")
    message: ContentIn = Field(description=MESSAGE_DOC)
    recipients: list[RecipientIn] | None = Field(default=None, max_length=MAX_INLINE_RECIPIENTS)
    upload_id: Id | None = Field(default=None, description="A CSV from POST "
                                                           "/v1/campaigns/uploads, read at start.")
    audience: AudienceIn | None = None
    start_at: Timestamp | None = Field(default=None, description="Starts by itself then "
                                                                 "(status scheduled).")
    end_at: Timestamp | None = Field(default=None, description="Recipients not sent by then "
                                                               "end skipped (reason ended).")
    window: Window | None = None
    message_interval: Interval = Field(default_factory=Interval,
                                       description="Seconds between two sends (uniform).")
    daily_limit: int | None = Field(default=None, ge=1, le=100_000,
                                    description="Sends per session per day (the window's day).")
    typing_ms: int = Field(default=0, ge=0, le=5_000)
    add_ref: bool = Field(default=False, description="Append a short unique reference to "
                                                     "each text.")
    category: Literal["marketing", "transactional"] = Field(
        default="marketing", description="marketing: numbers on the opt-out list are skipped "
                                         "(opted_out).")

    def new(self) -> NewCampaign:
        content = self.message
        if content.type == "reaction":
            raise ValidationFailed.field("message.type", "a campaign cannot send reactions")
        key = "contacts" if content.type == "contact" else content.type
        for other in _TYPED:
            if other != key and getattr(content, "list_" if other == "list" else other):
                raise ValidationFailed.field(f"message.{other}",
                                             f"does not belong to a {content.type} message")
        try:
            draft = content.draft()
        except ValidationFailed as exc:
            details = [{**d, "field": f"message.{d['field']}"} for d in exc.details]
            raise ValidationFailed("; ".join(f"{d['field']}: {d['message']}" for d in details),
                                   details=details) from exc
        return NewCampaign(
            name=self.name, description=self.description, session_ids=self.session_ids,
            message=draft,
            recipients=[(r.to, dict(r.variables)) for r in self.recipients]
            if self.recipients is not None else None,
            upload_id=self.upload_id,
            group_ids=self.audience.group_ids if self.audience else None,
            start_at=self.start_at, end_at=self.end_at, window=self.window,
            interval=self.message_interval, daily_limit=self.daily_limit,
            typing_ms=self.typing_ms, add_ref=self.add_ref, category=self.category)


class CampaignPatch(Body):
    name: Name | None = None
    description: Description | None = None
    window: Window | None = None
    message_interval: Interval | None = None
    daily_limit: int | None = Field(default=None, ge=1, le=100_000)
    typing_ms: int | None = Field(default=None, ge=0, le=5_000)
    end_at: Timestamp | None = None

    def changes(self) -> dict[str, Any]:
        fields = self.model_dump(exclude_unset=True, by_alias=False)
        if "message_interval" in fields:
            fields["interval"] = self.message_interval
            del fields["message_interval"]
        if "window" in fields:
            fields["window"] = self.window
        if not fields:
            raise ValidationFailed.field("name", "give at least one field to change")
        return fields


class ProgressOut(CampaignProgressData):
    """The counts (as the campaign events carry them) and the share done."""

    percent: int = Field(description="Recipients done (sent, failed, skipped or opted out).")

    @classmethod
    def of(cls, progress: Progress) -> ProgressOut:
        return cls(**progress.model_dump(), percent=progress.percent)


class RowErrorOut(Out):
    row: int
    value: str
    message: str


class CampaignOut(Out):
    id: str
    name: str
    description: str | None
    status: Status
    reason: str | None = Field(description="Why it is paused or how it ended.")
    resume_at: str | None = Field(description="A pause the send governor took ends then.")
    session_ids: list[str]
    message: dict[str, Any]
    variables: list[str]
    category: str
    source: Literal["recipients", "upload_id", "audience"]
    start_at: str | None
    end_at: str | None
    window: dict[str, Any] | None
    message_interval: dict[str, float]
    daily_limit: int | None
    typing_ms: int
    add_ref: bool
    progress: ProgressOut
    eta: str | None = Field(description="About when the last recipient goes out.")
    invalid: int = Field(description="Rows that reach nobody (see errors).")
    duplicates: int
    errors: list[RowErrorOut] = Field(description="The first 100 invalid rows.")
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None

    @classmethod
    def of(cls, campaign: Campaign, eta: datetime | None = None) -> CampaignOut:
        from chalicelib.domain import clock

        return cls(
            id=campaign.id, name=campaign.name, description=campaign.description,
            status=campaign.status.value, reason=campaign.reason, resume_at=campaign.resume_at,
            session_ids=campaign.session_ids, message=campaign.message,
            variables=campaign.variables, category=campaign.category,
            source=campaign.source.get("kind", "recipients"), start_at=campaign.start_at,
            end_at=campaign.end_at,
            window=campaign.window.model_dump(by_alias=True) if campaign.window else None,
            message_interval=campaign.interval.model_dump(), daily_limit=campaign.daily_limit,
            typing_ms=campaign.typing_ms, add_ref=campaign.add_ref,
            progress=ProgressOut.of(campaign.progress),
            eta=clock.iso(eta) if eta else None, invalid=campaign.invalid,
            duplicates=campaign.duplicates,
            errors=[RowErrorOut(**e) for e in campaign.errors], created_at=campaign.created_at,
            updated_at=campaign.updated_at, started_at=campaign.started_at,
            finished_at=campaign.finished_at)


class CampaignRecipientOut(Out):
    to: str | None
    status: RecipientStatus
    message_id: str | None
    message_status: str | None
    session_id: str | None
    reason: str | None
    updated_at: str | None


class RecipientPage(Out):
    items: list[CampaignRecipientOut]
    next_cursor: str | None

    @classmethod
    def of(cls, recipients: Recipients) -> RecipientPage:
        return cls(items=[CampaignRecipientOut(**i) for i in recipients.items],
                   next_cursor=recipients.next_cursor)
