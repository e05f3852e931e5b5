"""Media by URL through the API: fetched SSRF-safe, capped, sniffed; bad URLs change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import bootstrap
from chalicelib.settings import get_settings
from tests.conftest import Tenant, assert_error, free_port, static_site
from tests.samples import PDF, png

FILES = {"/menu.png": (png(), "image/png"), "/big.pdf": (PDF + b"0" * 4096, "application/pdf")}


@pytest.fixture
def files() -> Iterator[str]:
    with static_site(FILES) as base:
        yield base


def _reconfigure(monkeypatch, **env: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    container = bootstrap.container()
    container.settings = get_settings()
    container.__dict__.pop("media", None)
    container.__dict__.pop("messaging", None)


def _send(tenant: Tenant, sid: str, media: dict, kind: str = "image"):
    return tenant.call("POST", "/v1/messages", {"session_id": sid, "to": "+14155552671",
                                                "type": kind, kind: media})


def test_media_by_url_is_fetched_and_stored(acme: Tenant, working: str, files: str):
    accepted = _send(acme, working, {"url": f"{files}/menu.png", "caption": "menu"})
    assert accepted.status_code == 202, accepted.body
    message = acme.call("GET", f"/v1/messages/{accepted.json['id']}").json
    assert message["content"]["media"]["mime_type"] == "image/png"
    assert message["content"]["media"]["key"].startswith(f"media/{acme.id}/")


def test_private_addresses_are_refused_in_production(acme: Tenant, working: str, files: str,
                                                     monkeypatch):
    _reconfigure(monkeypatch, WAGATE_ALLOW_PRIVATE_WEBHOOKS="false")
    for url in (f"{files}/menu.png", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]/x.png", "http://100.64.0.1/x.png"):
        error = assert_error(_send(acme, working, {"url": url}), 422)
        assert error["details"][0]["field"] == "image.url", (url, error)
        assert "private" in error["message"] or "reserved" in error["message"], error
    assert acme.call("GET", "/v1/messages").json["items"] == []


def test_unreachable_and_missing_media_are_422(acme: Tenant, working: str, files: str):
    closed = f"http://127.0.0.1:{free_port()}/x.png"
    for url in (closed, f"{files}/missing.png", "ftp://example.com/x.png", "file:///etc/passwd"):
        error = assert_error(_send(acme, working, {"url": url}), 422)
        assert error["details"][0]["field"] == "image.url", (url, error)


def test_oversize_media_is_refused(acme: Tenant, working: str, files: str, monkeypatch):
    _reconfigure(monkeypatch, WAGATE_MEDIA_MAX_BYTES="1024")
    error = assert_error(_send(acme, working, {"url": f"{files}/big.pdf"}, kind="document"), 422)
    assert "large" in error["message"]
    assert acme.call("GET", "/v1/messages").json["items"] == []
