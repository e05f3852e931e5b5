"""The event catalog (``chalicelib.domain.events``)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from chalicelib.domain.events import Event, EventType

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def make_event(data: dict[str, object] | None = None) -> Event:
    return Event.new(EventType.MESSAGE_STATUS, "t1", "s1",
                     data if data is not None else {"id": "m1", "status": "delivered"})


def test_event_types_are_the_wire_names() -> None:
    assert EventType.MESSAGE_RECEIVED == "message.received"
    assert EventType.MESSAGE_STATUS == "message.status"
    assert EventType.SESSION_STATUS == "session.status"


def test_new_event_fields() -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    event = make_event()
    after = datetime.now(UTC) + timedelta(seconds=1)
    assert event.type is EventType.MESSAGE_STATUS
    assert event.tenant_id == "t1"
    assert event.session_id == "s1"
    assert event.data == {"id": "m1", "status": "delivered"}
    assert ISO_Z.match(event.timestamp)
    moment = datetime.fromisoformat(event.timestamp.replace("Z", "+00:00"))
    assert before <= moment <= after


def test_new_event_ids_are_prefixed_and_unique() -> None:
    events = [make_event() for _ in range(200)]
    event_ids = [event.id for event in events]
    assert all(event_id.startswith("evt_") for event_id in event_ids)
    assert all(len(event_id) == len("evt_") + 26 for event_id in event_ids)
    assert len(set(event_ids)) == len(event_ids)


def test_payload_shape() -> None:
    event = make_event()
    assert event.payload() == {
        "type": "message.status",
        "timestamp": event.timestamp,
        "data": {"session_id": "s1", "id": "m1", "status": "delivered"},
    }


def test_payload_does_not_leak_tenant_or_event_id() -> None:
    payload = make_event().payload()
    assert set(payload) == {"type", "timestamp", "data"}
    assert "tenant_id" not in payload["data"]


def test_payload_with_empty_data_still_names_the_session() -> None:
    event = Event.new(EventType.SESSION_STATUS, "t1", "s9", {})
    assert event.payload() == {"type": "session.status", "timestamp": event.timestamp,
                               "data": {"session_id": "s9"}}


def test_payload_type_is_a_plain_string_and_json_serialisable() -> None:
    payload = make_event({"nested": {"a": [1, 2]}}).payload()
    assert type(payload["type"]) is str
    assert json.loads(json.dumps(payload)) == payload


def test_payload_does_not_mutate_the_event_data() -> None:
    event = make_event()
    event.payload()["data"]["extra"] = True
    assert "session_id" not in event.data
    assert "extra" not in event.data


def test_event_round_trips_through_json() -> None:
    event = make_event()
    assert Event.model_validate_json(event.model_dump_json()) == event
