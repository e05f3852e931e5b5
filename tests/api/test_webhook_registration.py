"""Webhook URLs are checked against the SSRF policy when they are registered
(``POST /v1/sessions {webhook_url}``): a refused URL is a 422 naming ``webhook_url`` in our
error envelope, and nothing is stored. Nothing connects anywhere (socket guard), and names
resolve only through the guard's table."""

from __future__ import annotations

import pytest

from tests.adapters.test_safe_fetch import FAKE_PUBLIC_IP, Sockets, guard_sockets
from tests.conftest import Tenant, assert_error
from tests.workers.test_webhooks import set_private_webhooks

HOOK_NAME = "hooks.example.test"
REFUSED_ALWAYS = [
    "http://169.254.169.254/latest/meta-data/", "http://2852039166/",
    "http://0251.0376.0251.0376/", "http://0xa9fea9fe/", "http://169.254.43518/",
    "http://[::ffff:169.254.169.254]/", "http://[::169.254.169.254]/", "http://[::127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/", "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::]/", "http://[fe80::1%25eth0]/",
    "http://169.254.169.254./", "http://example.com@169.254.169.254/",
    "http://169.254.170.2/v2/credentials", "http://[fd00:ec2::254]/", "http://0.0.0.0/",
    "http://[::]/", "http://100.64.0.1/", "http://224.0.0.1/", "http://240.0.0.1/",
    "http://metadata.example.test/", "http://bücher.example.test/",
    f"https://user:secret@{HOOK_NAME}/in", "ftp://hooks.example.test/",
    "http://no-such-host.example.test/in",  # does not resolve now: refused, not stored
    f"https://{HOOK_NAME}/" + "a" * 2040,  # 2,060 characters: over our 2,048
    f"https://{HOOK_NAME}/" + "a" * 3000,  # over the schema's own limit
]
LOOPBACK_AND_PRIVATE = ["http://127.0.0.1:9000/hook", "http://localhost:9000/hook",
                        "http://[::1]:9000/hook", "http://10.1.2.3/hook",
                        "http://192.168.0.10/hook", "http://private.example.test/hook"]


@pytest.fixture(autouse=True)
def sockets(monkeypatch: pytest.MonkeyPatch) -> Sockets:
    guard = guard_sockets(monkeypatch)
    guard.names.update({HOOK_NAME: [[FAKE_PUBLIC_IP, "2606:4700::6812:1"]],
                        "xn--bcher-kva.example.test": [["169.254.169.254"]],
                        "metadata.example.test": [[FAKE_PUBLIC_IP, "169.254.169.254"]],
                        "private.example.test": [["10.0.0.5"]]})
    return guard


def _register(tenant: Tenant, url: str) -> object:
    return tenant.call("POST", "/v1/sessions", {"name": "shop", "webhook_url": url,
                                                "start": False})


def _assert_refused(tenant: Tenant, url: str) -> str:
    error = assert_error(_register(tenant, url), 422, "validation_failed")
    assert [d["field"] for d in error["details"]] == ["webhook_url"], (url, error)
    assert tenant.call("GET", "/v1/sessions").json["items"] == [], url
    return error["details"][0]["message"]


@pytest.mark.parametrize("allowed", [False, True], ids=["private-off", "private-on"])
def test_refused_urls_are_a_422_and_nothing_is_stored(
        acme: Tenant, monkeypatch: pytest.MonkeyPatch, sockets: Sockets, allowed: bool):
    set_private_webhooks(monkeypatch, allowed)
    for url in REFUSED_ALWAYS:
        _assert_refused(acme, url)
    assert sockets.connected == []


def test_loopback_and_private_hooks_need_the_setting(
        acme: Tenant, monkeypatch: pytest.MonkeyPatch, sockets: Sockets):
    set_private_webhooks(monkeypatch, False)
    for url in LOOPBACK_AND_PRIVATE:
        assert _assert_refused(acme, url).startswith("private or reserved address"), url
    set_private_webhooks(monkeypatch, True)
    for url in LOOPBACK_AND_PRIVATE:
        created = _register(acme, url)
        assert created.status_code == 201, (url, created.body)
    assert sockets.connected == []


def test_the_reasons_are_told(acme: Tenant, monkeypatch: pytest.MonkeyPatch):
    set_private_webhooks(monkeypatch, True)
    assert _assert_refused(acme, "http://[::127.0.0.1]/") == (
        "private or reserved address: ::127.0.0.1 (::7f00:1) is an IPv4 address embedded in "
        "IPv6 (mapped, compatible, NAT64, 6to4 or Teredo)")
    assert _assert_refused(acme, "http://metadata.example.test/") == (
        "private or reserved address: metadata.example.test resolves to 169.254.169.254, "
        "which is a cloud metadata address")
    assert _assert_refused(acme, "http://no-such-host.example.test/in") == (
        "unreachable: cannot resolve no-such-host.example.test")
    assert "2048 characters" in _assert_refused(acme, f"https://{HOOK_NAME}/" + "a" * 2040)


def test_a_public_hook_is_stored_as_checked(acme: Tenant, monkeypatch: pytest.MonkeyPatch,
                                            sockets: Sockets):
    set_private_webhooks(monkeypatch, False)
    created = _register(acme, f"https://{HOOK_NAME}/in?tenant=acme")
    assert created.status_code == 201, created.body
    shown = acme.call("GET", f"/v1/sessions/{created.json['id']}").json
    assert shown["webhooks"][0]["url"] == f"https://{HOOK_NAME}/in?tenant=acme"
    assert sockets.lookups == [HOOK_NAME]
    assert sockets.connected == []
