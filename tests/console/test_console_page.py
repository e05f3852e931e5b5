"""The console's page and files as the gateway serves them: a strict Content-Security-Policy on
every answer, every file from the gateway itself (no CDN, no other host), no inline script or
style, and paths that work under any stage prefix."""

from __future__ import annotations

import re

import pytest

from chalicelib.api.console import ASSETS
from tests.conftest import assert_error, call

# What a strict policy must say (and what it must never allow).
REQUIRED = ("default-src 'none'", "script-src 'self'", "style-src 'self'",
            "img-src 'self' blob: data:", "connect-src 'self'", "frame-ancestors 'none'",
            "base-uri 'none'")
URL = re.compile(r"https?://[^\s\"'`)<>]+")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # a name in the icon's markup, never fetched


def _get(client, path: str):
    return call(client, "GET", path, headers={"Accept": "*/*"})


def _assets_of(html: str) -> list[str]:
    return re.findall(r"(?:src|href)=\"([^\"#]+)\"", html)


def _policy(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    assert all(directive in policy for directive in REQUIRED), policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "*" not in policy and "http" not in policy  # no other origin, no wildcard
    return policy


def test_the_console_and_every_file_carry_the_strict_policy(client):
    page = _get(client, "/console")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    _policy(page)
    assert page.headers["X-Frame-Options"] == "DENY"
    for asset in _assets_of(page.body.decode()):
        served = _get(client, "/" + asset)
        assert served.status_code == 200, asset
        assert served.headers["Content-Type"] == ASSETS[asset.rsplit("/", 1)[1]]
        _policy(served)


def test_every_file_comes_from_the_gateway_and_names_no_other_host(client):
    html = _get(client, "/console").body.decode()
    files = {"console.html": html}
    for asset in _assets_of(html):
        assert asset.startswith("console/"), asset  # relative: beside the page, any stage
        files[asset] = _get(client, "/" + asset).body.decode()
    assert set(files) == {"console.html", *(f"console/{name}" for name in ASSETS)}
    for name, text in files.items():
        assert [u for u in URL.findall(text) if u != SVG_NAMESPACE] == [], name
        assert not re.search(r"(src|href|url)\s*[=(]\s*[\"']?//", text), name  # protocol-relative
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    assert "<style" not in html and " style=" not in html  # no inline style
    script = files["console/console.js"]
    assert "innerHTML" not in script and "eval(" not in script  # text is text, never markup
    assert "localStorage" not in script  # the token lives in the tab only (sessionStorage)


def test_under_a_trailing_slash_the_files_are_still_beside_the_page(client):
    html = _get(client, "/console/").body.decode()
    assert sorted(_assets_of(html)) == sorted(["icon.svg", "icon.svg", "console.css",
                                               "console.js"])


@pytest.mark.parametrize("path", ["/console/index.html", "/console/app.py",
                                  "/console/..%2F..%2Fapp.py", "/console/..", "/console/nope.js"])
def test_anything_else_under_the_console_is_not_found(client, path):
    assert_error(_get(client, path), 404)
