"""/v1/events: the catalogue, and catch-up without webhooks (the same ids as webhook-id)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import resources
from chalicelib.domain.events import EventType
from tests.api.test_webhooks_api import _events_happen
from tests.conftest import Tenant, assert_error, run_worker


def test_the_catalogue_lists_every_type_with_its_schema(acme: Tenant):
    listed = acme.call("GET", "/v1/events/types")
    assert listed.status_code == 200, listed.body
    types = {t["type"]: t for t in listed.json["items"]}
    assert set(types) == {t.value for t in EventType}
    assert {"session.status", "message.received", "message.status", "message.reaction",
            "message.edited", "message.revoked", "message.failed", "webhook.disabled"} <= set(types)
    assert "status" in types["message.status"]["data_schema"]["properties"]


def test_a_client_that_was_down_catches_up_in_order(acme: Tenant, globex: Tenant, host: Any):
    sid = _events_happen(acme, host)
    run_worker(resources.EVENT_QUEUE)
    listed = acme.call("GET", "/v1/events").json
    events = listed["items"]
    assert [e["type"] for e in events] == ["session.status", "session.status",
                                           "message.received"]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert {e["session_id"] for e in events} == {sid} and listed["next_cursor"] is None
    assert events[0]["data"]["status"] == "SCAN_QR"

    after_first = acme.call("GET", f"/v1/events?after={events[0]['id']}").json["items"]
    assert after_first == events[1:]
    page = acme.call("GET", "/v1/events?limit=2").json
    rest = acme.call("GET", f"/v1/events?cursor={page['next_cursor']}").json
    assert page["items"] + rest["items"] == events
    assert [e["type"] for e in acme.call("GET", "/v1/events?types=message.*").json[
        "items"]] == ["message.received"]
    assert acme.call("GET", f"/v1/events?session_id={sid}").json["items"] == events
    assert acme.call("GET", "/v1/events?session_id=01OTHER").json["items"] == []
    assert globex.call("GET", "/v1/events").json["items"] == []


@pytest.mark.parametrize(("query", "field"), [
    ("after=yesterday", "after"), ("types=message.received,nope", "types[1]"),
    ("limit=0", "limit"), ("cursor=bm90LWEtY3Vyc29y", "cursor"),
])
def test_bad_queries_are_422(acme: Tenant, query: str, field: str):
    error = assert_error(acme.call("GET", f"/v1/events?{query}"), 422)
    assert [d["field"] for d in error["details"]] == [field]
