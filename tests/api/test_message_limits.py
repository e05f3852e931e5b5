"""Byte limits: a field (or a whole message) that the messages table could not hold is a 422
naming the field, counted in UTF-8 bytes, and nothing is stored or queued."""

from __future__ import annotations

import pytest

from chalicelib import resources
from chalicelib.services.messaging import accept as messaging
from tests.conftest import Tenant, assert_error, receive, run_worker, wait_for

TO = "+14155552671"
MIB = "x" * (1024 * 1024)
EMOJI = "\U0001F600"  # one character, four bytes


def _refused(tenant: Tenant, sid: str, body: dict, field: str) -> dict:
    error = assert_error(tenant.call("POST", "/v1/messages", {"session_id": sid, "to": TO,
                                                              **body}), 422)
    assert [d["field"] for d in error["details"]] == [field], error
    return error


@pytest.mark.parametrize(("body", "field"), [
    ({"text": "hi", "metadata": {"ref": MIB}}, "metadata.ref"),
    ({"text": "hi", "metadata": {"k" * 65: "v"}}, "metadata"),
    ({"type": "poll", "poll": {"question": "Lunch?", "options": ["a", "b", "c", MIB]}},
     "poll.options[3]"),
    ({"text": EMOJI * 20_000}, "text"),  # 20,000 characters, but 80,000 bytes
    ({"type": "contact", "contacts": [{"name": "Ana", "vcard": EMOJI * 3_000}]},
     "contacts[0].vcard"),
    ({"type": "list", "list": {"text": "Menu", "button_text": "Open", "sections": [
        {"title": "Food", "rows": [{"id": "1", "title": "Soup", "description": MIB}]}]}},
     "list.sections[0].rows[0].description"),
])
def test_oversized_fields_are_422_naming_the_field(acme: Tenant, working: str, body: dict,
                                                   field: str):
    _refused(acme, working, body, field)
    assert acme.call("GET", "/v1/messages").json["items"] == []
    assert receive(resources.OUTBOUND) == []


def test_limits_count_bytes_but_allow_what_fits(acme: Tenant, working: str, host):
    text = EMOJI * 16_384  # exactly 65,536 bytes
    accepted = acme.call("POST", "/v1/messages", {
        "session_id": working, "to": TO, "text": text,
        "metadata": {f"k{i}": "é" * 512 for i in range(20)}})  # 1,024 bytes each
    assert accepted.status_code == 202, accepted.body
    run_worker(resources.OUTBOUND)
    wait_for(lambda: acme.call("GET", f"/v1/messages/{accepted.json['id']}").json["status"]
             == "read")
    assert host.engine.outbox[0][2].content.text == text


def test_the_whole_record_has_a_bound_too(acme: Tenant, working: str, monkeypatch):
    monkeypatch.setattr(messaging, "MAX_RECORD_BYTES", 8 * 1024)
    error = _refused(acme, working, {"text": "a" * 5_000}, "text")
    assert "too large" in error["message"]
    _refused(acme, working, {"text": "hi", "metadata": {f"k{i}": "v" * 1_000
                                                        for i in range(8)}}, "metadata")
    assert acme.call("GET", "/v1/messages").json["items"] == []


def test_an_edit_that_is_too_many_bytes_is_422(acme: Tenant, working: str, host):
    mid = acme.call("POST", "/v1/messages", {"session_id": working, "to": TO,
                                             "text": "hi"}).json["id"]
    run_worker(resources.OUTBOUND)
    wait_for(lambda: acme.call("GET", f"/v1/messages/{mid}").json["engine_message_id"])
    error = assert_error(acme.call("POST", f"/v1/messages/{mid}/edit",
                                   {"text": EMOJI * 20_000}), 422)
    assert error["details"][0]["field"] == "text"
    assert acme.call("GET", f"/v1/messages/{mid}").json["text"] == "hi"
    assert [a for a in host.engine.actions if a[1] == "edit"] == []
