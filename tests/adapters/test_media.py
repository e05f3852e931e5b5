"""Media adapters (``chalicelib.adapters.media``): the SSRF-safe fetcher against a local HTTP
server, base64 decoding, and the S3 store under moto.

No test sends a packet beyond 127.0.0.1: ``sockets`` (autouse) wraps ``socket.socket.connect``,
records every address a test connects to and fails the test on any non-loopback one. The one
test that needs a public-looking first hop resolves a made-up name to a public address and has
that guard send the connection to the local server instead (see ``public_name``).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.media import (
    Fetched,
    S3MediaStore,
    SafeFetcher,
    decode_base64,
    is_public_address,
)
from chalicelib.domain.content import StoredMedia
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from tests.domain.test_media import JPEG, PDF, png

PNG = png()
HUGE_TOTAL = 64 * 1024 * 1024  # what /huge would send if nobody stopped reading
FAKE_PUBLIC_IP = "93.184.215.14"  # what "media.example.test" resolves to in one test
FAKE_PUBLIC_NAME = "media.example.test"


# -- a local file server --------------------------------------------------------------------------


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.release = threading.Event()  # ends /slow's wait at teardown
        self.reset()

    def reset(self) -> None:
        self.paths: list[str] = []
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


# -- the loopback guard ---------------------------------------------------------------------------


class Sockets:
    """The network as the tests let the code see it.

    ``connected``: every address connected to (after ``rewrite``). ``names``: made-up host names
    and their look-up answers in order (the last one repeats); any other name but localhost
    fails to resolve, so no DNS query ever leaves the machine.
    """

    def __init__(self) -> None:
        self.connected: list[str] = []
        self.rewrite: dict[str, str] = {}
        self.names: dict[str, list[list[str]]] = {}


@pytest.fixture(autouse=True)
def sockets(monkeypatch: pytest.MonkeyPatch) -> Sockets:
    record = Sockets()
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        host = str(address[0]).split("%", 1)[0]
        if host in record.rewrite:
            host = record.rewrite[host]
            address = (host, *address[1:])
        record.connected.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"a test tried to connect to {address!r}")
        return real_connect(sock, address)

    def fake_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in record.names:
            answers = record.names[host]
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
            return [_addrinfo(address, port) for address in addresses]
        if host == "localhost":
            return real_getaddrinfo(host, port, *args, **kwargs)
        try:  # IP literals in any form getaddrinfo takes (2130706433, 0x7f.1…): no DNS
            return real_getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                    flags=socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    return record


def _addrinfo(address: str, port: Any) -> tuple[Any, ...]:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))


@pytest.fixture
def public_name(sockets: Sockets) -> Callable[..., None]:
    """FAKE_PUBLIC_NAME resolves to FAKE_PUBLIC_IP, and the guard sends a connection to that
    address to 127.0.0.1: the first hop passes every check as a public host (our look-up and
    requests-hardened's both go through ``socket.getaddrinfo``), yet lands on the local server.

    Call it with look-up answers to change them: ``public_name([public], [private])``.
    """
    sockets.names[FAKE_PUBLIC_NAME] = [[FAKE_PUBLIC_IP]]
    sockets.rewrite[FAKE_PUBLIC_IP] = "127.0.0.1"

    def set_answers(*answers: list[str]) -> None:
        sockets.names[FAKE_PUBLIC_NAME] = list(answers)

    return set_answers


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


# -- fetching: the private network is off limits --------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://127.0.0.1:{port}/photo.png", "http://localhost:{port}/photo.png",
    "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/",
    "http://[::ffff:127.0.0.1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/",
    "http://[fd00:ec2::254]/", "http://10.0.0.1/", "http://192.168.1.1/", "http://0.0.0.0/",
    "http://2130706433/", "http://0x7f.1/", "http://[fec0::1]/", "http://[::7f00:1]/",
    "http://[fe80::1]/", "https://127.0.0.1/",
])
def test_private_and_reserved_addresses_are_refused_before_connecting(
    server: FileServer, sockets: Sockets, url: str,
) -> None:
    message = refused(fetcher(allow_private=False), url.format(port=server.server_address[1]))
    assert message.startswith("private or reserved address")
    assert sockets.connected == []
    assert server.paths == []


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "http://100.64.0.1/",
                                 "http://10.1.2.3/", "http://[fd00:ec2::254]/"])
def test_allow_private_lets_only_loopback_through(sockets: Sockets, url: str) -> None:
    assert refused(fetcher(allow_private=True), url).startswith("private or reserved address")
    assert sockets.connected == []


def test_loopback_works_when_private_is_allowed(server: FileServer, sockets: Sockets) -> None:
    assert fetcher(allow_private=True).fetch(f"{server.base}/photo.png", "m").data == PNG
    assert sockets.connected == ["127.0.0.1"]


def test_a_redirect_from_a_public_host_to_loopback_is_refused(
    server: FileServer, sockets: Sockets, public_name: Callable[..., None],
) -> None:
    port = server.server_address[1]
    message = refused(fetcher(allow_private=False),
                      f"http://{FAKE_PUBLIC_NAME}:{port}/to-loopback")
    assert message.startswith("private or reserved address")
    assert server.paths == ["/to-loopback"]  # the first hop was served, the second never asked
    assert sockets.connected == ["127.0.0.1"]  # that is, FAKE_PUBLIC_IP, rewritten


def test_the_public_first_hop_alone_works(
    server: FileServer, public_name: Callable[..., None],
) -> None:
    port = server.server_address[1]
    got = fetcher(allow_private=False).fetch(f"http://{FAKE_PUBLIC_NAME}:{port}/photo.png", "m")
    assert got.data == PNG


def test_a_redirect_to_the_metadata_service_is_refused_even_with_private_allowed(
    server: FileServer, sockets: Sockets,
) -> None:
    message = refused(fetcher(allow_private=True), f"{server.base}/to-metadata")
    assert message.startswith("private or reserved address")
    assert sockets.connected == ["127.0.0.1"]


@pytest.mark.parametrize("second", ["127.0.0.1", "fec0::1", "::7f00:1", "100.64.0.1"])
def test_dns_rebinding_after_the_check_is_caught_at_connect_time(
    server: FileServer, sockets: Sockets, public_name: Callable[..., None], second: str,
) -> None:
    # First look-up (our check) says public; the next one (requests-hardened's, whose address
    # the connection is pinned to) says private. fec0::1 and ::7f00:1 pass requests-hardened's
    # own filter: only our check on the pinned address stops them.
    public_name([FAKE_PUBLIC_IP], [second])
    port = server.server_address[1]
    message = refused(fetcher(allow_private=False), f"http://{FAKE_PUBLIC_NAME}:{port}/photo.png")
    assert message.startswith("private or reserved address")
    assert sockets.connected == []


def test_a_host_with_any_private_address_is_refused(
    sockets: Sockets, public_name: Callable[..., None],
) -> None:
    public_name([FAKE_PUBLIC_IP, "10.0.0.7"])
    assert refused(fetcher(allow_private=False),
                   f"http://{FAKE_PUBLIC_NAME}/x").startswith("private or reserved address")
    assert sockets.connected == []


def test_address_policy() -> None:
    public = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", FAKE_PUBLIC_IP]
    blocked = ["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254",
               "169.254.170.2", "100.64.0.1", "100.127.255.254", "0.0.0.0", "224.0.0.1",
               "255.255.255.255", "240.0.0.1", "192.0.0.9", "198.18.0.1", "::1", "::",
               "::ffff:127.0.0.1", "::ffff:8.8.8.8", "::7f00:1", "64:ff9b::808:808",
               "64:ff9b:1::1", "2002:808:808::", "2001:0:4136:e378::1", "fc00::1",
               "fd00:ec2::254", "fe80::1", "fec0::1", "ff02::1", "2001:db8::1"]
    for address in public:
        assert is_public_address(ipaddress.ip_address(address)), address
    for address in blocked:
        assert not is_public_address(ipaddress.ip_address(address)), address
    assert is_public_address(ipaddress.ip_address("127.0.0.1"), allow_loopback=True)
    assert is_public_address(ipaddress.ip_address("::1"), allow_loopback=True)
    assert not is_public_address(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)


# -- fetching: schemes, sizes, time, errors ------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/photo.png", "file:///etc/passwd",
                                 "gopher://127.0.0.1:70/", "javascript:alert(1)",
                                 "//127.0.0.1/photo.png", "photo.png"])
def test_only_http_and_https(sockets: Sockets, url: str) -> None:
    assert refused(fetcher(), url).startswith("not http(s)")
    assert sockets.connected == []


def test_a_redirect_to_another_scheme_is_refused(server: FileServer) -> None:
    assert refused(fetcher(), f"{server.base}/to-ftp").startswith("not http(s)")


@pytest.mark.parametrize("url", ["http://", "http:///x", "https://exa mple.com/",
                                 "http://h:99999/", "", "x" * 5000])
def test_malformed_urls(url: str) -> None:
    assert refused(fetcher(), url).startswith(("not a valid URL", "not http(s)"))


def test_a_huge_body_is_dropped_at_the_cap_without_reading_it_all(server: FileServer) -> None:
    cap = 256 * 1024
    started = time.monotonic()
    message = refused(fetcher(max_bytes=cap), f"{server.base}/huge")
    assert message == f"too large: larger than {cap} bytes"
    assert server.huge_done.wait(5)
    assert server.huge_sent < HUGE_TOTAL // 4  # socket buffers hold a few MB at most
    assert time.monotonic() - started < 5


def test_a_declared_length_over_the_cap_is_refused_before_reading(server: FileServer) -> None:
    assert refused(fetcher(max_bytes=len(PNG)), f"{server.base}/declared-huge") == (
        f"too large: larger than {len(PNG)} bytes")


def test_a_slow_server_times_out(server: FileServer) -> None:
    started = time.monotonic()
    message = refused(fetcher(timeout_s=0.3), f"{server.base}/slow")
    assert message.startswith("unreachable") and "0.3s" in message
    assert time.monotonic() - started < 2


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


# -- base64 ---------------------------------------------------------------------------------------


def test_decodes_raw_base64() -> None:
    assert decode_base64(base64.b64encode(PNG).decode(), "media.data", 1 << 20) == (PNG, None)


def test_decodes_a_data_url_with_its_type() -> None:
    url = "data:image/PNG;base64," + base64.b64encode(PNG).decode()
    assert decode_base64(url, "media.data", 1 << 20) == (PNG, "image/png")
    ogg = "data:audio/ogg;codecs=opus;base64," + base64.b64encode(b"OggS").decode()
    assert decode_base64(ogg, "m", 100) == (b"OggS", "audio/ogg")
    assert decode_base64("data:;base64,AAEC", "m", 100) == (b"\x00\x01\x02", None)


def test_tolerates_whitespace_missing_padding_and_the_url_safe_alphabet() -> None:
    data = bytes(range(256))
    wrapped = base64.encodebytes(data).decode()  # 76-character lines
    assert decode_base64(wrapped, "m", 1000)[0] == data
    assert decode_base64(base64.urlsafe_b64encode(data).decode().rstrip("="), "m", 1000)[0] == data
    assert decode_base64(base64.b64encode(data), "m", 1000)[0] == data  # bytes in


@pytest.mark.parametrize(("value", "expected"), [
    ("", "empty"), ("   ", "empty"), ("data:image/png;base64,", "empty"),
    ("not base64!", "not valid base64"), ("QUJD$", "not valid base64"), ("A", "not valid"),
    ("data:image/png,plain-text", "must be base64"), ("data:text/plain;charset=x,hi", "base64"),
])
def test_bad_base64_is_a_422_on_the_field(value: str, expected: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        decode_base64(value, "media.data", 1000)
    assert raised.value.details[0]["field"] == "media.data"
    assert expected in raised.value.details[0]["message"]


def test_oversize_base64_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_decode(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("decoded an oversize payload")

    encoded = base64.b64encode(b"x" * 1001).decode()
    monkeypatch.setattr(base64, "b64decode", must_not_decode)
    with pytest.raises(ValidationFailed, match="larger than 1000 bytes"):
        decode_base64(encoded, "m", 1000)
    with pytest.raises(ValidationFailed, match="larger than 1000 bytes"):
        decode_base64("data:image/png;base64," + encoded, "m", 1000)
    monkeypatch.undo()
    assert len(decode_base64(base64.b64encode(b"x" * 1000).decode(), "m", 1000)[0]) == 1000


# -- S3 -------------------------------------------------------------------------------------------

BUCKET = "wagate-test-media"


@pytest.fixture
def store() -> Iterator[S3MediaStore]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield S3MediaStore(s3, BUCKET)


def test_put_stores_under_the_tenant_encrypted_and_typed(store: S3MediaStore) -> None:
    media = store.put("tenantA", "01JMSG", PNG, "image/png", "../../Holiday photo.png")
    assert media == StoredMedia(key="media/tenantA/01JMSG/Holiday_photo.png",
                                mime_type="image/png", size=len(PNG),
                                sha256=hashlib.sha256(PNG).hexdigest(),
                                filename="Holiday_photo.png")
    head = store._s3.head_object(Bucket=BUCKET, Key=media.key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "image/png"
    assert head["ContentLength"] == len(PNG)
    assert head["Metadata"]["sha256"] == media.sha256


def test_get_returns_the_bytes_for_the_owner(store: S3MediaStore) -> None:
    media = store.put("tenantA", "01JMSG", PDF, "application/pdf", None)
    assert media.key == "media/tenantA/01JMSG/file" and media.filename is None
    assert store.get(media, "tenantA") == PDF


def test_another_tenant_can_neither_read_nor_link(store: S3MediaStore) -> None:
    media = store.put("tenantA", "01JMSG", PNG, "image/png", "p.png")
    with pytest.raises(Forbidden):
        store.get(media, "tenantB")
    with pytest.raises(Forbidden):
        store.presigned_url(media, "tenantB")
    with pytest.raises(Forbidden):
        store.get(media, "tenant")  # a prefix of the owner's id is another tenant


@pytest.mark.parametrize("key", ["media/tenantB/../tenantA/01JMSG/p.png",
                                 "media/tenantB/01JMSG/../../tenantA/x/p.png",
                                 "tenantB/01JMSG/p.png", "media/tenantB/p.png",
                                 "media/tenantB//p.png", "media/tenantB/01JMSG/a/b.png"])
def test_keys_outside_the_tenants_prefix_are_refused(store: S3MediaStore, key: str) -> None:
    forged = StoredMedia(key=key, mime_type="image/png", size=1, sha256="0" * 64)
    with pytest.raises(Forbidden):
        store.get(forged, "tenantB")


def test_a_missing_object_is_not_found(store: S3MediaStore) -> None:
    gone = StoredMedia(key="media/tenantA/01JMSG/x.png", mime_type="image/png", size=1,
                       sha256="0" * 64)
    with pytest.raises(NotFound):
        store.get(gone, "tenantA")


def test_presigned_url_expires(store: S3MediaStore) -> None:
    media = store.put("tenantA", "01JMSG", PNG, "image/png", "p.png")
    url = store.presigned_url(media, "tenantA")
    parts = urlsplit(url)
    assert parts.scheme == "https"
    assert parts.path.endswith("/media/tenantA/01JMSG/p.png")
    assert parse_qs(parts.query)["X-Amz-Expires"] == ["300"]
    assert "X-Amz-Signature" in parse_qs(parts.query)
    longer = store.presigned_url(media, "tenantA", expires_s=3600)
    assert parse_qs(urlsplit(longer).query)["X-Amz-Expires"] == ["3600"]
    with pytest.raises(ValueError, match="expires_s"):
        store.presigned_url(media, "tenantA", expires_s=0)
