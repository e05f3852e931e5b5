"""SessionService on fakes: create (webhook URL policy, engines, quota), start, stop, log
out, delete, QR codes, pairing codes, paging and tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import clock as gateway_clock
from chalicelib.domain.errors import (
    Conflict,
    NotFound,
    SessionNotReady,
    SessionUnavailable,
    ValidationFailed,
)
from chalicelib.domain.events import EventType
from chalicelib.domain.live import sandbox
from chalicelib.domain.live.contacts import CheckNumbers
from chalicelib.domain.quotas import Limits, QuotaExceeded
from chalicelib.domain.sessions import Qr, SessionStatus
from tests.fakes import FakeClock, Services


def session_events(services: Services, session_id: str) -> list[str]:
    return [e.data["status"] for e in services.events.of_type(EventType.SESSION_STATUS)
            if e.session_id == session_id]


# --- create -------------------------------------------------------------------------------------


def test_a_new_session_with_a_webhook_gets_its_own_signing_secret(services: Services):
    session, webhook = services.session_service.create(services.acme, "shop",
                                                       "https://hooks.example.com/wa", None,
                                                       start=True)
    assert webhook is not None
    assert webhook.url == "https://hooks.example.com/wa" and webhook.secret.startswith("whsec_")
    assert (webhook.session_webhook, webhook.session_ids) == (True, [session.id])
    assert session.status == SessionStatus.STARTING and session.engine == "sandbox"
    assert [c.operation for c in services.fleet.calls] == ["start"]
    assert services.session_service.get(services.acme, session.id) == session


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://169.254.169.254/latest", "https://localhost/x",
    "ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/x",
    "https://hooks.example.com/" + "a" * 2048,
])
def test_a_webhook_url_the_policy_refuses_creates_nothing(services: Services, url: str):
    with pytest.raises(ValidationFailed) as refused:
        services.session_service.create(services.acme, "shop", url, None, start=True)
    assert refused.value.details[0]["field"] == "webhook_url"
    assert services.session_service.list(services.acme, 10, None).items == []
    assert services.account.account(services.acme)["usage"]["sessions"] == 0
    assert services.fleet.calls == []


def test_an_unknown_engine_is_a_422(services: Services):
    with pytest.raises(ValidationFailed) as refused:
        services.session_service.create(services.acme, "shop", None, "baileys", start=False)
    assert refused.value.details[0]["field"] == "engine"


def test_a_session_created_stopped_asks_no_host(services: Services):
    session, _ = services.session_service.create(services.acme, "shop", None, None,
                                                 start=False)
    assert session.status == SessionStatus.STOPPED and services.fleet.calls == []


def test_the_session_quota_counts_live_sessions(services: Services):
    services.account.set_limits(services.admin, "acme", Limits(sessions=2))
    (first, _), _ = (services.session_service.create(services.acme, n, None, None,
                                                     start=False) for n in ("a", "b"))
    with pytest.raises(QuotaExceeded) as refused:
        services.session_service.create(services.acme, "c", None, None, start=False)
    assert refused.value.status == 429
    assert services.session_service.create(services.globex, "c", None, None, start=False)

    services.session_service.delete(services.acme, first.id)
    assert services.session_service.create(services.acme, "c", None, None, start=False)
    assert services.account.account(services.acme)["usage"]["sessions"] == 2


# --- start, stop, log out, delete ---------------------------------------------------------------


def test_starting_a_stopped_session_says_so_once_and_asks_a_host(services: Services):
    session, _ = services.session_service.create(services.acme, "shop", None, None,
                                                 start=False)
    started = services.session_service.start(services.acme, session.id)
    again = services.session_service.start(services.acme, session.id)  # a nudge, no news

    assert started.status == again.status == SessionStatus.STARTING
    assert session_events(services, session.id) == ["STARTING"]
    assert [c.operation for c in services.fleet.calls] == ["start", "start"]


def test_stopping_releases_the_host_and_says_so_once(services: Services):
    session = services.working_session()
    stopped = services.session_service.stop(services.acme, session.id)
    services.session_service.stop(services.acme, session.id)

    assert stopped.status == SessionStatus.STOPPED and stopped.owner is None
    assert stopped.phone == "+14155550100"  # still linked: starting again needs no QR
    assert session_events(services, session.id) == ["STOPPED"]
    assert services.fleet.operations("stop")[0].body == {"logout": False}


def test_a_session_whose_host_is_gone_still_stops(services: Services):
    session = services.working_session()
    services.fleet.script("stop", SessionUnavailable("host died"))
    assert services.session_service.stop(services.acme, session.id).status == \
        SessionStatus.STOPPED


def test_logging_out_unlinks_the_phone_and_invalidates_saved_credentials(services: Services):
    session = services.working_session()
    out = services.session_service.stop(services.acme, session.id, logout=True)
    assert (out.status, out.reason, out.phone) == (SessionStatus.STOPPED, "logged_out", None)
    assert out.auth_epoch == session.auth_epoch + 1
    assert services.fleet.operations("stop")[0].body == {"logout": True}


def test_a_deleted_session_is_gone_for_good(services: Services):
    session = services.working_session()
    services.session_service.delete(services.acme, session.id)
    with pytest.raises(NotFound):
        services.session_service.get(services.acme, session.id)
    with pytest.raises(NotFound):
        services.session_service.start(services.acme, session.id)
    assert services.fleet.operations("stop")[0].body == {"logout": True}


def test_updating_pacing_and_resetting_it_to_the_default(services: Services):
    session = services.working_session()
    paced, _ = services.session_service.update(services.acme, session.id,
                                               {"name": "slow", "send_interval_ms": 5000})
    assert (paced.name, paced.send_interval_ms) == ("slow", 5000)
    reset, _ = services.session_service.update(services.acme, session.id,
                                               {"send_interval_ms": None})
    assert reset.send_interval_ms is None and reset.name == "slow"
    with pytest.raises(NotFound):
        services.session_service.update(services.globex, session.id, {"name": "x"})


# --- QR and pairing codes -----------------------------------------------------------------------


def test_a_qr_code_is_there_only_while_scanning_and_fresh(services: Services, clock: FakeClock):
    session, _ = services.session_service.create(services.acme, "shop", None, None,
                                                 start=True)
    with pytest.raises(Conflict) as starting:
        services.session_service.qr(services.acme, session.id)
    assert starting.value.code == "qr_not_available"

    expires = gateway_clock.iso(clock.now() + timedelta(seconds=20))
    services.fleet.adopt("acme", session.id, SessionStatus.SCAN_QR,
                         qr=Qr(code="2@abc", expires_at=expires).model_dump())
    assert services.session_service.qr(services.acme, session.id).code == "2@abc"
    clock.advance(21)
    with pytest.raises(Conflict, match="expired"):
        services.session_service.qr(services.acme, session.id)
    with pytest.raises(NotFound):
        services.session_service.qr(services.globex, session.id)


def test_a_pairing_code_needs_a_session_waiting_to_be_linked(services: Services):
    session, _ = services.session_service.create(services.acme, "shop", None, None,
                                                 start=True)
    with pytest.raises(Conflict) as not_scanning:
        services.session_service.pairing_code(services.acme, session.id, "+14155552671")
    assert not_scanning.value.code == "not_scanning"

    services.fleet.adopt("acme", session.id, SessionStatus.SCAN_QR)
    services.fleet.script("sessions.pairing_code", {"code": "ABCD-EFGH", "phone": "+14155552671"})
    with pytest.raises(ValidationFailed) as bad_phone:
        services.session_service.pairing_code(services.acme, session.id, "not a phone")
    assert bad_phone.value.details[0]["field"] == "phone"
    answer = services.session_service.pairing_code(services.acme, session.id,
                                                   "+1 (415) 555-2671")
    assert answer.code == "ABCD-EFGH"
    assert services.fleet.operations("sessions.pairing_code")[0].body == {
        "phone": "+14155552671"}


def test_live_questions_to_a_session_not_working_are_not_ready(services: Services):
    session, _ = services.session_service.create(services.acme, "shop", None, None,
                                                 start=True)
    with pytest.raises(SessionNotReady):
        services.live.run(services.acme, session.id, CheckNumbers(phones=["+14155552671"]))
    assert services.fleet.operations("contacts.check") == []


def test_live_questions_to_a_working_session_no_host_holds_are_unavailable(
        services: Services):
    session, _ = services.session_service.create(services.acme, "shop", None, None,
                                                 start=True)
    services.sessions.update("acme", session.id, {"status": SessionStatus.WORKING.value})
    with pytest.raises(SessionUnavailable):
        services.live.run(services.acme, session.id, CheckNumbers(phones=["+14155552671"]))


def test_only_sandbox_sessions_can_be_played(services: Services):
    real, _ = services.session_service.create(services.acme, "real", None, "neonize",
                                              start=False)
    with pytest.raises(Conflict) as refused:
        services.live.run(services.acme, real.id, sandbox.Scan())
    assert refused.value.code == "not_sandbox"


# --- lists --------------------------------------------------------------------------------------


def test_sessions_are_listed_in_bounded_pages_of_the_tenant_only(services: Services):
    made = [services.session_service.create(services.acme, f"s{i}", None, None, start=False)[0]
            for i in range(5)]
    services.session_service.create(services.globex, "theirs", None, None, start=False)

    seen, cursor, pages = [], None, 0
    while True:
        page = services.session_service.list(services.acme, 2, cursor)
        assert len(page.items) <= 2
        seen += [s.id for s in page.items]
        pages, cursor = pages + 1, page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(s.id for s in made) and pages == 3

    first = services.session_service.list(services.acme, 2, None)
    with pytest.raises(ValidationFailed) as foreign:
        services.session_service.list(services.globex, 2, first.next_cursor)
    assert foreign.value.details[0]["field"] == "cursor"


def test_find_names_a_session_by_id_name_or_number_working_ones_first_then_the_oldest(
        services: Services):
    """How every dialect reads a product's "device", "queue" or "sender"."""
    service, acme = services.session_service, services.acme
    with pytest.raises(NotFound):
        service.find(acme, None)  # nothing WORKING yet
    idle, _ = service.create(acme, "shop", None, None, start=False)
    other, _ = service.create(acme, "Shop ", None, None, start=False)
    assert service.find(acme, "shop").id == idle.id  # the oldest of the name (any case)
    working = services.working_session(name="shop", phone="+6281234567890")
    later = services.working_session(name="spare", phone="+6281234567891")
    assert service.find(acme, "SHOP").id == working.id  # the WORKING one of the name
    for ref in (working.id, "6281234567890", "+62 812-3456-7890", "6281234567890@c.us"):
        assert service.find(acme, ref).id == working.id, ref
    assert service.find(acme, None).id == working.id  # the oldest WORKING
    assert service.find(acme, "spare").id == later.id
    for ref in ("nobody", "6281234567899", other.id + "x"):
        with pytest.raises(NotFound):
            service.find(acme, ref)
    with pytest.raises(NotFound):
        service.find(services.globex, working.id)
