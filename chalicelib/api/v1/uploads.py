"""/v1/campaigns/uploads: CSV files of recipients, put straight to storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.api.edge import JSON_TYPES, Request, container, endpoint

if TYPE_CHECKING:
    from chalicelib.domain.auth import Principal

bp = Blueprint(__name__)


@bp.route("/campaigns/uploads", methods=["POST"], content_types=JSON_TYPES)
@endpoint(bp, scope="campaigns:write", out="uploads:UploadOut", status=201, idempotent=True)
def create_upload(request: Request, principal: Principal) -> Any:
    """A URL to PUT a CSV of recipients to (a header row; a phone column named phone, to,
    number, mobile or whatsapp, else the first; every other column a variable; up to 100,000
    rows and 20 MB). Pass its ``upload_id`` to a campaign or an address book import."""
    from chalicelib.api.v1.schemas.uploads import UploadOut

    return UploadOut.of(container().uploads.create(principal))


@bp.route("/campaigns/uploads/{upload_id}", methods=["GET"])
@endpoint(bp, scope="campaigns:read", out="uploads:UploadStatusOut",
          responses={409: "upload_pending: the file has not arrived yet",
                     422: "validation_failed: the file is empty, too large, not UTF-8 CSV, "
                          "or has too many rows or columns"})
def get_upload(request: Request, principal: Principal, upload_id: str) -> Any:
    """Whether the file arrived, its size, and what it holds: rows, valid and invalid numbers
    (the first 20 errors), duplicates, and the variable columns."""
    from chalicelib.api.v1.schemas.uploads import UploadStatusOut

    return UploadStatusOut.of(container().uploads.status(principal, upload_id))
