"""Media from the outside world: an SSRF-safe URL fetcher, base64 decoding, and the S3 store.

``SafeFetcher`` is requests-hardened (resolves once, connects to the address it checked, sets
Host/SNI to the name) with a stricter address policy on top: requests-hardened 1.3 checks only
the first address ``getaddrinfo`` returns, with ``is_private``, multicast and a few extra
ranges, and lets site-local ``fec0::/10``, IPv4-compatible ``::a.b.c.d`` and IPv4-mapped
addresses of public hosts through. Here every A/AAAA address of a host is checked before the
request (:func:`is_public_address`), and the address requests-hardened pins the connection to
is checked again with the same policy just before connecting (so DNS rebinding between the two
look-ups gains nothing). Redirects are followed by hand, each hop checked like the first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import re
import socket
import time
from email.message import Message
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urljoin, urlsplit

import boto3
import requests
import urllib3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES, InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter

from chalicelib.domain.content import StoredMedia
from chalicelib.domain.errors import Forbidden, InternalError, NotFound, ValidationFailed
from chalicelib.domain.media import media_key, media_prefix, normalize_mime, safe_filename

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Never reachable from a media URL, on top of everything that is not ``is_global``.
BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    *EXTRA_BLOCKED_NET_RANGES,  # requests-hardened's: CGNAT, NAT64, 6to4, ORCHIDv2, SRv6…
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT (shared address space)
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64: embeds an IPv4 address
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
    ipaddress.ip_network("2002::/16"),  # 6to4: embeds an IPv4 address
    ipaddress.ip_network("2001::/32"),  # Teredo: embeds an IPv4 address
    ipaddress.ip_network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated)
    ipaddress.ip_network("fec0::/10"),  # site-local (deprecated, still routed by some)
    ipaddress.ip_network("169.254.169.254/32"),  # EC2/ECS instance metadata
    ipaddress.ip_network("169.254.170.2/32"),  # ECS task metadata and credentials
    ipaddress.ip_network("fd00:ec2::254/128"),  # EC2 instance metadata over IPv6
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_URL_LENGTH = 4096
_CHUNK = 64 * 1024
_HOSTNAME = re.compile(r"^[a-z0-9_.-]{1,253}$")  # after IDNA encoding and lower-casing


def is_public_address(ip: IPAddress, allow_loopback: bool = False) -> bool:
    """Whether a media URL may reach ``ip``: a global unicast address outside
    :data:`BLOCKED_NETWORKS` (with ``allow_loopback``, loopback too: the local stack only)."""
    if allow_loopback and ip.is_loopback:
        return True
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return False
    return not any(ip.version == net.version and ip in net for net in BLOCKED_NETWORKS)


class Fetched(NamedTuple):
    """A downloaded file: its bytes, the Content-Type's media type (lower case, no
    parameters; None if absent) and a safe file name from Content-Disposition or the URL."""

    data: bytes
    content_type: str | None
    filename: str | None


class _RefusedAddress(InvalidIPAddress):
    """The address the connection was pinned to fails our policy."""


class _PolicyAdapter(IPFilterAdapter):
    """requests-hardened's adapter (resolve once, pin the connection to the IP, keep Host and
    SNI), plus :func:`is_public_address` on the pinned address right before connecting."""

    def __init__(self, is_https_proto: bool, allow_loopback: bool) -> None:
        super().__init__(is_https_proto=is_https_proto, allow_loopback=allow_loopback)
        self._loopback_ok = allow_loopback

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert)
        pinned = ipaddress.ip_address(str(host_params["host"]).strip("[]"))
        if not is_public_address(pinned, self._loopback_ok):
            raise _RefusedAddress(pinned)
        return host_params, pool_kwargs


class SafeFetcher:
    """GET a media file from a caller's URL without letting the URL reach our own network.

    http(s) only; every address of every hop must pass :func:`is_public_address`; at most
    ``max_redirects`` redirects; ``timeout_s`` per connect/read and ``total_timeout_s``
    (default 3 * ``timeout_s``) for the whole fetch; the body is streamed and dropped as soon
    as it passes ``max_bytes``. Every failure is a 422 ``ValidationFailed`` on the field.
    """

    def __init__(self, timeout_s: float, max_bytes: int, allow_private: bool = False, *,
                 max_redirects: int = 3, total_timeout_s: float | None = None,
                 user_agent: str = "wagate-media/1") -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        self.total_timeout_s = total_timeout_s if total_timeout_s is not None else 3 * timeout_s
        self._config = Config(
            ip_filter_enable=True,
            ip_filter_allow_loopback_ips=allow_private,
            never_redirect=True,
            default_timeout=(min(timeout_s, 5.0), timeout_s),
            user_agent_override=user_agent,
        )

    # -- the public call ----------------------------------------------------------------------

    def fetch(self, url: str, field: str) -> Fetched:
        """Download ``url``; 422 on ``field`` if it is not http(s), private, unreachable (DNS,
        connect, timeout, HTTP >= 400), redirects too often, or is too large."""
        deadline = time.monotonic() + self.total_timeout_s
        current = self._check_url(url, field)
        with self._session() as session:
            for hop in range(self.max_redirects + 1):
                self._check_addresses(current, field)
                with self._get(session, current, field, deadline) as response:
                    status = response.status_code
                    if status in _REDIRECTS and response.headers.get("Location"):
                        if hop == self.max_redirects:
                            raise ValidationFailed.field(
                                field, f"unreachable: more than {self.max_redirects} redirects")
                        current = self._check_url(
                            urljoin(current, response.headers["Location"]), field)
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

    # -- steps ----------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = HTTPSession(self._config)
        session.trust_env = False  # no proxies or .netrc from the environment
        session.mount("http://", _PolicyAdapter(False, self.allow_private))
        session.mount("https://", _PolicyAdapter(True, self.allow_private))
        return session

    @staticmethod
    def _check_url(url: str, field: str) -> str:
        """The URL, normalized (IDNA host), if it is an absolute http(s) URL."""
        if not isinstance(url, str) or not url.strip() or len(url) > _MAX_URL_LENGTH:
            raise ValidationFailed.field(field, "not a valid URL")
        url = url.strip()
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            shown = f"{scheme}://" if scheme else "no scheme"
            raise ValidationFailed.field(
                field, f"not http(s): only http:// and https:// URLs can be fetched ({shown})")
        try:
            prepared = requests.PreparedRequest()
            prepared.prepare_url(url, None)
            parts = urlsplit(prepared.url or "")
            _ = parts.port  # raises ValueError on a bad port
        except (requests.RequestException, ValueError, UnicodeError) as exc:
            raise ValidationFailed.field(field, "not a valid URL") from exc
        host = parts.hostname or ""
        if not host or not (_HOSTNAME.match(host) or ":" in host):  # ":": an IPv6 literal
            raise ValidationFailed.field(field, "not a valid URL: it names no valid host")
        return prepared.url or url

    def _check_addresses(self, url: str, field: str) -> None:
        """Resolve the URL's host (A and AAAA) and refuse it if ANY address is not public."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise ValidationFailed.field(field, f"unreachable: cannot resolve {host}") from exc
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
        if not addresses or not all(is_public_address(ip, self.allow_private)
                                    for ip in addresses):
            raise ValidationFailed.field(
                field, f"private or reserved address: {host} is not on the public internet")

    def _get(self, session: requests.Session, url: str, field: str,
             deadline: float) -> requests.Response:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ValidationFailed.field(field, f"unreachable: timed out after "
                                                f"{self.total_timeout_s:g}s")
        timeout = (min(self.timeout_s, 5.0, remaining), min(self.timeout_s, remaining))
        host = _host(url)
        try:
            return session.get(url, stream=True, allow_redirects=False, timeout=timeout,
                               headers={"Accept": "*/*", "Accept-Encoding": "identity"})
        except InvalidIPAddress as exc:
            raise ValidationFailed.field(
                field, f"private or reserved address: {host} is not on the public internet",
            ) from exc
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


