"""Media for outgoing messages: from a URL (fetched SSRF-safe) or base64, sniffed, checked
against WhatsApp's limits for the message type, and stored in S3 under the tenant."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.content import StoredMedia
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.media import check_media, media_kind, sniff_mime
from chalicelib.services.ports import Base64Decoder, Fetcher, MediaStore


@dataclass(frozen=True)
class MediaSource:
    """Where a media file comes from, as the caller gave it."""

    url: str | None = None
    base64: str | None = None
    mime_type: str | None = None
    filename: str | None = None


class MediaService:
    def __init__(self, fetcher: Fetcher, store: MediaStore, decode: Base64Decoder,
                 max_bytes: int) -> None:
        self._fetcher = fetcher
        self._store = store
        self._decode = decode
        self._max_bytes = max_bytes

    def ingest(self, tenant_id: str, message_id: str, message_type: str, source: MediaSource,
               field: str) -> StoredMedia:
        """Fetch or decode, sniff, check and store one file; any problem is a 422 on
        ``field`` and nothing is stored."""
        data, mime_type, filename = self.load(message_type, source, field)
        return self._store.put(tenant_id, message_id, data, mime_type, filename)

    def ingest_any(self, tenant_id: str, message_id: str, source: MediaSource,
                   field: str) -> tuple[str, StoredMedia]:
        """Like ``ingest`` for a file of any type: the message type it suits
        (``domain.media.media_kind``) and the stored file."""
        data, mime_type, filename = self.load("document", source, field)
        kind = media_kind(mime_type, len(data), self._max_bytes)
        return kind, self._store.put(tenant_id, message_id, data, mime_type, filename)

    def load(self, message_type: str, source: MediaSource, field: str
             ) -> tuple[bytes, str, str | None]:
        """Fetch or decode, sniff and check one file without storing it: its bytes, MIME
        type and name; any problem is a 422 on ``field``."""
        if bool(source.url) == bool(source.base64):
            raise ValidationFailed.field(field, "give exactly one of url or base64")
        if source.url:
            data, declared, filename = self._fetcher.fetch(source.url, f"{field}.url")
        else:
            data, declared = self._decode(source.base64 or "", f"{field}.base64",
                                          self._max_bytes)
            filename = None
        filename = source.filename or filename
        mime_type = sniff_mime(data, source.mime_type or declared, filename)
        check_media(message_type, mime_type, len(data), field, limit=self._max_bytes)
        return data, mime_type, filename

    def read(self, tenant_id: str, media: StoredMedia) -> bytes:
        return self._store.get(media, tenant_id)

    def link(self, tenant_id: str, media: StoredMedia) -> str:
        return self._store.presigned_url(media, tenant_id)
