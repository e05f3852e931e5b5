"""The one SSRF policy: every request wagate makes to a URL someone else chose (media
downloads, link previews, webhook deliveries) goes through this module.

- :func:`address_refusal` decides which addresses may be reached: global unicast addresses;
  loopback and private ranges (127/8, ::1, 10/8, 172.16/12, 192.168/16, fc00::/7) only with
  ``allow_private`` (``WAGATE_ALLOW_PRIVATE_WEBHOOKS``); link-local, cloud metadata,
  unspecified, CGNAT, multicast, reserved, and IPv6 forms that embed an IPv4 address
  (mapped, compatible, NAT64, 6to4, Teredo) never.
- :class:`UrlChecker` parses a URL as requests will send it (http(s) only, no credentials,
  bounded length, IPv4 in every spelling ``inet_aton`` and browsers accept, IDNA names),
  resolves its host once (every A and AAAA address) and refuses it if any address is refused.
- :class:`_PinnedAdapter` connects to the address that was checked, never to a fresh look-up
  (so DNS rebinding gains nothing); the Host header, SNI and certificate check keep the name.
- :class:`SafeClient` sends one request that way (never following redirects);
  :class:`SafeFetcher` downloads a file, checking each redirect like the first URL.

requests-hardened, which did this before, checks only the first address a name resolves to,
resolves again to connect, and can open loopback but not private ranges; its list of extra
blocked ranges is still used here.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any, NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.media import safe_filename

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 4096  # media and preview URLs (presigned links run long)
MAX_WEBHOOK_URL_LENGTH = 2048


def _nets(*cidrs: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


_EMBEDDED = "an IPv4 address embedded in IPv6 (mapped, compatible, NAT64, 6to4 or Teredo)"
# Refused always, checked first (so nothing inside them is ever "private and allowed").
METADATA = _nets("169.254.169.254/32", "169.254.170.2/32", "fd00:ec2::254/128")
_ALWAYS_REFUSED: tuple[tuple[str, tuple[Network, ...]], ...] = (
    ("a cloud metadata address", METADATA),
    (_EMBEDDED, _nets("::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48",
                      "2002::/16", "2001::/32")),
    ("unspecified (0.0.0.0/8, ::)", _nets("0.0.0.0/8", "::/128")),
    ("link-local", _nets("169.254.0.0/16", "fe80::/10")),
    ("carrier-grade NAT", _nets("100.64.0.0/10")),
    ("multicast", _nets("224.0.0.0/4", "ff00::/8")),
    ("reserved", _nets("240.0.0.0/4", "fec0::/10")),
)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # ::a.b.c.d; ::1 and :: are handled apart
# Opened by allow_private, refused otherwise.
PRIVATE = _nets("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                "fc00::/7")
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$")
_IPV4_PART = re.compile(r"^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$")
_DIGITS = re.compile(r"^[0-9]+$")


def _within(ip: IPAddress, networks: tuple[Network, ...]) -> bool:
    return any(ip.version == net.version and ip in net for net in networks)


def address_refusal(ip: IPAddress, allow_private: bool = False) -> str | None:
    """Why ``ip`` may not be reached (``"link-local"``, ``"private"``, …), or None if it may."""
    for reason, networks in _ALWAYS_REFUSED:
        if _within(ip, networks):
            return reason
    if _within(ip, PRIVATE):
        return None if allow_private else ("loopback" if ip.is_loopback else "private")
    if _within(ip, (_IPV4_COMPATIBLE,)):
        return _EMBEDDED
    if not ip.is_global or _within(ip, EXTRA_BLOCKED_NET_RANGES):
        return "not on the public internet"
    return None


def is_allowed_address(ip: IPAddress, allow_private: bool = False) -> bool:
    """Whether an outbound request may reach ``ip`` (see :func:`address_refusal`)."""
    return address_refusal(ip, allow_private) is None


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` as an IPv4 address in any spelling browsers and ``inet_aton`` accept
    (``2852039166``, ``0251.0376.0251.0376``, ``0xa9fea9fe``, ``169.254.43518``, a trailing
    dot); None if it is a name. ValueError if it ends in a number but is no valid address."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not _IPV4_PART.match(parts[-1]) and not _DIGITS.match(parts[-1]):
        return None
    if len(parts) > 4 or not all(_IPV4_PART.match(part) for part in parts):
        raise ValueError(f"invalid IPv4 address: {host}")
    numbers = [_ipv4_number(part) for part in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError(f"invalid IPv4 address: {host}")
    value = numbers[-1] + sum(n << (8 * (3 - i)) for i, n in enumerate(numbers[:-1]))
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part[1:], 8)
    return int(part)


class Target(NamedTuple):
    """A checked URL and the one address a request to it may connect to."""

    url: str
    host: str  # as requests parses it from ``url``: lower case, IDNA, no brackets
    port: int
    address: IPAddress


class UrlChecker:
    """The URL policy (``services.ports.UrlPolicy``) and the look-up every request starts with.

    A URL passes if it is an absolute http(s) URL of at most ``max_length`` characters with no
    credentials, and its host is, or resolves only to, addresses :func:`address_refusal`
    allows. Every refusal is a 422 ``ValidationFailed`` on the field.
    """

    def __init__(self, allow_private: bool = False, max_length: int = MAX_URL_LENGTH,
                 https_only: bool = False) -> None:
        self.allow_private = allow_private
        self.max_length = max_length
        self.https_only = https_only

    def check(self, url: str, field: str) -> str:
        """The URL, normalized, if requests may be sent to it (422 on ``field`` if not)."""
        return self.target(url, field).url

    def target(self, url: str, field: str) -> Target:
        """Check ``url`` and resolve its host once; the address to connect to."""
        url, host, port, literal = parse_url(url, field, self.max_length)
        addresses = [literal] if literal is not None else self._resolve(host, port, field)
        for ip in addresses:
            reason = address_refusal(ip, self.allow_private)
            if reason is not None:
                shown = (f"{host} resolves to {ip}, which" if literal is None
                         else host if host == str(ip) else f"{host} ({ip})")
                raise ValidationFailed.field(
                    field, f"private or reserved address: {shown} is {reason}")
        if self.https_only and not url.lower().startswith("https://"):
            raise ValidationFailed.field(field, "not https: webhooks need an https:// URL")
        usable = [ip for ip in addresses if ip.version == 4 or urllib3.util.connection.HAS_IPV6]
        ipv4 = [ip for ip in usable if ip.version == 4]  # preferred: IPv6 egress is rarer
        if not usable:
            raise ValidationFailed.field(field, f"unreachable: no usable address for {host}")
        return Target(url, host, port, (ipv4 or usable)[0])

    @staticmethod
    def _resolve(host: str, port: int, field: str) -> list[IPAddress]:
        """Every A and AAAA address of ``host``."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(
                ipaddress.ip_address(str(info[4][0])) for info in infos
                if info[0] in (socket.AF_INET, socket.AF_INET6)))
        except (OSError, UnicodeError, ValueError) as exc:
            raise ValidationFailed.field(field, f"unreachable: cannot resolve {host}") from exc
        if not addresses:
            raise ValidationFailed.field(field, f"unreachable: cannot resolve {host}")
        return addresses


