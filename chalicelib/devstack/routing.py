"""Chalice's local gateway, made to route as API Gateway does: greedy routes and OPTIONS.

Chalice's local ``RouteMatcher`` (behind ``chalice local``, ``make run`` and the test
client) treats ``{proxy+}`` as one path segment (aws/chalice#2012). API Gateway lets it
match the rest of the path whenever no more specific route does; ``install()`` teaches the
local matcher the same, so unknown paths reach our catch-all route locally too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from chalice.local import LocalGateway, MatchResult, RouteMatcher

_original = RouteMatcher.match_route
_original_options = LocalGateway._has_user_defined_options_method


def _match(self: RouteMatcher, url: str) -> MatchResult:
    try:
        return _original(self, url)
    except ValueError:
        parsed = urlparse(url)
        path = parsed.path
        for route in sorted(self.route_urls, key=len, reverse=True):
            head, plus, _ = route.partition("/{proxy+}")
            if plus and (path == head or path.startswith(head + "/")):
                rest = path[len(head):].lstrip("/")
                return MatchResult(route, {"proxy": rest},
                                   parse_qs(parsed.query, keep_blank_values=True))
        raise


def _options(self: LocalGateway, lambda_event: dict[str, Any]) -> bool:
    """API Gateway answers a preflight itself only for routes with CORS; elsewhere OPTIONS
    is a method like any other (405), so the app must see it."""
    route = self._app_object.routes[lambda_event["requestContext"]["resourcePath"]]
    return _original_options(self, lambda_event) or \
        not any(entry.cors for entry in route.values())


def install() -> None:
    """Patch the local gateway (idempotent)."""
    if RouteMatcher.match_route is not _match:
        RouteMatcher.match_route = _match  # type: ignore[method-assign]
        LocalGateway._has_user_defined_options_method = _options  # type: ignore[method-assign]
