"""CSV uploads in the media bucket: ``uploads/<tenant>/<id>.json`` records an upload issued,
``uploads/<tenant>/<id>.csv`` is the file the client puts through the presigned URL."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.media import sigv4_twin
from chalicelib.domain import clock
from chalicelib.domain.audiences import Upload, UploadedFile

CSV_TYPE = "text/csv"
_MISSING = ("NoSuchKey", "404", "NotFound")


def _key(tenant_id: str, upload_id: str, suffix: str) -> str:
    if "/" in tenant_id or "/" in upload_id:
        raise ValueError("tenant and upload ids never contain '/'")
    return f"uploads/{tenant_id}/{upload_id}.{suffix}"


class S3UploadStore:
    def __init__(self, s3_client: Any, bucket: str, presign_client: Any = None) -> None:
        """``presign_client`` signs the upload URLs; by default a twin of ``s3_client`` that
        signs with SigV4 (as ``S3MediaStore`` does: botocore would presign with SigV2)."""
        self._s3 = s3_client
        self.bucket = bucket
        self._presigner = presign_client

    def create(self, upload: Upload) -> str:
        record = {"id": upload.id, "created_at": upload.created_at,
                  "expires_at": upload.expires_at, "max_bytes": upload.max_bytes}
        self._s3.put_object(Bucket=self.bucket, Key=_key(upload.tenant_id, upload.id, "json"),
                            Body=json.dumps(record).encode(), ContentType="application/json",
                            ServerSideEncryption="AES256")
        seconds = int((clock.parse(upload.expires_at) - clock.parse(upload.created_at))
                      .total_seconds())
        return self._presign_client().generate_presigned_url(
            "put_object", ExpiresIn=seconds,
            Params={"Bucket": self.bucket, "Key": _key(upload.tenant_id, upload.id, "csv"),
                    "ContentType": CSV_TYPE})

    def get(self, tenant_id: str, upload_id: str) -> Upload | None:
        data = self._read(_key(tenant_id, upload_id, "json"), None)
        if data is None or data.data is None:
            return None
        record = json.loads(data.data)
        return Upload(id=record["id"], tenant_id=tenant_id, created_at=record["created_at"],
                      expires_at=record["expires_at"], max_bytes=record["max_bytes"])

    def read(self, tenant_id: str, upload_id: str, max_bytes: int) -> UploadedFile | None:
        return self._read(_key(tenant_id, upload_id, "csv"), max_bytes)

    def _read(self, key: str, max_bytes: int | None) -> UploadedFile | None:
        """One GetObject; the body is read only when it is at most ``max_bytes``."""
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        size = int(response["ContentLength"])
        with response["Body"] as body:
            if max_bytes is not None and size > max_bytes:
                return UploadedFile(size, None)
            return UploadedFile(size, body.read())

    def _presign_client(self) -> Any:
        if self._presigner is None:
            self._presigner = sigv4_twin(self._s3)
        return self._presigner
