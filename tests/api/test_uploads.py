"""/v1/campaigns/uploads through the HTTP API on moto: a presigned PUT the client sends its
CSV to, the preview of what arrived, tenant isolation, and the service's ``audience()`` the
campaigns read at start (one GetObject)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import requests

from chalicelib.adapters.uploads import S3UploadStore
from chalicelib.bootstrap import container
from chalicelib.devstack.embedded_aws import EmbeddedAws
from chalicelib.devstack.launch import free_port
from chalicelib.domain.audiences import Upload
from chalicelib.domain.errors import NotFound, ValidationFailed
from tests.conftest import Tenant, assert_error, call

CSV = (b"name,Phone,plan\n"
       b"Ann,+1 415 555 2671,gold\n"
       b"Bob,4915112345678@s.whatsapp.net,silver\n"
       b"Ann again,14155552671,gold\n"
       b"Cid,not a number,bronze\n")


def upload(tenant: Tenant, data: bytes | None = CSV) -> dict[str, Any]:
    """A new upload of ``tenant`` with ``data`` put to its URL (None: nothing put)."""
    created = tenant.call("POST", "/v1/campaigns/uploads")
    assert created.status_code == 201, created.body
    if data is not None:
        put = requests.put(created.json["url"], data=data, headers=created.json["headers"],
                           timeout=5)
        assert put.status_code == 200, put.text
    return created.json


def test_a_csv_put_to_the_url_is_previewed(acme: Tenant):
    created = upload(acme)
    assert created["method"] == "PUT" and created["headers"] == {"Content-Type": "text/csv"}
    assert created["max_bytes"] == 20 * 1024 * 1024
    status = acme.call("GET", f"/v1/campaigns/uploads/{created['upload_id']}")
    assert status.status_code == 200, status.body
    assert status.json["size"] == len(CSV)
    assert status.json["preview"] == {
        "rows": 4, "valid": 2, "invalid": 1, "duplicates": 1, "columns": ["name", "plan"],
        "errors": [{"row": 5, "value": "not a number",
                    "message": "must be a phone number in international format, e.g. "
                               "+14155552671"}]}


def test_the_audience_is_read_with_one_get(acme: Tenant):
    upload_id = upload(acme)["upload_id"]
    s3 = container().upload_store._s3
    calls: list[str] = []
    s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    audience = container().uploads.audience(acme.id, upload_id)
    assert calls == ["GetObject"]
    assert [(r.to, r.variables) for r in audience.recipients] == [
        ("14155552671@s.whatsapp.net", {"name": "Ann", "plan": "gold"}),
        ("4915112345678@s.whatsapp.net", {"name": "Bob", "plan": "silver"})]


def test_an_upload_not_yet_put_is_409_and_the_audience_names_upload_id(acme: Tenant):
    upload_id = upload(acme, None)["upload_id"]
    assert_error(acme.call("GET", f"/v1/campaigns/uploads/{upload_id}"), 409, "upload_pending")
    with pytest.raises(ValidationFailed) as failed:
        container().uploads.audience(acme.id, upload_id)
    assert failed.value.details[0]["field"] == "upload_id"


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"), (b"  \n", "empty"), (b"\xff\xfe\x00a", "UTF-8"),
    (b"phone,a,a\n+14155552671,1,2\n", "twice"),
    (b"phone," + b",".join(f"v{i}".encode() for i in range(21)) + b"\n", "at most 20"),
    (b"phone,{{bad}}\n+14155552671,1\n", "variable name"),
])
def test_unusable_files_are_422_naming_upload_id(acme: Tenant, data: bytes, words: str):
    upload_id = upload(acme, data)["upload_id"]
    error = assert_error(acme.call("GET", f"/v1/campaigns/uploads/{upload_id}"), 422,
                         "validation_failed")
    assert error["details"][0]["field"] == "upload_id" and words in error["message"]
    with pytest.raises(ValidationFailed, match=words):
        container().uploads.audience(acme.id, upload_id)


def test_more_than_100000_rows_is_422_naming_the_limit(acme: Tenant):
    rows = b"".join(b"+1415555%04d\n" % (i % 10000) for i in range(100_001))
    upload_id = upload(acme, b"phone\n" + rows)["upload_id"]
    error = assert_error(acme.call("GET", f"/v1/campaigns/uploads/{upload_id}"), 422)
    assert "100,000 rows" in error["message"]


def test_a_file_over_the_size_limit_is_refused_unread(acme: Tenant):
    small = container().uploads.__class__(container().upload_store, max_bytes=10)
    upload_id = upload(acme)["upload_id"]
    with pytest.raises(ValidationFailed, match="at most 10"):
        small.audience(acme.id, upload_id)


def test_another_tenants_upload_is_404(acme: Tenant, globex: Tenant):
    upload_id = upload(acme)["upload_id"]
    assert_error(globex.call("GET", f"/v1/campaigns/uploads/{upload_id}"), 404, "not_found")
    with pytest.raises(NotFound):
        container().uploads.audience(globex.id, upload_id)
    for unknown in ("upl_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope", "..%2F..%2Fx"):
        assert_error(acme.call("GET", f"/v1/campaigns/uploads/{unknown}"), 404, "not_found")
        with pytest.raises(NotFound):
            container().uploads.audience(acme.id, unknown)


def test_scopes(acme: Tenant):
    reader = acme.api_key(["campaigns:read"])
    assert_error(call(acme.client, "POST", "/v1/campaigns/uploads", reader), 403,
                 "missing_scope")
    upload_id = upload(acme)["upload_id"]
    assert call(acme.client, "GET", f"/v1/campaigns/uploads/{upload_id}",
                reader).status_code == 200
    writer = acme.api_key(["contacts:write"])
    assert_error(call(acme.client, "GET", f"/v1/campaigns/uploads/{upload_id}", writer), 403,
                 "missing_scope")


def test_creating_is_idempotent(acme: Tenant):
    key = {"Idempotency-Key": "upload-1"}
    first = acme.call("POST", "/v1/campaigns/uploads", headers=key)
    again = acme.call("POST", "/v1/campaigns/uploads", headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json["upload_id"] == first.json["upload_id"]


def test_the_url_takes_the_file_over_http_on_the_embedded_aws():
    """make run's embedded AWS: the presigned URL is a loopback URL a client reaches."""
    port = free_port()
    embedded = EmbeddedAws(port)
    embedded.start()
    try:
        s3 = boto3.session.Session().client(
            "s3", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="media")
        store = S3UploadStore(s3, "media")
        url = store.create(Upload(id="upl_01ARZ3NDEKTSV4RRFFQ69G5FAV", tenant_id="t1",
                                  created_at="2030-01-01T00:00:00.000Z",
                                  expires_at="2030-01-01T01:00:00.000Z", max_bytes=100))
        assert url.startswith(f"http://127.0.0.1:{port}/")
        put = requests.put(url, data=CSV, headers={"Content-Type": "text/csv"}, timeout=5)
        assert put.status_code == 200, put.text
        arrived = store.read("t1", "upl_01ARZ3NDEKTSV4RRFFQ69G5FAV", 1000)
        assert arrived is not None and arrived.data == CSV
    finally:
        embedded.stop()
