"""The one SSRF policy (``chalicelib.adapters.safe_fetch``) and its three ways out: the URL
check (webhook registration), the media/preview fetcher and the webhook POST.

No test sends a packet beyond 127.0.0.1: ``sockets`` (autouse) wraps ``socket.socket.connect``,
records every address the code connects to and fails the test on any non-loopback one, and
answers look-ups of made-up names itself (no DNS query leaves the machine). Tests that need a
public or private first hop resolve a made-up name to such an address and have the guard send
the connection to the local server instead (``sockets.rewrite``).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import hypothesis.strategies as st
import pytest
import requests
from hypothesis import HealthCheck, given, settings

from chalicelib.adapters.safe_fetch import (
    MAX_WEBHOOK_URL_LENGTH,
    Fetched,
    SafeFetcher,
    Target,
    UrlChecker,
    _PinnedAdapter,
    address_refusal,
    is_allowed_address,
    parse_ipv4,
)
from chalicelib.adapters.webhook_http import SafeWebhookSender
from chalicelib.domain.errors import ValidationFailed
from tests.conftest import static_site
from tests.domain.test_media import JPEG, PDF, png

PNG = png()
HUGE_TOTAL = 64 * 1024 * 1024  # what /huge would send if nobody stopped reading
FAKE_PUBLIC_IP = "93.184.215.14"  # what "media.example.test" resolves to in some tests
FAKE_PUBLIC_NAME = "media.example.test"


# -- the loopback guard (also used by the worker and API tests) ----------------------------------


class Sockets:
    """The network as the tests let the code see it.

    ``connected``: every address the code connected to (before ``rewrite``). ``lookups``: every
    name looked up. ``names``: made-up host names and their look-up answers in order (the last
    one repeats); any other name but localhost fails to resolve.
    """

    def __init__(self) -> None:
        self.connected: list[str] = []
        self.lookups: list[str] = []
        self.rewrite: dict[str, str] = {}
        self.names: dict[str, list[list[str]]] = {}


def guard_sockets(monkeypatch: pytest.MonkeyPatch) -> Sockets:
    """Patch ``socket`` so that nothing connects beyond loopback and no DNS query is sent."""
    record = Sockets()
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        host = str(address[0]).split("%", 1)[0]
        record.connected.append(host)
        if host in record.rewrite:
            address = (record.rewrite[host], *address[1:])
        if not ipaddress.ip_address(str(address[0])).is_loopback:
            raise AssertionError(f"a test tried to connect to {address!r}")
        return real_connect(sock, address)

    def fake_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in record.names:
            record.lookups.append(host)
            answers = record.names[host]
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
            return [_addrinfo(address, port) for address in addresses]
        if host == "localhost":
            record.lookups.append(host)
            return real_getaddrinfo(host, port, *args, **kwargs)
        try:  # IP literals: no DNS
            return real_getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                    flags=socket.AI_NUMERICHOST)
        except socket.gaierror:
            record.lookups.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return record


def _addrinfo(address: str, port: Any) -> tuple[Any, ...]:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))


@pytest.fixture(autouse=True)
def sockets(monkeypatch: pytest.MonkeyPatch) -> Sockets:
    return guard_sockets(monkeypatch)


@pytest.fixture
def public_name(sockets: Sockets) -> Callable[..., None]:
    """FAKE_PUBLIC_NAME resolves to FAKE_PUBLIC_IP, and the guard sends a connection to that
    address to 127.0.0.1: the first hop passes every check as a public host, yet lands on the
    local server. Call it with look-up answers to change them: ``public_name([a], [b])``."""
    sockets.names[FAKE_PUBLIC_NAME] = [[FAKE_PUBLIC_IP]]
    sockets.rewrite[FAKE_PUBLIC_IP] = "127.0.0.1"

    def set_answers(*answers: list[str]) -> None:
        sockets.names[FAKE_PUBLIC_NAME] = list(answers)

    return set_answers


# -- a local file server --------------------------------------------------------------------------


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.release = threading.Event()  # ends /slow's wait at teardown
        self.reset()

    def reset(self) -> None:
        self.paths: list[str] = []
        self.hosts: list[str] = []
        self.bodies: list[bytes] = []
        self.huge_sent = 0
        self.huge_done = threading.Event()
        self.release.clear()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
        # else: a client the test gave up on (the timeout test's) hung up: expected

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def port(self) -> int:
        return self.server_address[1]


class Handler(BaseHTTPRequestHandler):
    server: FileServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.server.hosts.append(self.headers.get("Host", ""))
        path = urlsplit(self.path).path
        if path == "/photo.png":
            self._send(200, PNG, {"Content-Type": "image/png"})
        elif path == "/download":
            self._send(200, PDF, {"Content-Type": "application/pdf; charset=binary",
                                  "Content-Disposition":
                                      "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20v2.pdf"})
        elif path == "/lying.png":
            self._send(200, JPEG, {"Content-Type": "image/png"})
        elif path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/photo.png" if left <= 1 else f"/redirect/{left - 1}"
            self._send(302, headers={"Location": target})
        elif path == "/relative":
            self._send(301, headers={"Location": "photo.png"})
        elif path == "/to-loopback":
            self._send(302, headers={"Location": f"{self.server.base}/photo.png"})
        elif path == "/to-metadata":
            self._send(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-decimal-metadata":
            self._send(302, headers={"Location": "http://2852039166/latest/meta-data/"})
        elif path == "/to-credentials":
            self._send(302, headers={"Location": "http://user:pw@127.0.0.1/photo.png"})
        elif path == "/to-ftp":
            self._send(302, headers={"Location": "ftp://127.0.0.1/photo.png"})
        elif path == "/slow":
            self.server.release.wait(5)
            self._send(200, PNG)
        elif path == "/huge":
            self._stream_huge()
        elif path == "/declared-huge":
            self._send(200, PNG, {"Content-Length": str(HUGE_TOTAL)})
        elif path == "/empty":
            self._send(200, b"")
        elif path == "/not-modified":
            self._send(304)
        elif path == "/boom":
            self._send(500, b"oops")
        else:
            self._send(404, b"not here")

    def do_POST(self) -> None:
        self.server.paths.append(self.path)
        self.server.hosts.append(self.headers.get("Host", ""))
        self.server.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        if self.path == "/hook":
            self._send(204)
        elif self.path == "/hook-moved":
            self._send(307, headers={"Location": "/hook"})
        elif self.path == "/hook-huge":
            self._stream_huge()
        else:
            self._send(404)

    def _stream_huge(self) -> None:
        """Send up to 64 MB with no Content-Length, counting what the client took."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        chunk = b"\0" * 65536
        try:
            while self.server.huge_sent < HUGE_TOTAL:
                self.wfile.write(chunk)
                self.server.huge_sent += len(chunk)
        except OSError:
            pass  # the client hung up: what we want
        finally:
            self.server.huge_done.set()


