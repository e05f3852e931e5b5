"""CSV uploads: a presigned URL to put a file to, what arrived, and the audience it holds
(campaigns read it at start, the address book imports it)."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from chalicelib.domain import clock, ids
from chalicelib.domain.audiences import (
    MAX_UPLOAD_BYTES,
    UPLOAD_URL_SECONDS,
    Audience,
    Upload,
    is_upload_id,
    parse_csv,
)
from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.services.ports import UploadStore


class NewUpload(NamedTuple):
    upload: Upload
    url: str  # PUT the CSV here (Content-Type: text/csv) before ``upload.expires_at``


class UploadStatus(NamedTuple):
    upload: Upload
    size: int
    audience: Audience


class UploadService:
    def __init__(self, store: UploadStore, max_bytes: int = MAX_UPLOAD_BYTES,
                 url_seconds: int = UPLOAD_URL_SECONDS) -> None:
        self._store = store
        self._max_bytes = max_bytes
        self._url_seconds = url_seconds

    def create(self, caller: Principal) -> NewUpload:
        now = clock.now()
        upload = Upload(id=f"upl_{ids.new_id()}", tenant_id=caller.tenant_id,
                        created_at=clock.iso(now),
                        expires_at=clock.iso(now + timedelta(seconds=self._url_seconds)),
                        max_bytes=self._max_bytes)
        return NewUpload(upload, self._store.create(upload))

    def status(self, caller: Principal, upload_id: str) -> UploadStatus:
        """What arrived and what it holds: 404 for an id the tenant never got, 409
        ``upload_pending`` while the file has not arrived, 422 when it cannot be used."""
        upload = self._upload(caller.tenant_id, upload_id)
        audience, size = self._parse(caller.tenant_id, upload)
        return UploadStatus(upload, size, audience)

    def audience(self, tenant_id: str, upload_id: str) -> Audience:
        """The recipients in an uploaded CSV, read with one GetObject. NotFound for an
        unknown id; ValidationFailed on ``upload_id`` when the file has not arrived, is empty,
        too large, not a CSV, or has too many rows or columns."""
        file = self._store.read(tenant_id, upload_id, self._max_bytes) \
            if is_upload_id(upload_id) else None
        if file is None:
            upload = self._upload(tenant_id, upload_id)
            raise ValidationFailed.field("upload_id", _pending(upload))
        return self._audience(file.size, file.data)

    def _upload(self, tenant_id: str, upload_id: str) -> Upload:
        upload = self._store.get(tenant_id, upload_id) if is_upload_id(upload_id) else None
        if upload is None:
            raise NotFound("upload not found")
        return upload

    def _parse(self, tenant_id: str, upload: Upload) -> tuple[Audience, int]:
        file = self._store.read(tenant_id, upload.id, self._max_bytes)
        if file is None:
            raise Conflict(_pending(upload), code="upload_pending")
        return self._audience(file.size, file.data), file.size

    def _audience(self, size: int, data: bytes | None) -> Audience:
        if data is None:
            raise ValidationFailed.field("upload_id", f"the file is {size} bytes; at most "
                                                      f"{self._max_bytes} are read")
        if not data.strip():
            raise ValidationFailed.field("upload_id", "the file is empty")
        return parse_csv(data, "upload_id")


def _pending(upload: Upload) -> str:
    if clock.parse(upload.expires_at) <= clock.now():
        return f"no file arrived before its URL expired ({upload.expires_at}): create a new " \
               "upload"
    return f"no file has arrived yet: PUT it to the upload's URL before {upload.expires_at}"
