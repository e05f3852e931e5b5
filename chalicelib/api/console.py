"""The web console at ``/console``: plain HTML, CSS and JavaScript served by the gateway itself
(no CDN, no build step). It runs in the browser on the public API only, as the user who logs
in (the token stays in the tab's sessionStorage), under a strict Content-Security-Policy.

Two API Gateway resources: the page, and its files at ``/console/{asset}``."""

from __future__ import annotations

import functools
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.api.edge import Request, endpoint
from chalicelib.api.files import served_file

bp = Blueprint(__name__)
CONSOLE = Path(__file__).parent / "static" / "console"
ASSETS = {"console.js": "text/javascript; charset=utf-8",
          "console.css": "text/css; charset=utf-8",
          "icon.svg": "image/svg+xml"}
# No inline script or style; images from the gateway, or blob: URLs the page made from API
# answers it fetched with its token (the QR code), or data: URLs; API calls to this origin.
CONSOLE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
               "img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
               "form-action 'none'; frame-ancestors 'none'")
PATH = "/console"


@functools.cache
def _file(name: str) -> str | None:
    path = CONSOLE / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _assets(request: Request) -> str:
    """Where the page's files are, relative to the page: ``console/`` beside ``…/console``,
    nothing under ``…/console/``. Relative, so the page works under any stage or base path."""
    path = str((request.raw.context or {}).get("path") or PATH)
    return "" if path.endswith("/") else "console/"


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}


@bp.route("/console", methods=["GET"])
@endpoint(bp, auth=False, produces=("text/html",))
def console(request: Request) -> Response:
    """The web console: log in, pair sessions, send and follow messages, webhooks and their
    deliveries, the live events, API keys, campaigns, OTP and the account's usage."""
    page = (_file("index.html") or "").replace("{{assets}}", _assets(request))
    return Response(body=page, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", **_headers()})


@bp.route("/console/{asset}", methods=["GET"])
@endpoint(bp, auth=False, produces=("text/javascript", "text/css", "image/svg+xml"))
def console_asset(request: Request, asset: str) -> Response:
    """A file of the web console."""
    return served_file(asset, ASSETS, _file, _headers())