@pytest.fixture(scope="module")
def running_server() -> Iterator[FileServer]:
    srv = FileServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def server(running_server: FileServer) -> Iterator[FileServer]:
    """The module's server, with this test's records only."""
    running_server.reset()
    yield running_server
    running_server.release.set()  # let a /slow handler finish now


# -- the three ways out ---------------------------------------------------------------------------


def fetcher(allow_private: bool = True, **kwargs: Any) -> SafeFetcher:
    options: dict[str, Any] = {"timeout_s": 2.0, "max_bytes": 1024 * 1024} | kwargs
    return SafeFetcher(options.pop("timeout_s"), options.pop("max_bytes"), allow_private,
                       **options)


def refused(fetch: SafeFetcher, url: str, field: str = "media.url") -> str:
    """The 422 message ``fetch`` gives for ``url`` (the field must be named)."""
    with pytest.raises(ValidationFailed) as raised:
        fetch.fetch(url, field)
    error = raised.value
    assert error.status == 422 and error.details[0]["field"] == field
    return error.details[0]["message"]


def _check(url: str, allow_private: bool) -> Any:
    return UrlChecker(allow_private, MAX_WEBHOOK_URL_LENGTH).check(url, "webhook_url")


def _fetch(url: str, allow_private: bool) -> Any:
    return fetcher(allow_private).fetch(url, "webhook_url")


def _post(url: str, allow_private: bool) -> Any:
    return SafeWebhookSender(2.0, allow_private).post(url, b"{}", {})


WAYS: dict[str, Callable[[str, bool], Any]] = {"check": _check, "fetch": _fetch, "post": _post}


def refusal(way: str, url: str, allow_private: bool) -> str:
    """The 422 message one way out gives for ``url``, always on the field it was given."""
    with pytest.raises(ValidationFailed) as raised:
        WAYS[way](url, allow_private)
    assert raised.value.status == 422
    assert raised.value.details[0]["field"] == "webhook_url"
    return raised.value.details[0]["message"]


