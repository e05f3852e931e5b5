"""Webhook payload formats: the ``standard`` shape, the registry, and the signed request."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from chalicelib.domain.events import Event, EventType
from chalicelib.domain.webhooks import new_secret
from chalicelib.services import webhook_formats
from chalicelib.services.webhook_formats import formats, signed_request
from chalicelib.services.webhook_formats.standard import standard


def make_event(session_id: str | None = "s1", data: dict[str, object] | None = None) -> Event:
    return Event.new(EventType.MESSAGE_STATUS, "t1", session_id,
                     data if data is not None else {"id": "m1", "status": "delivered"})


def test_the_standard_payload_is_type_timestamp_and_data_with_the_session() -> None:
    event = make_event()
    assert standard(event) == {
        "type": "message.status",
        "timestamp": event.timestamp,
        "data": {"session_id": "s1", "id": "m1", "status": "delivered"},
    }


def test_the_standard_payload_never_carries_the_tenant() -> None:
    payload = standard(make_event())
    assert set(payload) == {"type", "timestamp", "data"}
    assert "tenant_id" not in payload["data"] and "t1" not in json.dumps(payload)


def test_an_event_of_no_session_has_no_session_id() -> None:
    event = Event.new(EventType.WEBHOOK_DISABLED, "t1", None, {"webhook_id": "wh_1"})
    assert standard(event)["data"] == {"webhook_id": "wh_1"}


def test_empty_data_still_names_the_session() -> None:
    event = Event.new(EventType.SESSION_STATUS, "t1", "s9", {})
    assert standard(event)["data"] == {"session_id": "s9"}


def test_the_payload_is_json_with_a_plain_type_and_leaves_the_event_alone() -> None:
    event = make_event(data={"nested": {"a": [1, 2]}})
    payload = standard(event)
    assert type(payload["type"]) is str
    assert json.loads(json.dumps(payload)) == payload
    payload["data"]["extra"] = True
    assert event.data == {"nested": {"a": [1, 2]}}


def test_every_module_of_the_package_registers_its_format() -> None:
    assert formats()["standard"] is standard


def test_a_format_is_a_small_registered_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_formats, "_FORMATS", dict(formats()))

    @webhook_formats.register("tiny")
    def tiny(event: Event) -> dict[str, object]:
        return {"kind": event.type.value}

    assert formats()["tiny"] is tiny
    body, _ = signed_request(make_event(), "tiny", [new_secret()], datetime.now(UTC))
    assert json.loads(body) == {"kind": "message.status"}
    monkeypatch.undo()
    assert "standard" in formats() and "tiny" not in formats()


def test_a_signed_request_carries_the_event_id_and_one_signature_per_secret() -> None:
    event = make_event()
    old, new = new_secret(), new_secret()
    moment = datetime.now(UTC)
    body, headers = signed_request(event, "standard", [new, old], moment)
    assert headers["webhook-id"] == event.id
    assert headers["webhook-timestamp"] == str(int(moment.timestamp()))
    assert headers["Content-Type"] == "application/json"
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers) == standard(event)


def test_a_format_may_send_a_form_and_it_is_signed_as_sent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    form = webhook_formats.Payload(b"id=m1&msg=hi+there", "application/x-www-form-urlencoded")
    monkeypatch.setitem(webhook_formats._FORMATS, "formy", lambda event: form)
    event, secret = make_event(), new_secret()
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    body, headers = signed_request(event, "formy", [secret], moment)
    assert body == b"id=m1&msg=hi+there"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["webhook-signature"] == Webhook(secret).sign(event.id, moment, body.decode())
