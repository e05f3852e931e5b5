"""The event catalogue (``chalicelib.domain.events``): events, types, builders, and which
events a subscription's patterns want."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.events import (
    CATALOGUE,
    Event,
    EventType,
    matches,
    message_changed,
    valid_pattern,
    webhook_disabled,
    webhook_test,
)

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


def test_event_round_trips_through_json() -> None:
    event = make_event()
    assert Event.model_validate_json(event.model_dump_json()) == event


# --- the catalogue ------------------------------------------------------------------------------


def test_every_type_is_catalogued_with_a_data_model() -> None:
    assert set(CATALOGUE) == set(EventType)
    for event_type, spec in CATALOGUE.items():
        assert spec.type is event_type and spec.description
        assert spec.data.model_json_schema()["type"] == "object"


def test_builders_make_events_their_data_model_accepts() -> None:
    made = [
        webhook_disabled("t1", "wh_1", "https://hooks.example.com/x", "gone"),
        webhook_test("t1", "wh_1"),
        *(message_changed("t1", "s1", kind, message_id=None, engine_message_id="E1",
                          chat="c", sender="s", at="x", text="👍")
          for kind in ("reaction", "edited", "revoked")),
    ]
    for event in made:
        assert event.tenant_id == "t1" and event.id.startswith("evt_")
        CATALOGUE[event.type].data.model_validate(event.data)
    assert made[0].session_id is None
    assert made[0].data == {"webhook_id": "wh_1", "url": "https://hooks.example.com/x",
                            "reason": "gone"}
    assert [e.type.value for e in made[2:]] == ["message.reaction", "message.edited",
                                                "message.revoked"]
    assert (made[2].data["reaction"], made[3].data["text"]) == ("👍", "👍")
    assert "text" not in made[4].data and "reaction" not in made[4].data


# --- which events a subscription wants ----------------------------------------------------------


@pytest.mark.parametrize("pattern", ["*", "message.status", "message.*", "webhook.*",
                                     "session.*"])
def test_valid_patterns(pattern: str) -> None:
    assert valid_pattern(pattern)


@pytest.mark.parametrize("pattern", ["", "message", "message.", "nope.*", "message.sent",
                                     "*.status", "message.**", "MESSAGE.STATUS"])
def test_invalid_patterns(pattern: str) -> None:
    assert not valid_pattern(pattern)


@pytest.mark.parametrize(("patterns", "event_type", "wanted"), [
    (["*"], "session.status", True),
    (["message.status"], "message.status", True),
    (["message.status"], "message.received", False),
    (["message.*"], "message.revoked", True),
    (["message.*"], "session.status", False),
    (["session.status", "webhook.*"], "webhook.disabled", True),
    ([], "message.status", False),
])
def test_matches(patterns: list[str], event_type: str, wanted: bool) -> None:
    assert matches(patterns, event_type) is wanted


@given(st.lists(st.sampled_from([*(t.value for t in EventType), "*", "message.*",
                                 "session.*", "webhook.*"]), max_size=4),
       st.sampled_from(list(EventType)))
def test_a_prefix_matches_exactly_the_types_it_starts(patterns: list[str],
                                                       event_type: EventType) -> None:
    expected = any(p == "*" or p == event_type.value
                   or (p.endswith(".*") and event_type.value.split(".")[0] == p[:-2])
                   for p in patterns)
    assert matches(patterns, event_type.value) is expected
