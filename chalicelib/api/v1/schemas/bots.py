"""Keyword bots: what they match and what they do."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, ValidationError

from chalicelib.api.v1.schemas.common import Body, HttpUrl, Id, Name, Out, token
from chalicelib.api.v1.schemas.messages import SendIn
from chalicelib.domain.bots import MAX_COOLDOWN_S, MAX_KEYWORDS, PATTERN_MAX_CHARS, Bot
from chalicelib.domain.errors import ValidationFailed, field_path
from chalicelib.services.bots import draft_fields

Match = Literal["exact", "contains", "starts_with", "regex"]
ActionType = Literal["reply", "webhook", "subscribe", "unsubscribe"]
Keyword = token(PATTERN_MAX_CHARS)
MESSAGE_DOC = ("The reply, as POST /v1/messages takes it without session_id and to (text, "
               "media by url, template_id + variables, …); {{from}}, {{name}} and {{text}} "
               "are filled in.")
# A reply goes to the chat it answers, now: these fields of POST /v1/messages do not apply.
_NOT_IN_REPLY = ("session_id", "to", "schedule_at", "expires_at", "reply_to", "reaction")
MESSAGE_FIELD = "action.message"


class ActionIn(Body):
    type: ActionType
    message: dict[str, Any] | None = Field(default=None, description=MESSAGE_DOC)
    url: HttpUrl | None = Field(default=None, description="Where a webhook action POSTs "
                                                          "bot.matched (signed).")

    def checked(self) -> dict[str, Any]:
        """The action as the service takes it: a reply's message checked as POST /v1/messages
        checks it (a 422 naming ``action.message.<field>``), and its Draft fields."""
        fields: dict[str, Any] = {"type": self.type, "message": self.message, "url": self.url}
        if self.message is None:
            return fields
        if self.type != "reply":
            raise ValidationFailed.field(MESSAGE_FIELD, f"does not belong to a {self.type} "
                                                        "action")
        for name in _NOT_IN_REPLY:
            if name in self.message:
                raise ValidationFailed.field(f"{MESSAGE_FIELD}.{name}",
                                             "does not belong to a bot's reply")
        if self.message.get("type") == "reaction":
            raise ValidationFailed.field(f"{MESSAGE_FIELD}.type",
                                         "a bot's reply cannot be a reaction")
        data = {**self.message, "session_id": "bot", "to": "bot"}
        try:
            SendIn.precheck(data)
            draft = SendIn.model_validate_json(json.dumps(data), strict=True).draft()
        except ValidationError as exc:
            details = [{"field": f"{MESSAGE_FIELD}.{field_path(e['loc']) or 'type'}",
                        "message": e["msg"]} for e in exc.errors()]
            raise ValidationFailed("; ".join(f"{d['field']}: {d['message']}" for d in details),
                                   details=details) from exc
        except ValidationFailed as exc:
            details = [{**d, "field": f"{MESSAGE_FIELD}.{d['field']}"} for d in exc.details]
            raise ValidationFailed("; ".join(f"{d['field']}: {d['message']}" for d in details),
                                   details=details) from exc
        return {**fields, "draft": draft_fields(draft)}


class BotIn(Body):
    name: Name
    session_ids: list[Id] = Field(default_factory=list, max_length=100,
                                  description="Only these sessions ([]: every session).")
    match: Match = "exact"
    keywords: list[Keyword] = Field(min_length=1, max_length=MAX_KEYWORDS,
                                    description="Words or phrases; with regex, RE2 patterns "
                                                f"(at most {PATTERN_MAX_CHARS} characters).")
    case_sensitive: bool = False
    allow_groups: bool = Field(default=False, description="Also answer in group chats.")
    action: ActionIn
    cooldown_seconds: int = Field(default=0, ge=0, le=MAX_COOLDOWN_S,
                                  description="No second match in the same chat for this long.")
    order: int = Field(default=0, ge=-10_000, le=10_000,
                       description="Bots run in ascending order (ties: oldest first).")
    stop: bool = Field(default=False, description="No later bot runs once this one matched.")
    enabled: bool = True

    def fields(self) -> dict[str, Any]:
        return {**self.model_dump(exclude={"action"}), "action": self.action.checked()}


class BotPatch(Body):
    name: Name | None = None
    session_ids: list[Id] | None = Field(default=None, max_length=100)
    match: Match | None = None
    keywords: list[Keyword] | None = Field(default=None, min_length=1, max_length=MAX_KEYWORDS)
    case_sensitive: bool | None = None
    allow_groups: bool | None = None
    action: ActionIn | None = None
    cooldown_seconds: int | None = Field(default=None, ge=0, le=MAX_COOLDOWN_S)
    order: int | None = Field(default=None, ge=-10_000, le=10_000)
    stop: bool | None = None
    enabled: bool | None = None

    @classmethod
    def precheck(cls, data: dict[str, Any]) -> None:
        for name, value in data.items():
            if value is None and name in cls.model_fields:
                raise ValidationFailed.field(name, "cannot be null")

    def changes(self) -> dict[str, Any]:
        changes = self.model_dump(exclude_unset=True, exclude={"action"})
        if self.action is not None:
            changes["action"] = self.action.checked()
        return changes


class ActionOut(Out):
    type: ActionType
    message: dict[str, Any] | None
    url: str | None


class BotOut(Out):
    id: str
    name: str
    session_ids: list[str]
    match: Match
    keywords: list[str]
    case_sensitive: bool
    allow_groups: bool
    action: ActionOut
    cooldown_seconds: int
    order: int
    stop: bool
    enabled: bool
    matches: int = Field(description="How many inbound messages it matched.")
    last_matched_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, bot: Bot) -> BotOut:
        body = bot.model_dump(mode="json", include=set(cls.model_fields) - {"action"})
        return cls.model_validate({**body, "action": bot.action.model_dump(
            mode="json", include={"type", "message", "url"})})


class BotWithSecret(BotOut):
    webhook_secret: str | None = Field(description="A webhook bot's signing secret (whsec_…): "
                                                   "shown only here.")

    @classmethod
    def of(cls, bot: Bot) -> BotWithSecret:
        return cls.model_validate({**BotOut.of(bot).model_dump(),
                                   "webhook_secret": bot.webhook_secret})