# -- every encoding, refused before any socket connects, with the setting on and off ------------

ALWAYS_REFUSED_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",  # decimal
    "http://0251.0376.0251.0376/",  # octal
    "http://0xa9fea9fe/",  # hex
    "http://0xA9.0xFE.0xA9.0xFE/",  # dotted hex, upper case
    "http://169.254.43518/",  # short form
    "http://169.16689662/",
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::169.254.169.254]/",  # IPv4-compatible
    "http://[::127.0.0.1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:0:127.0.0.1]/",  # IPv4-translated (SIIT)
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://[64:ff9b::127.0.0.1]/",
    "http://[64:ff9b:1::a9fe:a9fe]/",  # local-use NAT64
    "http://[2002:a9fe:a9fe::1]/",  # 6to4
    "http://[2002:7f00:1::]/",
    "http://[2001:0:4136:e378:8000:63bf:5601:5601]/",  # Teredo
    "http://[fe80::1%25eth0]/",  # zone ids
    "http://[::1%25lo]/",
    "http://169.254.169.254./",  # trailing dot
    "http://0xa9fea9fe./",
    "http://example.com@169.254.169.254/",  # userinfo tricks
    "http://127.0.0.1:80@169.254.169.254/",
    "http://169.254.169.254\\@example.com/",
    "http://169.254.170.2/v2/credentials",  # ECS task metadata
    "http://[fd00:ec2::254]/",  # EC2 metadata over IPv6
    "http://169.254.1.1/", "http://[fe80::1]/",  # link-local
    "http://0.0.0.0/", "http://0/", "http://[::]/", "http://0.1.2.3/",  # unspecified
    "http://100.64.0.1/", "http://100.127.255.254/",  # CGNAT
    "http://224.0.0.1/", "http://[ff02::1]/",  # multicast
    "http://240.0.0.1/", "http://255.255.255.255/", "http://[fec0::1]/",  # reserved
    "http://192.0.0.9/", "http://198.18.0.1/", "http://[2001:db8::1]/",  # special purpose
    "http://\uff11\uff16\uff19.\uff12\uff15\uff14.\uff11\uff16\uff19.\uff12\uff15\uff14/",  # IDNA
    "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/",  # circled "localhost"
    "http://1.2.3.4.5/", "http://256.1.1.1/", "http://1.2.3.09/",  # not IPv4, not a name
    "ftp://127.0.0.1/", "file:///etc/passwd", "gopher://127.0.0.1:70/", "javascript:alert(1)",
    "//127.0.0.1/", "127.0.0.1", "",
]
# Made-up names (resolved by the guard, never by DNS) and what they resolve to.
NAMES = {
    "metadata.example.test": ["169.254.169.254"],
    "mixed.example.test": [FAKE_PUBLIC_IP, "169.254.169.254"],
    "mapped.example.test": ["::ffff:127.0.0.1"],
    "compat.example.test": ["::7f00:1"],
    "nat64.example.test": ["64:ff9b::a9fe:a9fe"],
    "linklocal.example.test": ["fe80::1"],
    "xn--bcher-kva.example.test": ["169.254.169.254"],  # bücher.example.test
    "private.example.test": ["10.0.0.5"],
    "loopback.example.test": ["127.0.0.1", "::1"],
}
ALWAYS_REFUSED_NAMES = ["http://metadata.example.test/", "http://mixed.example.test/",
                        "http://mapped.example.test/", "http://compat.example.test/",
                        "http://nat64.example.test/", "http://linklocal.example.test/",
                        "http://bücher.example.test/", "http://no-such-host.example.test/"]
PRIVATE_URLS = ["http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f.1/",
                "http://[::1]/", "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/",
                "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://localhost/",
                "http://private.example.test/", "http://loopback.example.test/"]


@pytest.fixture
def names(sockets: Sockets) -> Sockets:
    for name, addresses in NAMES.items():
        sockets.names[name] = [addresses]
    return sockets


