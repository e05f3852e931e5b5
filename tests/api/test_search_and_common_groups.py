"""Two native reads the wwebjs dialect maps (issue 13): ``GET /v1/messages?q=`` finds
messages by their text, ``GET /v1/sessions/{id}/groups?participant=`` the groups shared with
a person; each within the caller's tenant only."""

from __future__ import annotations

from chalicelib import resources
from tests.conftest import Tenant, assert_error, run_worker

ANA = "+4915112345678"


def test_messages_are_searched_by_text_within_the_tenant(acme: Tenant, globex: Tenant,
                                                         working: str) -> None:
    for text in ("The order is in stock", "Shipped today", "STOCK again"):
        acme.call("POST", "/v1/messages", {"session_id": working, "to": ANA, "text": text})
    run_worker(resources.OUTBOUND)
    found = acme.call("GET", f"/v1/messages?q=stock&session_id={working}").json
    assert [m["text"] for m in found["items"]] == ["STOCK again", "The order is in stock"]
    assert found["next_cursor"] is None
    one = acme.call("GET", f"/v1/messages?q=stock&limit=1&chat={ANA}&session_id={working}")
    assert [m["text"] for m in one.json["items"]] == ["STOCK again"]
    assert acme.call("GET", "/v1/messages?q=shipped").json["items"][0]["text"] == \
        "Shipped today"
    assert globex.call("GET", "/v1/messages?q=stock").json["items"] == []
    assert_error(acme.call("GET", "/v1/messages?q=%20"), 422, "validation_failed")
    assert_error(acme.call("GET", f"/v1/messages?q=stock&chat={ANA}"), 422)


def test_groups_are_filtered_by_a_participant(acme: Tenant, globex: Tenant,
                                              working: str) -> None:
    path = f"/v1/sessions/{working}/groups"
    shared = acme.call("POST", path, {"subject": "Shared", "participants": [ANA]}).json["id"]
    acme.call("POST", path, {"subject": "Other", "participants": ["+447911123456"]})
    for person in (ANA, "4915112345678@s.whatsapp.net", "4915112345678@c.us"):
        listed = acme.call("GET", f"{path}?participant={person.replace('+', '%2B')}").json
        assert [g["id"] for g in listed["items"]] == [shared], person
    assert len(acme.call("GET", path).json["items"]) == 2
    assert_error(acme.call("GET", f"{path}?participant=120363000000000001@g.us"), 422)
    assert_error(globex.call("GET", f"{path}?participant={ANA.replace('+', '%2B')}"), 404)