def parse_url(url: str, field: str, max_length: int) -> tuple[str, str, int, IPAddress | None]:
    """The URL normalized as requests will send it, its host, its port, and the host's address
    if it is a literal; 422 on ``field`` unless it is an absolute http(s) URL of at most
    ``max_length`` characters with a valid host and no credentials. No look-up."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationFailed.field(field, "not a valid URL")
    url = url.strip()
    if len(url) > max_length:
        raise ValidationFailed.field(
            field, f"not a valid URL: longer than {max_length} characters")
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}://" if scheme else "no scheme"
        raise ValidationFailed.field(
            field, f"not http(s): only http:// and https:// URLs are allowed ({shown})")
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        normalized = prepared.url or ""
        parts = urlsplit(normalized)
        port = parts.port
    except (requests.RequestException, ValueError, UnicodeError) as exc:
        raise ValidationFailed.field(field, "not a valid URL") from exc
    if "@" in parts.netloc:
        raise ValidationFailed.field(
            field, "not a valid URL: credentials (user:password@) are not allowed")
    host = parts.hostname or ""
    literal = _literal(host, field)
    if literal is None and not _HOSTNAME.match(host.removesuffix(".")):
        raise ValidationFailed.field(field, "not a valid URL: it names no valid host")
    return normalized, host, port or (443 if parts.scheme == "https" else 80), literal


def _literal(host: str, field: str) -> IPAddress | None:
    """The host's address if it is an IP literal (IPv6 in brackets, IPv4 in any spelling)."""
    if ":" in host:
        if "%" in host:
            raise ValidationFailed.field(
                field, "not a valid URL: IPv6 zone ids (%...) are not allowed")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise ValidationFailed.field(field, "not a valid URL: bad IPv6 address") from exc
    try:
        return parse_ipv4(host)
    except ValueError as exc:
        raise ValidationFailed.field(field, "not a valid URL: bad IPv4 address") from exc


