"""AccountService on fakes: usage against limits, who may change limits, defaults."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.auth import PLATFORM_TENANT, SCOPES, Principal, Role
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.quotas import Limits, QuotaExceeded
from chalicelib.services.messaging import Draft
from tests.fakes import FakeClock, Services, caller, fake_settings


def send(services: Services, session_id: str) -> None:
    services.messaging.send(services.acme, Draft(session_id=session_id, to="+14155552671",
                                                 body={"text": "hi"}))


def test_the_account_shows_usage_against_limits_and_when_they_reset(services: Services):
    session = services.working_session()
    for _ in range(3):
        send(services, session.id)
    view = services.account.account(services.acme)
    assert view["usage"] == {"messages_today": 3, "messages_this_month": 3, "sessions": 1}
    assert view["limits"] == Limits().model_dump()
    assert view["balance"] == {"counter": 3, "limit": Limits().messages_per_month}
    assert view["resets"]["day_in_seconds"] == 15 * 3600  # the clock says 09:00 UTC
    assert services.account.account(services.globex)["usage"]["messages_today"] == 0


def test_a_new_day_starts_a_new_count(services: Services, clock: FakeClock):
    session = services.working_session()
    send(services, session.id)
    clock.advance(hours=15)
    send(services, session.id)
    usage = services.account.account(services.acme)["usage"]
    assert (usage["messages_today"], usage["messages_this_month"]) == (1, 2)


def test_only_a_platform_administrator_changes_limits_and_they_apply_at_once(
        services: Services):
    session = services.working_session()
    send(services, session.id)
    admins_key = Principal(tenant_id=PLATFORM_TENANT, user_id="root", role=Role.ADMIN,
                           scopes=SCOPES, api_key_id="k1")
    for who in (services.acme, caller("acme", Role.MEMBER), admins_key):
        with pytest.raises(Forbidden):
            services.account.set_limits(who, "acme", Limits(messages_per_day=1))
    services.account.limits("acme")  # cached now
    services.account.set_limits(services.admin, "acme", Limits(messages_per_day=1))
    with pytest.raises(QuotaExceeded):
        send(services, session.id)
    with pytest.raises(NotFound):
        services.account.set_limits(services.admin, "nobody", Limits())


def test_the_gateways_default_limits_come_from_settings(clock: FakeClock):
    services = Services(fake_settings(default_limits_json=json.dumps(
        {"messages_per_day": 1, "sessions": 1})))
    session = services.working_session()
    send(services, session.id)
    with pytest.raises(QuotaExceeded):
        send(services, session.id)
    with pytest.raises(QuotaExceeded):
        services.working_session(name="second")
    assert services.account.account(services.acme)["limits"]["messages_per_day"] == 1
