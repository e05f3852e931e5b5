"""WebhookService on fakes: signed delivery, the retry schedule (hopping past SQS's 15
minutes), 410 Gone, dead letters, refused URLs, removed webhooks, event filters."""

from __future__ import annotations

import pytest
from standardwebhooks import Webhook as Verifier

from chalicelib.domain.events import Event, EventType
from chalicelib.domain.sessions import Session
from tests.fakes import FakeClock, Services

URL = "https://hooks.example.com/wa"


@pytest.fixture
def session(services: Services) -> Session:
    return services.session_service.create(services.acme, "shop", URL, None, start=False)


def event(session: Session, event_type: EventType = EventType.MESSAGE_STATUS) -> Event:
    return Event.new(event_type, session.tenant_id, session.id,
                     {"message_id": "M1", "status": "read"})


def run_retries(services: Services, clock: FakeClock) -> list[int]:
    """Work the retry queue until it is empty, moving the clock to each record; the delays."""
    delays = []
    while services.webhook_retries.sent:
        record = services.webhook_retries.sent[0]
        delays.append(record.delay_seconds)
        clock.moment = record.visible_at
        for body in services.webhook_retries.receive():
            services.webhooks.retry(body)
    return delays


def log_entry(services: Services, session: Session, sent: Event) -> dict:
    entry = services.deliveries.get("acme", sent.id, session.webhooks[0].id)
    assert entry is not None
    return entry


def test_an_event_reaches_the_webhook_signed(services: Services, session: Session):
    sent = event(session)
    services.webhooks.dispatch(sent)

    [post] = services.sender.posts
    assert post.url == URL and post.headers["webhook-id"] == sent.id
    payload = Verifier(session.webhooks[0].secret).verify(post.body, post.headers)
    assert payload["type"] == "message.status"
    assert payload["data"] == {"session_id": session.id, "message_id": "M1", "status": "read"}
    entry = log_entry(services, session, sent)
    assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("delivered", 1,
                                                                               200)


def test_failures_are_retried_on_the_schedule_then_end_dead(services: Services,
                                                            clock: FakeClock, session: Session):
    services.sender.script(URL, *[500] * 10)
    sent = event(session)
    services.webhooks.dispatch(sent)

    assert log_entry(services, session, sent)["next_attempt_in_s"] == 5
    delays = run_retries(services, clock)

    assert delays == [5, 300, 900, 900]  # 1,800 s waits in two hops: SQS delays stop at 900
    assert len(services.sender.posts) == 4  # the first try and one per scheduled retry
    entry = log_entry(services, session, sent)
    assert (entry["status"], entry["attempts"], entry["last_error"]) == ("dead", 4, "HTTP 500")


def test_a_retry_that_succeeds_ends_delivered(services: Services, clock: FakeClock,
                                              session: Session):
    services.sender.script(URL, 503, ConnectionError("reset by peer"), 204)
    sent = event(session)
    services.webhooks.dispatch(sent)
    assert log_entry(services, session, sent)["last_error"] == "HTTP 503"
    run_retries(services, clock)
    entry = log_entry(services, session, sent)
    assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("delivered", 3,
                                                                               204)


def test_gone_means_stop_at_once(services: Services, session: Session):
    services.sender.script(URL, 410)
    sent = event(session)
    services.webhooks.dispatch(sent)
    assert log_entry(services, session, sent)["status"] == "dead"
    assert services.webhook_retries.sent == []


def test_a_url_the_policy_now_refuses_gets_nothing_and_ends_dead(services: Services,
                                                                 clock: FakeClock,
                                                                 session: Session):
    services.urls.refused.add("hooks.example.com")  # its name now resolves somewhere private
    sent = event(session)
    services.webhooks.dispatch(sent)
    assert log_entry(services, session, sent)["last_error"].startswith("refused")
    run_retries(services, clock)
    assert services.sender.posts == []
    assert log_entry(services, session, sent)["status"] == "dead"


def test_a_webhook_removed_before_its_retry_is_dropped_visibly(services: Services,
                                                               clock: FakeClock,
                                                               session: Session):
    services.sender.script(URL, 500)
    sent = event(session)
    services.webhooks.dispatch(sent)
    services.sessions.update("acme", session.id, {"webhooks": []})
    run_retries(services, clock)
    entry = log_entry(services, session, sent)
    assert (entry["status"], entry["attempts"]) == ("dropped", 1)
    assert len(services.sender.posts) == 1


def test_webhooks_get_only_the_events_they_asked_for(services: Services, session: Session):
    hook = session.webhooks[0].model_copy(update={"events": ["message.received"]})
    services.sessions.update("acme", session.id, {"webhooks": [hook.model_dump()]})
    services.webhooks.dispatch(event(session, EventType.MESSAGE_STATUS))
    assert services.sender.posts == []
    services.webhooks.dispatch(event(session, EventType.MESSAGE_RECEIVED))
    assert len(services.sender.posts) == 1


def test_events_of_a_deleted_session_go_nowhere(services: Services, session: Session):
    services.session_service.delete(services.acme, session.id)
    services.webhooks.dispatch(event(session))
    assert services.sender.posts == [] and services.deliveries.entries == {}