@pytest.mark.parametrize("allow_private", [False, True], ids=["private-off", "private-on"])
@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("url", ALWAYS_REFUSED_URLS + ALWAYS_REFUSED_NAMES)
def test_every_encoding_is_refused_before_any_socket_connects(
    names: Sockets, way: str, allow_private: bool, url: str,
) -> None:
    message = refusal(way, url, allow_private)
    assert message.startswith(("private or reserved address", "not a valid URL", "not http(s)",
                               "unreachable: cannot resolve")), message
    assert names.connected == []


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_loopback_and_private_ranges_are_refused_with_the_setting_off(
    names: Sockets, way: str, url: str,
) -> None:
    assert refusal(way, url, False).startswith("private or reserved address")
    assert names.connected == []


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_loopback_and_private_ranges_pass_the_check_with_the_setting_on(
    names: Sockets, url: str,
) -> None:
    assert _check(url, True).startswith("http://")
    assert names.connected == []


def test_the_refusal_says_why() -> None:
    assert refusal("check", "http://2852039166/", True) == (
        "private or reserved address: 2852039166 (169.254.169.254) is a cloud metadata address")
    assert refusal("check", "http://[::127.0.0.1]/", True) == (
        "private or reserved address: ::127.0.0.1 (::7f00:1) is an IPv4 address embedded in "
        "IPv6 (mapped, compatible, NAT64, 6to4 or Teredo)")
    assert refusal("check", "http://10.0.0.1/", False) == (
        "private or reserved address: 10.0.0.1 is private")


def test_a_name_is_refused_if_any_of_its_addresses_is(names: Sockets) -> None:
    assert refusal("check", "http://mixed.example.test/", True) == (
        "private or reserved address: mixed.example.test resolves to 169.254.169.254, which "
        "is a cloud metadata address")


@pytest.mark.parametrize("way", ["fetch", "post"])
def test_loopback_is_reached_only_with_the_setting_on(sockets: Sockets, way: str) -> None:
    with static_site({"/page": (b"hello", "text/plain")}) as base:
        port = urlsplit(base).port
        urls = (f"{base}/page", f"http://127.1:{port}/page", f"http://2130706433:{port}/page",
                f"http://localhost:{port}/page")
        for url in urls:
            assert refusal(way, url, False).startswith("private or reserved address")
        assert sockets.connected == []
        for url in urls:
            answer = WAYS[way](url, True)
            # static_site serves GET only: a POST is answered 501, which proves it arrived
            assert (answer if way == "fetch" else answer[0]) == (
                Fetched(b"hello", "text/plain", "page") if way == "fetch" else 501)
    assert sockets.connected == ["127.0.0.1"] * 4


def test_a_private_address_is_connected_to_with_the_setting_on(
    server: FileServer, sockets: Sockets,
) -> None:
    sockets.names["private.example.test"] = [["10.0.0.5"]]
    sockets.rewrite["10.0.0.5"] = "127.0.0.1"
    url = f"http://private.example.test:{server.port}/photo.png"
    assert refused(fetcher(allow_private=False), url).startswith("private or reserved address")
    assert sockets.connected == []
    assert fetcher(allow_private=True).fetch(url, "m").data == PNG
    assert sockets.connected == ["10.0.0.5"]  # the checked address, rewritten to loopback
    assert server.hosts == [f"private.example.test:{server.port}"]


# -- connect only to the checked address ----------------------------------------------------------


def test_the_name_is_resolved_once_and_the_checked_address_is_used(
    server: FileServer, sockets: Sockets, public_name: Callable[..., None],
) -> None:
    # A second look-up would say loopback (DNS rebinding): it never happens.
    public_name([FAKE_PUBLIC_IP], ["127.0.0.1"])
    got = fetcher(allow_private=False).fetch(f"http://{FAKE_PUBLIC_NAME}:{server.port}/photo.png",
                                             "m")
    assert got.data == PNG
    assert sockets.lookups == [FAKE_PUBLIC_NAME]
    assert sockets.connected == [FAKE_PUBLIC_IP]
    assert server.hosts == [f"{FAKE_PUBLIC_NAME}:{server.port}"]  # Host keeps the name


def test_the_pinned_connection_refuses_any_other_host() -> None:
    adapter = _PinnedAdapter(Target("http://a.example.test/", "a.example.test", 80,
                                    ipaddress.ip_address(FAKE_PUBLIC_IP)))
    request = requests.Request("GET", "http://b.example.test/").prepare()
    with pytest.raises(requests.RequestException, match="not the checked target"):
        adapter.build_connection_pool_key_attributes(request, True)
    other_port = requests.Request("GET", "http://a.example.test:8080/").prepare()
    with pytest.raises(requests.RequestException, match="not the checked target"):
        adapter.build_connection_pool_key_attributes(other_port, True)
    same = requests.Request("GET", "http://a.example.test/x").prepare()
    host_params, _ = adapter.build_connection_pool_key_attributes(same, True)
    assert host_params["host"] == FAKE_PUBLIC_IP and same.headers["Host"] == "a.example.test"


