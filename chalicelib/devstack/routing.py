"""Greedy routes (``/{proxy+}``) for Chalice's local gateway, as API Gateway matches them.

Chalice's local ``RouteMatcher`` (behind ``chalice local``, ``make run`` and the test
client) treats ``{proxy+}`` as one path segment (aws/chalice#2012). API Gateway lets it
match the rest of the path whenever no more specific route does; ``install()`` teaches the
local matcher the same, so unknown paths reach our catch-all route locally too.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from chalice.local import MatchResult, RouteMatcher

_original = RouteMatcher.match_route


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


def install() -> None:
    """Patch the local matcher (idempotent)."""
    if RouteMatcher.match_route is not _match:
        RouteMatcher.match_route = _match  # type: ignore[method-assign]
