"""Media adapters (``chalicelib.adapters.media``): base64 decoding, and the S3 store under
moto. Fetching media URLs is tested with the SSRF policy in ``test_safe_fetch.py``."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.media import S3MediaStore, decode_base64
from chalicelib.domain.content import StoredMedia
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from tests.domain.test_media import PDF, png

PNG = png()


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