class _Refused(requests.RequestException):
    """requests asked to connect somewhere other than the checked target."""


class _PinnedAdapter(HTTPAdapter):
    """Connects only to ``target.address``, and only for ``target``'s host and port; the Host
    header, TLS SNI and the certificate check use the name (as requests-hardened does)."""

    def __init__(self, target: Target) -> None:
        super().__init__(max_retries=0)
        self._target = target

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert)
        https = host_params["scheme"] == "https"
        host = str(host_params["host"] or "")
        port = host_params["port"] or (443 if https else 80)
        if (host, port) != (self._target.host, self._target.port):
            raise _Refused(f"{host}:{port} is not the checked target")
        request.headers["Host"] = urlsplit(request.url or "").netloc
        if https:
            pool_kwargs["assert_hostname"] = host
            pool_kwargs["server_hostname"] = host
        address = self._target.address
        host_params["host"] = f"[{address}]" if address.version == 6 else str(address)
        return host_params, pool_kwargs


class SafeClient:
    """Sends one request to a checked URL through a connection pinned to the checked address.

    Refusals are 422 ``ValidationFailed`` on the field; transport failures stay requests
    exceptions (the caller decides what they mean). Redirects are never followed.
    """

    def __init__(self, urls: UrlChecker, user_agent: str) -> None:
        self.urls = urls
        self.user_agent = user_agent

    @contextmanager
    def open(self, method: str, url: str, field: str, *, timeout: tuple[float, float],
             headers: dict[str, str] | None = None,
             data: bytes | None = None) -> Iterator[requests.Response]:
        """The response, streamed (its body unread), closed when the block ends."""
        target = self.urls.target(url, field)
        with requests.Session() as session:
            session.trust_env = False  # no proxies or .netrc from the environment
            session.mount("http://", _PinnedAdapter(target))
            session.mount("https://", _PinnedAdapter(target))
            try:
                response = session.request(
                    method, target.url, data=data, timeout=timeout, stream=True,
                    allow_redirects=False,
                    headers={"User-Agent": self.user_agent, **(headers or {})})
            except _Refused as exc:
                raise ValidationFailed.field(
                    field, f"private or reserved address: {exc}") from exc
            with response:
                yield response

    def post(self, url: str, body: bytes, headers: dict[str, str], field: str,
             timeout_s: float, read_bytes: int = 0) -> tuple[int, bytes]:
        """POST ``body``; the HTTP status and the first ``read_bytes`` of the answer."""
        with self.open("POST", url, field, timeout=(min(timeout_s, 5.0), timeout_s),
                       headers=headers, data=body) as response:
            head = b""
            if read_bytes:
                with contextlib.suppress(Exception):  # the status is the answer; the body a hint
                    head = next(response.iter_content(read_bytes), b"")[:read_bytes]
            return response.status_code, head


class Fetched(NamedTuple):
    """A downloaded file: its bytes, the Content-Type's media type (lower case, no
    parameters; None if absent) and a safe file name from Content-Disposition or the URL."""

    data: bytes
    content_type: str | None
    filename: str | None


