"""Media from the outside world: base64 decoding and the S3 store. URLs are fetched by
:class:`chalicelib.adapters.safe_fetch.SafeFetcher` (the one SSRF policy)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from chalicelib.domain.content import StoredMedia
from chalicelib.domain.errors import Forbidden, InternalError, NotFound, ValidationFailed
from chalicelib.domain.media import media_key, media_prefix, normalize_mime, safe_filename

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


def check_owner(media: StoredMedia, tenant_id: str) -> None:
    """Forbidden unless ``media``'s key is one file of the tenant's (``media/<tenant>/<message
    id>/<file>``, no empty or dot segments)."""
    prefix = media_prefix(tenant_id)
    rest = media.key[len(prefix):] if media.key.startswith(prefix) else ""
    parts = rest.split("/")
    if len(parts) != 2 or any(part in ("", ".", "..") for part in parts):
        raise Forbidden("this media file does not belong to the tenant")


def sigv4_twin(s3: Any) -> Any:
    """A client like ``s3`` (same region, endpoint and settings; default credentials) that
    signs with SigV4, as presigned URLs need."""
    meta = s3.meta
    return boto3.session.Session().client(
        "s3", region_name=meta.region_name, endpoint_url=meta.endpoint_url,
        config=meta.config.merge(BotoConfig(signature_version="s3v4")))


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
        check_owner(media, tenant_id)
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
        check_owner(media, tenant_id)
        if not 1 <= expires_s <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires_s must be between 1 and {MAX_PRESIGN_SECONDS}")
        return self._presign_client().generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": media.key}, ExpiresIn=expires_s)

    def _presign_client(self) -> Any:
        if self._presigner is None:
            self._presigner = sigv4_twin(self._s3)
        return self._presigner
