"""Our models as WhatsMark SaaS shows them: integer ids, Laravel's timestamps and paginator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.domain import clock
from chalicelib.domain.address_book import Contact, Tag
from chalicelib.domain.bots import Bot, MatchMode
from chalicelib.domain.errors import NotFound, Unauthorized, ValidationFailed
from chalicelib.domain.paging import Page, collect
from chalicelib.domain.templates import Template

DEFAULT_PER_PAGE = 15  # Laravel's paginate() default, as the product uses it
MAX_PER_PAGE = 100
MAX_WINDOW = 10_000  # the deepest item a page may reach (page times per_page)
READ_LIMIT = 100  # items read per store page while walking to a page
MAX_READS = 1_000  # store pages read for one page at most (filtered pages may come short)
# Contact fields WhatsMark has and the address book does not: kept as custom fields.
CONTACT_EXTRAS = ("company", "type", "description", "country_id", "zip", "city", "state",
                  "address", "website", "default_language")
# WhatsMark bots' reply_type: 1 on an exact match, 2 when the message contains a trigger.
REPLY_TYPES = {MatchMode.EXACT: 1, MatchMode.STARTS_WITH: 2, MatchMode.CONTAINS: 2,
               MatchMode.REGEX: 2}


def resolve(call: Call, kind: str, number: str | int) -> str:
    """The wagate id behind a product id (the product's 404 when the tenant has none)."""
    return call.services.alias_service.resolve(call.tenant_id, kind, number)


def resolve_field(call: Call, kind: str, number: int, field: str) -> str:
    """The wagate id behind an id given in a field (a 422 on it when unknown)."""
    try:
        return resolve(call, kind, number)
    except NotFound as exc:
        raise ValidationFailed.field(field, f"The selected {field} is invalid.") from exc


def split_name(name: str | None) -> tuple[str, str]:
    """``firstname``, ``lastname`` of a stored name (split at its first space)."""
    first, _, last = (name or "").partition(" ")
    return first, last


def contact(numbers: Numbers, item: Contact) -> dict[str, Any]:
    numbers.load("status", [item.status])
    numbers.load("source", [item.source])
    numbers.load("group", item.group_ids)
    first, last = split_name(item.name)
    extras = {name: item.custom_fields.get(name) for name in CONTACT_EXTRAS}
    country = extras.pop("country_id")
    return {
        "id": numbers.of("contact", item.id), "tenant_id": item.tenant_id,
        "firstname": first, "lastname": last, **extras,
        "type": extras["type"] or "lead",
        "country_id": int(country) if country and country.isdigit() else None,
        "status_id": numbers.of("status", item.status),
        "source_id": numbers.of("source", item.source),
        "group_id": [numbers.of("group", g) for g in item.group_ids],
        "email": item.email, "phone": item.phone, "is_enabled": True,
        "created_at": clock.laravel(item.created_at), "updated_at": clock.laravel(item.updated_at),
    }


def tag(numbers: Numbers, item: Tag) -> dict[str, Any]:
    shaped: dict[str, Any] = {"id": numbers.of(item.kind, item.id), "tenant_id": item.tenant_id,
                              "name": item.name}
    if item.kind == "status":
        shaped.update(color=item.color, isdefault=False)
    return {**shaped, "created_at": clock.laravel(item.created_at),
            "updated_at": clock.laravel(item.updated_at)}


def template(numbers: Numbers, item: Template) -> dict[str, Any]:
    number = numbers.of("template", item.id)
    return {
        "id": number, "tenant_id": item.tenant_id,
        "template_id": number, "template_name": item.name, "language": "en",
        "status": "APPROVED", "category": "UTILITY", "header_data_format": None,
        "header_data_text": None, "header_params_count": 0, "body_data": item.body,
        "body_params_count": len(item.variables), "footer_data": None,
        "footer_params_count": 0, "buttons_data": "[]",
        "created_at": clock.laravel(item.created_at), "updated_at": clock.laravel(item.updated_at),
    }


def is_template_bot(bot: Bot) -> bool:
    """A keyword bot that replies with a template (WhatsMark's "template bot")."""
    return bot.action.type == "reply" and bool((bot.action.draft or {}).get("template_id"))


def is_message_bot(bot: Bot) -> bool:
    """A keyword bot that replies with a message of its own (a "message bot")."""
    return bot.action.type == "reply" and not is_template_bot(bot)


def _bot_common(numbers: Numbers, bot: Bot) -> dict[str, Any]:
    return {"id": numbers.of("bot", bot.id), "tenant_id": bot.tenant_id, "name": bot.name,
            "rel_type": "lead", "trigger": ",".join(bot.keywords),
            "reply_type": REPLY_TYPES[bot.match], "is_bot_active": bot.enabled,
            "sending_count": bot.matches}


def message_bot(numbers: Numbers, bot: Bot) -> dict[str, Any]:
    draft = bot.action.draft or {}
    body = draft.get("body") or {}
    media = draft.get("media") or {}
    return {**_bot_common(numbers, bot),
            "reply_text": body.get("text") or body.get("caption"),
            "bot_header": None, "bot_footer": None,
            "button1": None, "button1_id": None, "button2": None, "button2_id": None,
            "button3": None, "button3_id": None, "button_name": None, "button_url": None,
            "addedfrom": None, "filename": media.get("url"),
            "created_at": clock.laravel(bot.created_at),
            "updated_at": clock.laravel(bot.updated_at)}


def template_bot(numbers: Numbers, bot: Bot) -> dict[str, Any]:
    draft = bot.action.draft or {}
    params = list((draft.get("variables") or {}).values())
    media = draft.get("media") or {}
    common = _bot_common(numbers, bot)
    return {**common, "template_id": numbers.of("template", draft.get("template_id")),
            "header_params": "[]", "body_params": _json_list(params), "footer_params": "[]",
            "filename": media.get("url"), "is_bot_active": int(bot.enabled),
            "created_at": clock.laravel(bot.created_at),
            "updated_at": clock.laravel(bot.updated_at)}


def _json_list(values: list[Any]) -> str:
    return json.dumps([str(v) for v in values])


def page_args(call: Call) -> tuple[int, int]:
    """``page`` and ``per_page`` (Laravel's), bounded."""
    per_page = call.query_int("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = call.query_int("page", 1, 1, MAX_WINDOW // per_page)
    return page, per_page


def window(fetch: Callable[[int, str | None], Page], page: int, per_page: int
           ) -> tuple[list[Any], bool]:
    """The items of ``page`` walking the store's cursor pages, and whether more follow."""
    skip = (page - 1) * per_page
    items = collect(lambda cursor: fetch(READ_LIMIT, cursor), skip + per_page + 1, MAX_READS)
    return items[skip:skip + per_page], len(items) > skip + per_page


def paginator(call: Call, items: list[Any], page: int, per_page: int,
              more: bool) -> dict[str, Any]:
    """Laravel's simple paginator around ``items`` (no total: the store pages by cursor)."""
    headers = call.headers
    host = headers.get("host") or "localhost"
    proto = headers.get("x-forwarded-proto") or "http"
    path = f"{proto}://{host}{(call.raw.context or {}).get('path', '')}"
    first = (page - 1) * per_page + 1 if items else None
    return {
        "current_page": page, "data": items, "first_page_url": f"{path}?page=1",
        "from": first, "next_page_url": f"{path}?page={page + 1}" if more else None,
        "path": path, "per_page": per_page,
        "prev_page_url": f"{path}?page={page - 1}" if page > 1 else None,
        "to": first + len(items) - 1 if first is not None else None,
    }


def listed(call: Call, fetch: Callable[[int, str | None], Page], kind: str,
           shape: Callable[[Numbers, Any], dict[str, Any]]) -> dict[str, Any]:
    """The ``page`` the query asks for of a list, each item shaped with its integer ids, in
    Laravel's paginator under ``data``."""
    page, per_page = page_args(call)
    items, more = window(fetch, page, per_page)
    numbers = Numbers(call)
    numbers.load(kind, [item.id for item in items])
    return {"data": paginator(call, [shape(numbers, item) for item in items], page, per_page,
                              more)}


def own(call: Call, tenant: str) -> None:
    """The ``{tenant}`` of the path must be the key's own: WhatsMark checks a token against
    the tenant the path names, so another tenant's (or an unknown) one is its 401."""
    if tenant != call.tenant_id:
        raise Unauthorized("invalid API key for this tenant", code="invalid_api_key")