class SafeFetcher:
    """GET a file from a caller's URL without letting the URL reach our own network.

    Every hop goes through :class:`UrlChecker` and a pinned connection; at most
    ``max_redirects`` redirects; ``timeout_s`` per connect/read and ``total_timeout_s``
    (default 3 * ``timeout_s``) for the whole fetch; the body is streamed and dropped as soon
    as it passes ``max_bytes``. Every failure is a 422 ``ValidationFailed`` on the field.
    """

    def __init__(self, timeout_s: float, max_bytes: int, allow_private: bool = False, *,
                 max_redirects: int = 3, total_timeout_s: float | None = None,
                 user_agent: str = "wagate-media/1") -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.total_timeout_s = total_timeout_s if total_timeout_s is not None else 3 * timeout_s
        self._client = SafeClient(UrlChecker(allow_private), user_agent)

    def fetch(self, url: str, field: str) -> Fetched:
        """Download ``url``; 422 on ``field`` if it is refused by the policy, unreachable (DNS,
        connect, timeout, HTTP >= 400), redirects too often, or is too large."""
        deadline = time.monotonic() + self.total_timeout_s
        current = url
        for hop in range(self.max_redirects + 1):
            with self._get(current, field, deadline) as response:
                status = response.status_code
                current = response.url
                if status in _REDIRECTS and response.headers.get("Location"):
                    if hop == self.max_redirects:
                        raise ValidationFailed.field(
                            field, f"unreachable: more than {self.max_redirects} redirects")
                    current = urljoin(current, response.headers["Location"])
                    continue
                if status >= 400:
                    raise ValidationFailed.field(
                        field, f"unreachable: {_host(current)} answered HTTP {status}")
                if not 200 <= status < 300:
                    raise ValidationFailed.field(
                        field, f"unreachable: {_host(current)} answered HTTP {status} "
                               "without a file")
                data = self._read(response, field, deadline)
                return Fetched(data, _content_type(response), _filename(response, current))
        raise AssertionError("unreachable code")  # pragma: no cover

    @contextmanager
    def _get(self, url: str, field: str, deadline: float) -> Iterator[requests.Response]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ValidationFailed.field(field, f"unreachable: timed out after "
                                                f"{self.total_timeout_s:g}s")
        timeout = (min(self.timeout_s, 5.0, remaining), min(self.timeout_s, remaining))
        host = _host(url)
        try:
            with self._client.open("GET", url, field, timeout=timeout, headers={
                    "Accept": "*/*", "Accept-Encoding": "identity"}) as response:
                yield response
        except requests.Timeout as exc:
            raise ValidationFailed.field(
                field, f"unreachable: {host} did not answer within {timeout[1]:g}s") from exc
        except requests.exceptions.SSLError as exc:
            raise ValidationFailed.field(
                field, f"unreachable: TLS with {host} failed (certificate or handshake)",
            ) from exc
        except requests.ConnectionError as exc:
            raise ValidationFailed.field(
                field, f"unreachable: cannot connect to {host}") from exc
        except requests.RequestException as exc:
            raise ValidationFailed.field(field, f"unreachable: {host}: {type(exc).__name__}") \
                from exc

    def _read(self, response: requests.Response, field: str, deadline: float) -> bytes:
        """The body, refused as soon as it passes ``max_bytes`` (before reading, if the
        Content-Length already says so)."""
        too_large = ValidationFailed.field(field, f"too large: larger than {self.max_bytes} bytes")
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise too_large
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise ValidationFailed.field(
                        field, f"unreachable: timed out after {self.total_timeout_s:g}s")
        except requests.RequestException as exc:
            cause = exc.args[0] if exc.args else None
            if isinstance(exc, requests.Timeout) or isinstance(
                    cause, urllib3.exceptions.ReadTimeoutError):
                raise ValidationFailed.field(
                    field, f"unreachable: the download stalled for {self.timeout_s:g}s",
                ) from exc
            raise ValidationFailed.field(
                field, "unreachable: the connection broke off during the download") from exc
        if size == 0:
            raise ValidationFailed.field(field, "unreachable: the URL returned an empty body")
        return b"".join(chunks)


def _host(url: str) -> str:
    return urlsplit(url).hostname or "the host"


def _content_type(response: requests.Response) -> str | None:
    value = response.headers.get("Content-Type", "")
    return value.split(";", 1)[0].strip().lower() or None


def _filename(response: requests.Response, url: str) -> str | None:
    """From Content-Disposition (``filename*`` or ``filename``), else the URL's last segment."""
    name: str | None = None
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        try:
            name = message.get_filename()
        except (ValueError, LookupError):
            name = None
    if not name:
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None
    return safe_filename(name) if name else None
