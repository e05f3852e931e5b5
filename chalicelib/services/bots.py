"""Keyword bots: the resource, and what happens when a message arrives.

``on_message`` is the event worker's ``bots`` consumer of ``message.received``: the tenant's
STOP/START keywords first (``OptOutService.on_keyword``), then every bot that matches, in
order. Each bot acts at most once per (bot, event): its match mark is taken in one transaction
with its counter, its reply's message id and its ``bot.matched`` event id are derived from
(bot, event), and a webhook bot's delivery id from that event's id — so a redelivered event,
or two workers racing on it, never reply twice.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain import clock, ids
from chalicelib.domain.auth import Principal
from chalicelib.domain.bots import (
    MAX_BOTS,
    MAX_COOLDOWN_S,
    SEEN_TTL_S,
    Bot,
    check_keywords,
    chosen,
    fill,
)
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.events import Event, bot_matched
from chalicelib.domain.messages import Message, Priority
from chalicelib.domain.paging import Page
from chalicelib.domain.webhooks import new_secret
from chalicelib.services.deliveries import DeliveryService
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import Draft, MessagingService
from chalicelib.services.optouts import (
    OptOutService,
    inbound_message,
    send_once,
    system_caller,
)
from chalicelib.services.ports import BotRepo, EventPublisher, SessionRepo, UrlPolicy
from chalicelib.services.templates import TemplateService

log = logging.getLogger(__name__)


class BotService:
    def __init__(self, bots: BotRepo, sessions: SessionRepo, urls: UrlPolicy,
                 templates: TemplateService, messaging: MessagingService,
                 opt_outs: OptOutService, deliveries: DeliveryService,
                 events: EventPublisher) -> None:
        self._bots = bots
        self._sessions = sessions
        self._urls = urls
        self._templates = templates
        self._messaging = messaging
        self._opt_outs = opt_outs
        self._deliveries = deliveries
        self._events = events

    # --- the resource ---

    def create(self, caller: Principal, fields: dict[str, Any]) -> Bot:
        """A new bot; a webhook bot's ``webhook_secret`` is in this answer only."""
        if len(self._bots.all(caller.tenant_id)) >= MAX_BOTS:
            raise Conflict(f"a tenant has at most {MAX_BOTS} bots", code="bot_limit")
        now = clock.now_iso()
        bot = Bot(id=f"bot_{ids.new_id()}", tenant_id=caller.tenant_id, created_at=now,
                  updated_at=now, **fields)
        bot = self._checked(caller, bot)
        if bot.action.type == "webhook":
            bot = bot.model_copy(update={"webhook_secret": new_secret()})
        self._bots.create(bot)
        return bot

    def get(self, caller: Principal, bot_id: str) -> Bot:
        bot = self._bots.get(caller.tenant_id, bot_id)
        if bot is None:
            raise NotFound("bot not found")
        return bot

    def all(self, caller: Principal) -> list[Bot]:
        """Every bot of the tenant (at most ``MAX_BOTS``)."""
        return self._bots.all(caller.tenant_id)

    def list(self, caller: Principal, limit: int, cursor: str | None) -> Page:
        return self._bots.list(caller.tenant_id, limit, cursor)

    def update(self, caller: Principal, bot_id: str, changes: dict[str, Any]) -> Bot:
        """Change any field; a new webhook action keeps the bot's secret (one is made when
        the bot had none)."""
        current = self.get(caller, bot_id)
        bot = self._checked(caller, Bot.model_validate({
            **current.model_dump(), **changes, "updated_at": clock.now_iso()}))
        if bot.action.type == "webhook" and not bot.webhook_secret:
            bot = bot.model_copy(update={"webhook_secret": new_secret()})
        if not self._bots.replace(bot):
            raise NotFound("bot not found")
        return bot

    def delete(self, caller: Principal, bot_id: str) -> None:
        if not self._bots.delete(caller.tenant_id, bot_id):
            raise NotFound("bot not found")

    def _checked(self, caller: Principal, bot: Bot) -> Bot:
        """The bot if every field holds (a 422 naming the first that does not)."""
        check_keywords(bot.match, bot.keywords, bot.case_sensitive)
        if not 0 <= bot.cooldown_seconds <= MAX_COOLDOWN_S:
            raise ValidationFailed.field("cooldown_seconds", f"must be 0 to {MAX_COOLDOWN_S}")
        for i, session_id in enumerate(bot.session_ids):
            if self._sessions.get(caller.tenant_id, session_id) is None:
                raise ValidationFailed.field(f"session_ids[{i}]", "is not a session of yours")
        action = bot.action
        if action.type == "webhook":
            if not action.url:
                raise ValidationFailed.field("action.url", "is required for a webhook action")
            action = action.model_copy(update={"url": self._urls.check(action.url,
                                                                       "action.url")})
        elif action.url is not None:
            raise ValidationFailed.field("action.url", f"does not belong to a {action.type} "
                                                       "action")
        if action.type == "reply":
            if action.draft is None:
                raise ValidationFailed.field("action.message", "is required for a reply")
            template_id = action.draft.get("template_id")
            if template_id:
                try:
                    self._templates.get(caller, template_id)
                except NotFound as exc:
                    raise ValidationFailed.field("action.message.template_id",
                                                 "no such template") from exc
            if (action.draft.get("media") or {}).get("base64"):
                raise ValidationFailed.field(f"action.message.{action.draft['type']}.base64",
                                             "a bot's reply takes media by url")
        else:
            if action.message is not None:
                raise ValidationFailed.field("action.message", f"does not belong to a "
                                                               f"{action.type} action")
            action = action.model_copy(update={"draft": None})
        secret = bot.webhook_secret if action.type == "webhook" else None
        return bot.model_copy(update={"action": action, "webhook_secret": secret})

    # --- the event worker's consumer ---

    def on_message(self, event: Event) -> None:
        """Opt-out keywords, then the matching bots in order (see the module's docstring)."""
        message = inbound_message(event)
        if message is None or self._opt_outs.on_keyword(event, message):
            return
        bots = chosen(self._bots.all(event.tenant_id), message.session_id, message.chat,
                      message.text)
        for bot in bots:
            self._run(bot, event, message)

    def _run(self, bot: Bot, event: Event, message: Message) -> None:
        now_ms = int(clock.now().timestamp() * 1000)
        if bot.cooldown_seconds:
            mark, until_ms = f"COOL#{bot.id}#{message.chat}", now_ms + bot.cooldown_seconds * 1000
        else:
            mark, until_ms = f"SEEN#{bot.id}#{event.id}", now_ms + SEEN_TTL_S * 1000
        outcome = self._bots.claim(event.tenant_id, bot.id, mark, event.id, until_ms, now_ms)
        if outcome in ("cooling", "gone"):
            return
        action = bot.action
        reply_id = error = None
        if action.type == "reply" and action.draft is not None:
            reply_id = self._reply(bot, event, message, action.draft)
            error = None if reply_id else "the reply was refused (see the logs)"
        elif action.type in ("subscribe", "unsubscribe"):
            number = (message.from_ or "").split("@", 1)[0] or \
                (message.sender_phone or "").lstrip("+")
            if not number.isdigit():
                error = "the sender's number is not known"
            elif action.type == "unsubscribe":
                self._opt_outs.opt_out(event.tenant_id, number, "bot", f"bot {bot.name}",
                                       message.session_id)
            else:
                self._opt_outs.opt_in(event.tenant_id, number, "bot", message.session_id)
        matched = bot_matched(event, bot.id, bot.name, action.type, reply_id, error)
        target = bot.webhook_target()
        if target is not None:
            self._deliveries.deliver_to(target, matched)
        self._events.publish(matched)

    def _reply(self, bot: Bot, event: Event, message: Message,
               fields: dict[str, Any]) -> str | None:
        sender = message.sender_phone or ("+" + message.from_.split("@", 1)[0]
                                          if message.from_ else message.sender or "")
        values = {"from": sender, "name": message.push_name or "", "text": message.text or ""}
        media = fields.get("media")
        draft = Draft(
            session_id=message.session_id, to=message.chat, type=fields.get("type", "text"),
            body=fill(fields.get("body") or {}, values),
            media=MediaSource(**media) if media else None,
            template_id=fields.get("template_id"),
            variables={**values, **fill(fields.get("variables") or {}, values)},
            ttl_seconds=fields.get("ttl_seconds"),
            priority=Priority(fields.get("priority", "normal")),
            typing_ms=fields.get("typing_ms", 0), metadata={"bot_id": bot.id},
            message_id=ids.derived_id(clock.parse(event.timestamp), "bot", bot.id, event.id))
        return send_once(self._messaging, system_caller(event.tenant_id, f"bot:{bot.id}"),
                         draft)


def draft_fields(draft: Draft) -> dict[str, Any]:
    """What a bot keeps of a reply's Draft (no session, recipient, times or id)."""
    media = draft.media
    return {"type": draft.type, "body": draft.body,
            "media": {k: getattr(media, k) for k in ("url", "base64", "mime_type", "filename")}
            if media else None,
            "template_id": draft.template_id, "variables": draft.variables,
            "ttl_seconds": draft.ttl_seconds, "priority": draft.priority.value,
            "typing_ms": draft.typing_ms}

