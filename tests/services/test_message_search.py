"""MessagingService.find and .search on fakes: a message by our id only within its session,
and a search that reads a bounded window of the newest messages."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.services.messaging import Draft, actions
from tests.fakes import Services

TO = "+14155552671"


def test_find_names_a_message_of_its_own_session_only(services: Services) -> None:
    one = services.working_session()
    other = services.working_session(name="other", phone="+14155550101")
    message = services.messaging.send(services.acme, Draft(session_id=one.id, to=TO,
                                                           body={"text": "hi"}))
    assert services.messaging.find(services.acme, one.id, message.id).id == message.id
    for session_id, ref in ((other.id, message.id), (one.id, "nope"), (one.id, "")):
        with pytest.raises(NotFound):
            services.messaging.find(services.acme, session_id, ref)


def test_search_reads_only_the_newest_window(services: Services,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "SEARCH_SCAN", 3)
    sid = services.working_session().id
    for text in ("old match", "x", "new match", "y"):
        services.messaging.send(services.acme, Draft(session_id=sid, to=TO,
                                                     body={"text": text}))
    found = services.messaging.search(services.acme, sid, "MATCH", None, 10)
    assert [m.text for m in found] == ["new match"]  # "old match" is past the window
    assert services.messaging.search(services.acme, sid, "match", None, 0) == []
    with pytest.raises(ValidationFailed):
        services.messaging.search(services.acme, sid, "  ", None, 10)