def test_https_keeps_the_name_for_sni_and_the_certificate() -> None:
    ip = ipaddress.ip_address("2606:4700::1")
    adapter = _PinnedAdapter(Target("https://a.example.test/", "a.example.test", 443, ip))
    request = requests.Request("GET", "https://a.example.test/").prepare()
    host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(request, True)
    assert host_params["host"] == "[2606:4700::1]"
    assert pool_kwargs["server_hostname"] == pool_kwargs["assert_hostname"] == "a.example.test"


# -- redirects: media re-check every hop, webhooks never follow -----------------------------------


def test_a_redirect_from_a_public_host_to_loopback_is_refused(
    server: FileServer, sockets: Sockets, public_name: Callable[..., None],
) -> None:
    message = refused(fetcher(allow_private=False),
                      f"http://{FAKE_PUBLIC_NAME}:{server.port}/to-loopback")
    assert message.startswith("private or reserved address")
    assert server.paths == ["/to-loopback"]  # the first hop was served, the second never asked
    assert sockets.connected == [FAKE_PUBLIC_IP]


@pytest.mark.parametrize("path", ["/to-metadata", "/to-decimal-metadata"])
def test_a_redirect_to_the_metadata_service_is_refused_even_with_private_allowed(
    server: FileServer, sockets: Sockets, path: str,
) -> None:
    message = refused(fetcher(allow_private=True), f"{server.base}{path}")
    assert message.startswith("private or reserved address")
    assert sockets.connected == ["127.0.0.1"]


def test_a_redirect_with_credentials_is_refused(server: FileServer) -> None:
    assert "credentials" in refused(fetcher(), f"{server.base}/to-credentials")


def test_a_redirect_to_another_scheme_is_refused(server: FileServer) -> None:
    assert refused(fetcher(), f"{server.base}/to-ftp").startswith("not http(s)")


def test_webhooks_post_and_never_follow_redirects(server: FileServer) -> None:
    sender = SafeWebhookSender(2.0, allow_private=True)
    assert sender.post(f"{server.base}/hook", b'{"a":1}', {"webhook-id": "e1"})[0] == 204
    assert sender.post(f"{server.base}/hook-moved", b"{}", {})[0] == 307
    assert server.paths == ["/hook", "/hook-moved"]
    assert server.bodies == [b'{"a":1}', b"{}"]


def test_only_the_first_kilobyte_of_a_webhook_answer_is_read(server: FileServer) -> None:
    sender = SafeWebhookSender(2.0, allow_private=True)
    status, head = sender.post(f"{server.base}/hook-huge", b"{}", {})
    assert status == 200 and len(head) == 1024
    assert server.huge_done.wait(5)
    assert server.huge_sent < HUGE_TOTAL // 4


def test_webhooks_need_https_unless_private_addresses_are_allowed() -> None:
    checker = UrlChecker(False, MAX_WEBHOOK_URL_LENGTH, https_only=True)
    with pytest.raises(ValidationFailed) as refused_:
        checker.check("http://93.184.215.14/hook", "url")
    assert refused_.value.details[0] == {"field": "url",
                                         "message": "not https: webhooks need an https:// URL"}
    assert checker.check("https://93.184.215.14/hook", "url") == "https://93.184.215.14/hook"


def test_a_webhook_url_longer_than_2048_characters_is_refused() -> None:
    url = "http://127.0.0.1/" + "a" * (MAX_WEBHOOK_URL_LENGTH - len("http://127.0.0.1/") + 1)
    assert refusal("check", url, True) == "not a valid URL: longer than 2048 characters"
    assert _check(url[:-1], True) == url[:-1]


# -- the address policy and its property ----------------------------------------------------------


