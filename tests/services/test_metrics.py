"""The metrics the services publish (chalicelib.metrics), on fakes: a message sent or failed,
each webhook attempt and its failure, a governor pause, and the reconciler's fleet gauges."""

from __future__ import annotations

from chalicelib.domain.hosts import HostRecord
from chalicelib.domain.sessions import SessionStatus
from chalicelib.services.messaging import Draft
from tests.fakes import FakeClock, Services
from tests.services.test_deliveries_service import URL, happened, hook, publish, work_due
from tests.services.test_governor_service import real_session, refused, unwarmed


def send(services: Services, session_id: str, to: str = "+14155552671",
         **fields: object) -> str:
    return services.messaging.send(services.acme, Draft(
        session_id=session_id, to=to, body={"text": "hi"}, **fields)).id  # type: ignore[arg-type]


def test_a_sent_message_counts_once_and_a_failed_one_counts_failed(services: Services):
    session = services.working_session()
    sent = send(services, session.id)
    services.fleet.script("send", None, refused("not_on_whatsapp"))
    failed = send(services, session.id, to="+14155550111")
    services.run_send_worker()
    services.run_send_worker()  # nothing is due again: nothing counts twice
    assert services.status(services.acme, sent) == "sent"
    assert services.status(services.acme, failed) == "failed"
    assert services.metrics.counts == {"MessagesSent": 1, "MessagesFailed": 1}


def test_a_message_whose_session_stopped_counts_failed_not_sent(services: Services):
    session = services.working_session()
    message = send(services, session.id)
    services.session_service.stop(services.acme, session.id)
    services.run_send_worker()
    assert services.status(services.acme, message) == "failed"
    assert services.metrics.counts == {"MessagesFailed": 1}


def test_every_webhook_attempt_counts_and_each_failed_one_too(services: Services,
                                                              clock: FakeClock):
    hook(services)
    services.sender.script(URL, 500, 204)
    publish(services, happened())
    work_due(services)
    assert services.metrics.counts == {"WebhookDeliveries": 1, "WebhookDeliveriesFailed": 1}
    clock.advance(10)
    work_due(services)
    assert services.metrics.counts == {"WebhookDeliveries": 2, "WebhookDeliveriesFailed": 1}


def test_a_governor_pause_counts_once_per_throttle(services: Services):
    session = real_session(services)
    unwarmed(services, session)
    services.fleet.script("send", refused("rate_limited"))
    send(services, session.id, category="marketing")
    services.run_send_worker()
    assert services.metrics.counts == {"GovernorPauses": 1}
    services.governor.pushback(session, "rate_limited")  # a strike while throttled: no pause
    assert services.metrics.counts["GovernorPauses"] == 1


def test_the_fleet_gauges_count_failed_sessions_deaf_ones_and_stale_hosts(services: Services,
                                                                          clock: FakeClock):
    now = int(clock.moment.timestamp() * 1000)
    for name in ("a", "b", "c"):
        created, _ = services.session_service.create(services.acme, name, None, None,
                                                     start=True)
        if name != "c":
            services.fleet.adopt("acme", created.id, status=SessionStatus.FAILED)
    hosts = [HostRecord(host_id="h1", address="x", capacity=10, sessions=4, deaf=2,
                        alive_until_ms=now + 30_000),
             HostRecord(host_id="h2", address="x", capacity=10, deaf=1,
                        alive_until_ms=now + 30_000),
             HostRecord(host_id="dead", address="x", capacity=10, deaf=5,  # its report is old
                        alive_until_ms=now - 1)]
    for record in hosts:
        services.hosts.heartbeat(record)
    assert services.fleet_watch.publish() == {"SessionsFailed": 2, "SessionsDeaf": 3,
                                             "HostsStale": 1}
    assert services.metrics.gauges == {"SessionsFailed": 2, "SessionsDeaf": 3, "HostsStale": 1}
