"""The API describes itself: ``/v1/openapi.json``, the docs page at ``/docs`` (Swagger UI,
served by the gateway itself: no CDN), and the index at ``/``."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.edge import Request, endpoint
from chalicelib.api.files import served_file

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


_DOCUMENTS: dict[int, dict[str, Any]] = {}
SPEC_PATH = "/v1/openapi.json"


def document(routes: dict[str, Any], base: str = "/") -> str:
    """The OpenAPI document of these routes (built once per app), served from ``base``."""
    from chalicelib.api.openapi import generate

    if id(routes) not in _DOCUMENTS:
        _DOCUMENTS[id(routes)] = generate(routes)
    spec = {**_DOCUMENTS[id(routes)], "servers": [{"url": base, "description": "this gateway"}]}
    return json.dumps(spec, separators=(",", ":"))


def _base(request: Request) -> str:
    """Where the API lives as the caller sees it: ``/`` locally, ``/<stage>`` on API Gateway's
    own domain, the base path on a custom domain."""
    path = str((request.raw.context or {}).get("path") or SPEC_PATH)
    return path[:-len(SPEC_PATH)] or "/" if path.endswith(SPEC_PATH) else "/"


@bp.route("/", methods=["GET"])
@endpoint(bp, auth=False, out="meta:IndexOut")
def index(request: Request) -> dict[str, Any]:
    """Where things are: the API, its docs page and its OpenAPI document."""
    return {"service": "wagate", "api": "v1", "docs": "docs", "openapi": "v1/openapi.json"}


@bp.route("/v1/openapi.json", methods=["GET"])
@endpoint(bp, auth=False, produces=("application/json",))
def openapi_json(request: Request) -> Response:
    """This API's OpenAPI 3.1 document, generated from its code."""
    return Response(body=document(bp.current_app.routes, _base(request)), status_code=200,
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
def _asset(name: str) -> bytes | str | None:
    path = (STATIC / name) if name == "docs.js" else (SWAGGER_UI / name)
    if not path.is_file():
        return None
    return path.read_bytes() if ASSETS[name] == "image/png" else path.read_text("utf-8")


@bp.route("/docs/{asset}", methods=["GET"])
@endpoint(bp, auth=False, produces=("text/javascript", "text/css", "image/png"))
def docs_asset(request: Request, asset: str) -> Response:
    """A file of the docs page."""
    return served_file(asset, ASSETS, _asset, {"Cache-Control": "public, max-age=3600"})
