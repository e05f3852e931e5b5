"""What the tenant set up elsewhere, read only: templates, message bots and template bots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.api.dialects.edge import Call
from chalicelib.api.dialects.numbers import Numbers
from chalicelib.api.dialects.whatscloud.profile import router
from chalicelib.api.dialects.whatscloud.shapes import (
    is_message_bot,
    is_template_bot,
    listed,
    message_bot,
    own,
    resolve,
    template,
    template_bot,
)
from chalicelib.domain.bots import Bot
from chalicelib.domain.errors import NotFound
from chalicelib.domain.paging import Page

BASE = "/api/v1/{tenant}"
PAGING = ("page", "per_page")


@router.route("GET", f"{BASE}/templates", scope="messages:read", query=PAGING)
def list_templates(call: Call, tenant: str) -> dict[str, Any]:
    """The tenant's message templates (those of ``/v1/templates``), a page at a time."""
    own(call, tenant)
    service = call.services.template_service
    return listed(call, lambda limit, cursor: service.list(call.principal, limit, cursor),
                  "template", template)


@router.route("GET", f"{BASE}/templates/{{id}}", scope="messages:read")
def get_template(call: Call, tenant: str, id: str) -> dict[str, Any]:  # noqa: A002
    """One template."""
    own(call, tenant)
    found = call.services.template_service.get(call.principal, resolve(call, "template", id))
    return {"data": template(Numbers(call), found)}


def _bots(call: Call, kind: Callable[[Bot], bool]) -> list[Bot]:
    """The tenant's keyword bots of one reply kind."""
    return [b for b in call.services.bot_service.all(call.principal) if kind(b)]


def _bot_routes(plural: str, title: str, kind: Callable[[Bot], bool],
                shape: Callable[[Numbers, Bot], dict[str, Any]]) -> None:
    """``…/<plural>`` and ``…/<plural>/{id}``, at the product's own path and the plain
    REST one (``templatebots`` and ``template-bots``)."""

    def list_bots(call: Call, tenant: str) -> dict[str, Any]:
        own(call, tenant)
        mine = _bots(call, kind)
        return listed(call, lambda limit, cursor: Page(mine), "bot", shape)

    def get_bot(call: Call, tenant: str, id: str) -> dict[str, Any]:  # noqa: A002
        own(call, tenant)
        bot = call.services.bot_service.get(call.principal, resolve(call, "bot", id))
        if not kind(bot):
            raise NotFound(f"{title} not found")
        return {"data": shape(Numbers(call), bot)}

    for path in (plural.replace("-", ""), plural):
        for fn, doc in ((list_bots, f"The {title.lower()}s, a page at a time."),
                        (get_bot, f"One {title.lower()}.")):
            named = _named(fn, f"{fn.__name__}_{path.replace('-', '_')}", doc)
            suffix = "" if fn is list_bots else "/{id}"
            router.route("GET", f"{BASE}/{path}{suffix}", scope="bots:read",
                         query=PAGING if fn is list_bots else ())(named)


def _named(fn: Callable[..., Any], name: str, doc: str) -> Callable[..., Any]:
    """``fn`` under another name (each route's OpenAPI operation id is its own)."""
    def route(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    route.__name__ = route.__qualname__ = name
    route.__doc__ = doc
    return route


_bot_routes("message-bots", "Message bot", is_message_bot, message_bot)
_bot_routes("template-bots", "Template bot", is_template_bot, template_bot)
