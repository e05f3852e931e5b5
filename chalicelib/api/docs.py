"""The API describes itself: ``/v1/openapi.json``, the docs page at ``/docs`` (Swagger UI,
served by the gateway itself: no CDN), and the index at ``/``."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.edge import Request, endpoint

bp = Blueprint(__name__)
STATIC = Path(__file__).parent / "static"
# Vendored from the npm package swagger-ui-dist by `make assets` (see the Makefile).
SWAGGER_UI = STATIC / "swagger-ui"
ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
          "swagger-ui.css": "text/css; charset=utf-8",
          "docs.js": "text/javascript; charset=utf-8",
          "favicon-32x32.png": "image/png"}
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'")
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>wagate API</title>
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-spec="v1/openapi.json"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/docs.js"></script>
</body>
</html>
"""


_DOCUMENTS: dict[int, str] = {}


def document(routes: dict[str, Any]) -> str:
    """The OpenAPI document of these routes, as JSON (built once per app)."""
    from chalicelib.api.openapi import generate

    if id(routes) not in _DOCUMENTS:
        _DOCUMENTS[id(routes)] = json.dumps(generate(routes), separators=(",", ":"))
    return _DOCUMENTS[id(routes)]


@bp.route("/", methods=["GET"])
@endpoint(bp, auth=False, out="meta:IndexOut")
def index(request: Request) -> dict[str, Any]:
    """Where things are: the API, its docs page and its OpenAPI document."""
    return {"service": "wagate", "api": "v1", "docs": "docs", "openapi": "v1/openapi.json"}


@bp.route("/v1/openapi.json", methods=["GET"])
@endpoint(bp, auth=False, produces=("application/json",))
def openapi_json(request: Request) -> Response:
    """This API's OpenAPI 3.1 document, generated from its code."""
    return Response(body=document(bp.current_app.routes), status_code=200,
                    headers={"Content-Type": "application/json",
                             "Cache-Control": "public, max-age=300"})


@bp.route("/docs", methods=["GET"])
@endpoint(bp, auth=False, produces=("text/html",))
def docs(request: Request) -> Response:
    """The API's documentation, with a console to try each call."""
    return Response(body=PAGE, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": DOCS_CSP,
        "Cache-Control": "no-cache"})


@functools.cache
def _asset(name: str) -> bytes | None:
    path = (STATIC / name) if name == "docs.js" else (SWAGGER_UI / name)
    return path.read_bytes() if path.is_file() else None


@bp.route("/docs/{asset}", methods=["GET"])
@endpoint(bp, auth=False, produces=("text/javascript", "text/css", "image/png"))
def docs_asset(request: Request, asset: str) -> Response:
    """A file of the docs page."""
    from chalicelib.domain.errors import NotFound

    data = _asset(asset) if asset in ASSETS else None
    if data is None:
        raise NotFound("no such file")
    mime = ASSETS[asset]
    body: bytes | str = data if mime == "image/png" else data.decode("utf-8")
    return Response(body=body, status_code=200, headers={
        "Content-Type": mime, "Cache-Control": "public, max-age=3600"})