def test_address_policy() -> None:
    public = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", FAKE_PUBLIC_IP]
    private = ["127.0.0.1", "127.255.0.9", "::1", "10.0.0.1", "172.16.0.1", "172.31.255.254",
               "192.168.0.1", "fc00::1", "fd00::1"]
    never = ["169.254.169.254", "169.254.170.2", "169.254.0.1", "fe80::1", "fd00:ec2::254",
             "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "::", "224.0.0.1",
             "ff02::1", "255.255.255.255", "240.0.0.1", "192.0.0.9", "198.18.0.1",
             "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::7f00:1", "::808:808", "64:ff9b::808:808",
             "64:ff9b:1::1", "2002:808:808::", "2001:0:4136:e378::1", "fec0::1", "2001:db8::1",
             "192.88.99.1", "::ffff:0:808:808"]
    for address in public:
        assert is_allowed_address(ipaddress.ip_address(address)), address
        assert is_allowed_address(ipaddress.ip_address(address), allow_private=True), address
    for address in private:
        assert not is_allowed_address(ipaddress.ip_address(address)), address
        assert is_allowed_address(ipaddress.ip_address(address), allow_private=True), address
    for address in never:
        assert not is_allowed_address(ipaddress.ip_address(address)), address
        assert not is_allowed_address(ipaddress.ip_address(address), allow_private=True), address


