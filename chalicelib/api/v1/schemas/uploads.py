"""CSV uploads for campaigns and address book imports."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.v1.schemas.common import Out
from chalicelib.domain.audiences import PREVIEW_ERRORS, Audience, RowError
from chalicelib.services.uploads import NewUpload, UploadStatus


class UploadOut(Out):
    upload_id: str
    url: str = Field(description="PUT the CSV file here, with the headers below, before "
                                 "expires_at.")
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_at: str
    max_bytes: int

    @classmethod
    def of(cls, new: NewUpload) -> UploadOut:
        upload = new.upload
        return cls(upload_id=upload.id, url=new.url, method="PUT",
                   headers={"Content-Type": "text/csv"}, expires_at=upload.expires_at,
                   max_bytes=upload.max_bytes)


class RowErrorOut(Out):
    row: int = Field(description="The line of the file (the header is line 1).")
    value: str
    message: str

    @classmethod
    def of(cls, error: RowError) -> RowErrorOut:
        return cls(row=error.row, value=error.value, message=error.message)


class PreviewOut(Out):
    rows: int = Field(description="Data rows read (blank lines aside).")
    valid: int = Field(description="Distinct valid numbers: the recipients.")
    invalid: int
    duplicates: int = Field(description="Rows whose number came earlier (sent once).")
    columns: list[str] = Field(description="The variables each recipient brings "
                                           "({{column}}).")
    errors: list[RowErrorOut] = Field(description=f"The first {PREVIEW_ERRORS} invalid rows.")

    @classmethod
    def of(cls, audience: Audience) -> PreviewOut:
        return cls(rows=audience.rows, valid=len(audience.recipients),
                   invalid=len(audience.errors), duplicates=audience.duplicates,
                   columns=audience.columns,
                   errors=[RowErrorOut.of(e) for e in audience.errors[:PREVIEW_ERRORS]])


class UploadStatusOut(Out):
    upload_id: str
    size: int = Field(description="Bytes received.")
    expires_at: str = Field(description="When the upload URL stopped (or stops) accepting.")
    preview: PreviewOut

    @classmethod
    def of(cls, status: UploadStatus) -> UploadStatusOut:
        return cls(upload_id=status.upload.id, size=status.size,
                   expires_at=status.upload.expires_at, preview=PreviewOut.of(status.audience))
