"""AutoActions V3 (keyword bots) and OTPs V3 (reverse OTP: the user sends the code to a
shared number), under ``/api/v3/{team_id}``: the team is the wagate tenant."""

from __future__ import annotations

from typing import Any

from chalicelib.api.dialects.cloudwa import schemas
from chalicelib.api.dialects.cloudwa.profile import router
from chalicelib.api.dialects.cloudwa.shapes import (
    fields_named,
    own_team,
    resolve,
    session_of,
)
from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.domain import clock
from chalicelib.domain.bots import Bot
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.otp import Verification, is_reverse_code

BASE = "/api/v3/{team_id}"
MATCHES = {"EXACT": "exact", "REGEX": "regex", "CONTAINS": "contains",
           "STARTS_WITH": "starts_with"}
LOOKUPS = {v: k for k, v in MATCHES.items()}
NAME_MAX = 100  # characters of the bot name made of the keywords
OTP_TTL_S = 600  # how long a registered code waits for the user's message
OTP_STATUSES = {"pending": "PENDING", "approved": "VERIFIED", "expired": "EXPIRED",
                "canceled": "CANCELED", "max_attempts_reached": "FAILED"}
BOT_FIELDS = {"session_ids": "sessions", "action.url": "webhook_url",
              "action.message.template_id": "message_template_id", "keywords": "keywords"}


def _action(call: Call, body: schemas.AutoActionIn) -> dict[str, Any]:
    """The bot's action: REPLY with the template, WEBHOOK to the URL, ACTION (un)subscribe."""
    from chalicelib.api.v1.schemas.bots import ActionIn

    if body.type == "REPLY":
        if body.message_template_id is None:
            raise ValidationFailed.field("message_template_id", "is required with type REPLY")
        given = body.message_template_id
        template = resolve(call, "template", given, "message_template_id") \
            if given.isdigit() else given
        action = ActionIn(type="reply", message={"type": "text", "template_id": template})
    elif body.type == "WEBHOOK":
        if body.webhook_url is None:
            raise ValidationFailed.field("webhook_url", "is required with type WEBHOOK")
        action = ActionIn(type="webhook", url=body.webhook_url)
    else:
        if body.action is None:
            raise ValidationFailed.field("action", "is required with type ACTION")
        action = ActionIn(type=body.action.lower())
    return action.checked()


def _auto_action(numbers: Numbers, bot: Bot) -> dict[str, Any]:
    kind = {"reply": "REPLY", "webhook": "WEBHOOK"}.get(bot.action.type, "ACTION")
    template = (bot.action.draft or {}).get("template_id")
    return {"id": numbers.of("bot", bot.id), "uuid": bot.id, "team_id": bot.tenant_id,
            "keywords": bot.keywords, "type": kind, "lookup": LOOKUPS[bot.match.value],
            "message_template_id": numbers.of("template", template),
            "webhook_url": bot.action.url,
            "action": bot.action.type.upper() if kind == "ACTION" else None,
            "allow_groups": bot.allow_groups, "sessions": bot.session_ids,
            "enabled": bot.enabled, "webhook_secret": bot.webhook_secret,
            "created_at": clock.laravel(bot.created_at),
            "updated_at": clock.laravel(bot.updated_at)}


@router.route("POST", f"{BASE}/auto-actions", scope="bots:write", body=schemas.AutoActionIn,
              status=201)
def register_auto_action(call: Call, team_id: str) -> dict[str, Any]:
    """Register AUTO ACTION in the System: a keyword bot on ``sessions`` ([]: all) whose
    ``keywords`` match by ``lookup`` (EXACT, REGEX, CONTAINS, STARTS_WITH), doing ``type``:
    REPLY with ``message_template_id``, WEBHOOK to ``webhook_url`` (signed; its secret is in
    this answer only) or ACTION ``SUBSCRIBE``/``UNSUBSCRIBE`` (the sender's opt-out)."""
    own_team(call, team_id)
    body: schemas.AutoActionIn = call.body()
    sessions = []
    for index, ref in enumerate(body.sessions):
        try:
            sessions.append(session_of(call, ref).id)
        except NotFound:
            raise ValidationFailed.field(f"sessions.{index}", "The selected session is "
                                                              "invalid") from None
    name = ", ".join(body.keywords)
    with fields_named(BOT_FIELDS):
        bot = call.services.bot_service.create(call.principal, {
            "name": name if len(name) <= NAME_MAX else name[:NAME_MAX - 1] + "…",
            "session_ids": list(dict.fromkeys(sessions)), "match": MATCHES[body.lookup],
            "keywords": body.keywords, "allow_groups": body.allow_groups,
            "action": _action(call, body)})
    return _auto_action(Numbers(call), bot)


def _otp(numbers: Numbers, verification: Verification, code: str | None) -> dict[str, Any]:
    return {"id": numbers.of("otp", verification.id), "uuid": verification.id, "otp": code,
            "number": verification.send_to,
            "status": OTP_STATUSES[verification.status_at(clock.now()).value],
            "phone": verification.phone, "verified_by": verification.verified_phone,
            "verified_at": clock.laravel(verification.approved_at),
            "expires_at": clock.laravel(verification.expires_at),
            "created_at": clock.laravel(verification.created_at)}


@router.route("POST", f"{BASE}/otps", scope="otp:send", body=schemas.OtpIn, status=201)
def register_otp(call: Call, team_id: str) -> dict[str, Any]:
    """Register OTP in the System: a code (``otp``) the user sends on WhatsApp to the shared
    ``number`` (``link`` opens the chat with it written); it is verified when it arrives,
    from ``phone`` only when one is given. It waits 10 minutes."""
    own_team(call, team_id)
    body: schemas.OtpIn = call.body()
    reverse = call.services.otp_service.create_reverse(call.principal, body.phone, OTP_TTL_S)
    return {**_otp(Numbers(call), reverse.verification, reverse.code), "link": reverse.link}


@router.route("GET", f"{BASE}/otps/shared-numbers", scope="otp:send")
def shared_numbers(call: Call, team_id: str) -> list[str]:
    """Returns Shared OTP Numbers: where registered codes are sent (E.164)."""
    own_team(call, team_id)
    return sorted({s.phone for s in call.services.otp_service.shared_numbers() if s.phone})


@router.route("GET", f"{BASE}/otps/{{OTP}}", scope="otp:verify")
def get_otp(call: Call, team_id: str, OTP: str) -> dict[str, Any]:  # noqa: N803
    """Get OTP From the System: by its code (until the code expires), integer id or
    ``uuid``: ``status`` VERIFIED once the user sent it, with who (``verified_by``)."""
    own_team(call, team_id)
    service = call.services.otp_service
    code = OTP.strip().upper()
    numbers = Numbers(call)
    if is_reverse_code(code):
        return _otp(numbers, service.reverse_by_code(call.principal, code), code)
    from chalicelib.domain.otp import Kind

    wagate_id = resolve(call, "otp", code) if code.isdigit() else OTP.strip()
    return _otp(numbers, service.get(call.principal, wagate_id, Kind.REVERSE), None)
