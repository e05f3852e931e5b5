"""Repository helpers: pagination refuses cursors that DynamoDB would refuse."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import query_page
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.paging import encode_cursor


class RefusingTable:
    """A table whose query refuses the start key, as DynamoDB does for a key of another index."""

    def query(self, **_: object) -> dict:
        raise ClientError({"Error": {"Code": "ValidationException",
                                     "Message": "The provided starting key is invalid"}}, "Query")


def test_a_start_key_dynamodb_refuses_is_a_422_on_cursor():
    cursor = encode_cursor({"pk": "tenant-a", "sk": "MSG#1", "session_key": "tenant-b#s"})
    with pytest.raises(ValidationFailed) as info:
        query_page(RefusingTable(), "tenant-a", 10, cursor)
    assert info.value.details[0]["field"] == "cursor"


def test_without_a_cursor_the_error_is_not_hidden():
    with pytest.raises(ClientError):
        query_page(RefusingTable(), "tenant-a", 10, None)