# -- base64 -----------------------------------------------------------------------------------

_DATA_URL = re.compile(r"^data:(?P<meta>[^,]*),(?P<payload>.*)$", re.DOTALL | re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def decode_base64(data: str | bytes, field: str, max_bytes: int) -> tuple[bytes, str | None]:
    """Decode raw base64 (standard or URL-safe alphabet, padding optional) or a
    ``data:<mime>;base64,…`` URL; returns the bytes and the declared MIME type (None if none).

    422 on ``field`` if it is empty, not base64, or decodes to more than ``max_bytes`` (the
    length is checked before decoding).
    """
    text = data.decode("ascii", "replace") if isinstance(data, bytes | bytearray) else str(data)
    text = text.strip()
    declared: str | None = None
    match = _DATA_URL.match(text)
    if match:
        meta = [part.strip() for part in match["meta"].split(";")]
        if meta[-1].lower() != "base64":
            raise ValidationFailed.field(
                field, "a data URL must be base64-encoded (data:<mime>;base64,<data>)")
        declared = normalize_mime(meta[0])
        text = match["payload"]
    payload = _WHITESPACE.sub("", text)
    if not payload:
        raise ValidationFailed.field(field, "empty: no base64 data")
    if len(payload.rstrip("=")) * 3 // 4 > max_bytes:
        raise ValidationFailed.field(field, f"too large: larger than {max_bytes} bytes")
    if "-" in payload or "_" in payload:
        payload = payload.translate(str.maketrans("-_", "+/"))
    payload += "=" * (-len(payload) % 4)
    try:
        decoded = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed.field(field, "not valid base64") from exc
    if not decoded:
        raise ValidationFailed.field(field, "empty: no base64 data")
    if len(decoded) > max_bytes:
        raise ValidationFailed.field(field, f"too large: larger than {max_bytes} bytes")
    return decoded, declared


# -- S3 ---------------------------------------------------------------------------------------

MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4's limit


class S3MediaStore:
    """Media files in one bucket under ``media/<tenant>/<message id>/<file>``, encrypted
    (SSE-S3), typed, and only ever read back for the tenant whose prefix they carry."""

    def __init__(self, s3_client: Any, bucket: str, presign_client: Any = None) -> None:
        """``presign_client`` signs the download links; by default a twin of ``s3_client``
        that signs with SigV4: botocore presigns with SigV2 unless the client's config says
        ``signature_version="s3v4"`` explicitly, and S3 refuses SigV2 on newer buckets."""
        self._s3 = s3_client
        self.bucket = bucket
        self._presigner = presign_client

    def put(self, tenant_id: str, message_id: str, data: bytes, mime_type: str,
            filename: str | None) -> StoredMedia:
        """Store a file; S3 verifies its SHA-256 on arrival."""
        key = media_key(tenant_id, message_id, filename)
        digest = hashlib.sha256(data).digest()
        name = safe_filename(filename) if filename else None
        extra: dict[str, Any] = {}
        if name:
            extra["ContentDisposition"] = f"inline; filename*=UTF-8''{quote(name, safe='')}"
        self._s3.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=mime_type,
            ServerSideEncryption="AES256", ChecksumSHA256=base64.b64encode(digest).decode(),
            Metadata={"sha256": digest.hex(), "tenant": tenant_id}, **extra,
        )
        return StoredMedia(key=key, mime_type=mime_type, size=len(data), sha256=digest.hex(),
                           filename=name)

    def get(self, media: StoredMedia, tenant_id: str) -> bytes:
        """The file's bytes; Forbidden if the key is not the tenant's, NotFound if gone."""
        self._own(media, tenant_id)
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=media.key)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise NotFound("media not found (it may have expired)") from exc
            raise
        with body:
            data = body.read()
        if hashlib.sha256(data).hexdigest() != media.sha256:
            raise InternalError("stored media does not match its checksum")
        return data

    def presigned_url(self, media: StoredMedia, tenant_id: str, expires_s: int = 300) -> str:
        """A time-limited GET URL for the file (Forbidden if the key is not the tenant's)."""
        self._own(media, tenant_id)
        if not 1 <= expires_s <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_s must be between 1 and {MAX_PRESIGN_SECONDS}")
        return self._presign_client().generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": media.key}, ExpiresIn=expires_s)

    def _presign_client(self) -> Any:
        if self._presigner is None:  # same region, endpoint and settings; default credentials
            meta = self._s3.meta
            self._presigner = boto3.session.Session().client(
                "s3", region_name=meta.region_name, endpoint_url=meta.endpoint_url,
                config=meta.config.merge(BotoConfig(signature_version="s3v4")))
        return self._presigner

    @staticmethod
    def _own(media: StoredMedia, tenant_id: str) -> None:
        prefix = media_prefix(tenant_id)
        rest = media.key[len(prefix):] if media.key.startswith(prefix) else ""
        parts = rest.split("/")
        if len(parts) != 2 or any(part in ("", ".", "..") for part in parts):
            raise Forbidden("this media file does not belong to the tenant")
