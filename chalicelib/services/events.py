"""Events after they are published: each consumer runs once per event id, and the tenant can
read its events back (catch-up after an outage) with the ids its webhooks carry."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.auth import Principal
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.events import CATALOGUE, DIRECT_ONLY, Event, valid_pattern
from chalicelib.domain.paging import Page
from chalicelib.services.ports import EventStore

log = logging.getLogger(__name__)
EVENT_ID = re.compile(r"^evt_[0-9A-HJKMNP-TV-Z]{26}$")


@dataclass(frozen=True)
class Consumer:
    """A named handler of events (the name marks it done for an event id)."""

    name: str
    handle: Callable[[Event], None]


class EventService:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    def consume(self, event: Event, consumers: Sequence[Consumer]) -> None:
        """Run every consumer that has not run for this event id yet, then store the event
        with the names of those that have. A failed consumer is retried with the record;
        the ones that succeeded are not run again."""
        if event.type in DIRECT_ONLY:
            return
        done = self._store.handled(event.tenant_id, event.id)
        ran = set(done or ())
        failure: Exception | None = None
        for consumer in consumers:
            if consumer.name in ran:
                continue
            try:
                consumer.handle(event)
            except Exception as exc:
                log.warning("event %s: consumer %s failed: %s: %s", event.id, consumer.name,
                            type(exc).__name__, exc)
                failure = failure or exc
                continue
            ran.add(consumer.name)
        if done is None or ran != done:
            self._store.save(event, ran)
        if failure is not None:
            raise failure

    def list(self, caller: Principal, after: str | None, cursor: str | None,
             types: list[str] | None, session_id: str | None, limit: int) -> Page:
        """The tenant's events oldest first, after event ``after`` (or from ``cursor``)."""
        if after is not None and not EVENT_ID.match(after):
            raise ValidationFailed.field("after", "must be an event id (evt_…)")
        for i, pattern in enumerate(types or []):
            if not valid_pattern(pattern):
                raise ValidationFailed.field(f"types[{i}]", "is not an event type, a prefix "
                                                            "like message.* or *")
        if types and "*" in types:
            types = None
        return self._store.list(caller.tenant_id, after, cursor, types, session_id, limit)

    @staticmethod
    def types() -> list[dict[str, Any]]:
        """The catalogue: every type, what it means, and the JSON schema of its ``data``."""
        return [{"type": spec.type.value, "description": spec.description,
                 "data_schema": spec.data.model_json_schema()} for spec in CATALOGUE.values()]