REFUSED_IPV4 = [ipaddress.IPv4Network(net) for net in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
    "100.64.0.0/10", "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "192.0.0.0/24", "198.18.0.0/15")]


def _in_network(net: ipaddress.IPv4Network) -> st.SearchStrategy[ipaddress.IPv4Address]:
    return st.integers(int(net.network_address), int(net.broadcast_address)).map(
        ipaddress.IPv4Address)


refused_ipv4 = st.sampled_from(REFUSED_IPV4).flatmap(_in_network)
any_bits = st.integers(0, (1 << 80) - 1)


def _embed(form: str, a: ipaddress.IPv4Address, bits: int) -> ipaddress.IPv6Address:
    """``a`` inside an IPv6 address in one of the forms that carry an IPv4 address."""
    v4 = int(a)
    value = {
        "mapped": (0xFFFF << 32) | v4,
        "compatible": v4,
        "translated": (0xFFFF << 48) | v4,
        "nat64": (0x64FF9B << 96) | v4,
        "nat64-local": (0x64FF9B0001 << 80) | ((bits & 0xFFFF) << 32) | v4,
        "6to4": (0x2002 << 112) | (v4 << 80) | bits,
        "teredo": (0x20010000 << 96) | ((bits & ((1 << 64) - 1)) << 32) | (v4 ^ 0xFFFFFFFF),
    }[form]
    return ipaddress.IPv6Address(value)


FORMS = ["mapped", "compatible", "translated", "nat64", "nat64-local", "6to4", "teredo"]
property_settings = settings(max_examples=300, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


@property_settings
@given(a=refused_ipv4, form=st.sampled_from(FORMS), bits=any_bits, allow_private=st.booleans())
def test_every_ipv6_form_of_a_refused_ipv4_address_is_refused(
    sockets: Sockets, a: ipaddress.IPv4Address, form: str, bits: int, allow_private: bool,
) -> None:
    ip = _embed(form, a, bits)
    assert address_refusal(ip, allow_private) is not None, ip
    with pytest.raises(ValidationFailed, match="private or reserved address"):
        UrlChecker(allow_private).check(f"http://[{ip}]:8080/x", "u")
    assert sockets.connected == []


@property_settings
@given(a=st.integers(0, (1 << 32) - 1).map(ipaddress.IPv4Address), form=st.sampled_from(FORMS),
       bits=any_bits, allow_private=st.booleans())
def test_any_ipv4_address_embedded_in_ipv6_is_refused(
    a: ipaddress.IPv4Address, form: str, bits: int, allow_private: bool,
) -> None:
    embedded = _embed(form, a, bits)
    loopback = embedded == ipaddress.IPv6Address("::1")  # "compatible" 0.0.0.1 is loopback
    refused = address_refusal(embedded, allow_private) is not None
    assert refused == (not (loopback and allow_private))


def _spellings(a: ipaddress.IPv4Address) -> list[str]:
    b = a.packed
    v = int(a)
    return [str(a), str(v), hex(v), ".".join(f"0{x:o}" for x in b), ".".join(hex(x) for x in b),
            f"{b[0]}.{b[1]}.{int.from_bytes(b[2:], 'big')}",
            f"{b[0]}.{int.from_bytes(b[1:], 'big')}", f"{a}."]


@property_settings
@given(a=st.sampled_from([net for net in REFUSED_IPV4 if not any(
    net.subnet_of(p) for p in map(ipaddress.IPv4Network, (
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")))]).flatmap(_in_network),
       allow_private=st.booleans())
def test_every_spelling_of_a_never_allowed_ipv4_address_is_refused(
    sockets: Sockets, a: ipaddress.IPv4Address, allow_private: bool,
) -> None:
    for spelling in _spellings(a):
        assert parse_ipv4(spelling) == a, spelling
        with pytest.raises(ValidationFailed, match="private or reserved address"):
            UrlChecker(allow_private).check(f"http://{spelling}/", "u")
    assert sockets.connected == []


# -- fetching: what works -------------------------------------------------------------------------


def test_fetches_a_file_with_its_type_and_name(server: FileServer) -> None:
    got = fetcher().fetch(f"{server.base}/photo.png", "media.url")
    assert got == Fetched(PNG, "image/png", "photo.png")


def test_the_name_comes_from_content_disposition(server: FileServer) -> None:
    got = fetcher().fetch(f"{server.base}/download?sig=abc", "media.url")
    assert got.data == PDF
    assert got.content_type == "application/pdf"
    assert got.filename == "résumé_v2.pdf"


def test_follows_up_to_three_redirects_relative_ones_too(server: FileServer) -> None:
    assert fetcher().fetch(f"{server.base}/redirect/3", "m").data == PNG
    assert fetcher().fetch(f"{server.base}/relative", "m").data == PNG
    assert server.paths[:4] == ["/redirect/3", "/redirect/2", "/redirect/1", "/photo.png"]


def test_a_fourth_redirect_is_refused(server: FileServer) -> None:
    assert "more than 3 redirects" in refused(fetcher(), f"{server.base}/redirect/4")
    assert "/photo.png" not in server.paths


def test_a_file_of_exactly_max_bytes_is_fine(server: FileServer) -> None:
    assert fetcher(max_bytes=len(PNG)).fetch(f"{server.base}/photo.png", "m").data == PNG


# -- fetching: schemes, sizes, time, errors ------------------------------------------------------


@pytest.mark.parametrize("url", ["http://", "http:///x", "https://exa mple.com/",
                                 "http://h:99999/", "", "x" * 5000])
def test_malformed_urls(url: str) -> None:
    assert refused(fetcher(), url).startswith(("not a valid URL", "not http(s)"))


def test_a_huge_body_is_dropped_at_the_cap_without_reading_it_all(server: FileServer) -> None:
    cap = 256 * 1024
    message = refused(fetcher(max_bytes=cap), f"{server.base}/huge")
    assert message == f"too large: larger than {cap} bytes"
    assert server.huge_done.wait(5)
    assert server.huge_sent < HUGE_TOTAL // 4  # socket buffers hold a few MB at most


def test_a_declared_length_over_the_cap_is_refused_before_reading(server: FileServer) -> None:
    assert refused(fetcher(max_bytes=len(PNG)), f"{server.base}/declared-huge") == (
        f"too large: larger than {len(PNG)} bytes")


def test_a_slow_server_times_out(server: FileServer) -> None:
    message = refused(fetcher(timeout_s=0.3), f"{server.base}/slow")
    assert message.startswith("unreachable") and "0.3s" in message


@pytest.mark.parametrize(("path", "expected"), [
    ("/missing", "unreachable: 127.0.0.1 answered HTTP 404"),
    ("/boom", "unreachable: 127.0.0.1 answered HTTP 500"),
    ("/not-modified", "unreachable: 127.0.0.1 answered HTTP 304 without a file"),
    ("/empty", "unreachable: the URL returned an empty body"),
])
def test_http_errors_say_what_happened(server: FileServer, path: str, expected: str) -> None:
    assert refused(fetcher(), f"{server.base}{path}") == expected


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        message = refused(fetcher(), f"http://127.0.0.1:{port}/x")
    assert message == "unreachable: cannot connect to 127.0.0.1"


def test_an_unknown_host_is_unreachable(sockets: Sockets) -> None:
    message = refused(fetcher(allow_private=False), "http://no-such-host.invalid/x")
    assert message == "unreachable: cannot resolve no-such-host.invalid"
    assert sockets.connected == []


def test_the_content_type_is_passed_on_not_trusted(server: FileServer) -> None:
    got = fetcher().fetch(f"{server.base}/lying.png", "m")
    assert (got.data, got.content_type) == (JPEG, "image/png")  # sniff_mime decides later

