"""SubscriptionService on fakes: what a subscription may be (URL policy, event patterns, the
tenant's sessions, formats), the per-tenant limit, tenant isolation, enabling, rotation,
and a session's ``webhook_url`` as a subscription bound to that session."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.events import Event, EventType
from chalicelib.domain.webhooks import MAX_SUBSCRIPTIONS, Subscription
from tests.fakes import FakeClock, Services, run_deliveries

URL = "https://hooks.example.com/wa"


def create(services: Services, url: str = URL, **fields: Any) -> Subscription:
    return services.subscription_service.create(services.acme, url, **fields)


def listed(services: Services) -> list[Subscription]:
    return services.subscription_service.list(services.acme, MAX_SUBSCRIPTIONS, None).items


def fill(services: Services, count: int) -> None:
    for i in range(count):
        create(services, f"https://h{i}.example.com/x")


# --- create -------------------------------------------------------------------------------------


def test_a_new_subscription_comes_with_its_secret_and_wants_everything(services: Services):
    made = create(services, description="CRM")
    assert made.secret.startswith("whsec_") and made.id.startswith("wh_")
    assert (made.url, made.events, made.session_ids, made.format, made.enabled) == (
        URL, ["*"], None, "standard", True)
    assert (made.description, made.session_webhook, made.disabled_reason) == ("CRM", False, None)
    assert services.subscription_service.get(services.acme, made.id) == made
    assert create(services).secret != made.secret


@pytest.mark.parametrize("url", [
    "http://localhost/hook", "http://127.0.0.1/hook", "http://169.254.169.254/latest",
    "http://10.0.0.8/x", "ftp://hooks.example.com/x", "https://user:pw@hooks.example.com/x",
    "not a url", "https://hooks.example.com/" + "a" * 2048,
])
def test_a_url_the_policy_refuses_is_a_422_on_url(services: Services, url: str):
    with pytest.raises(ValidationFailed) as refused:
        create(services, url)
    assert refused.value.details[0]["field"] == "url"
    assert listed(services) == []


@pytest.mark.parametrize(("fields", "field"), [
    ({"events": ["message.status", "message.sent"]}, "events[1]"),
    ({"events": ["*", "nope.*"]}, "events[1]"),
    ({"events": ["message"]}, "events[0]"),
    ({"session_ids": ["missing"]}, "session_ids[0]"),
    ({"format_": "zapier"}, "format"),
])
def test_bad_fields_are_a_422_naming_the_field(services: Services, fields: dict[str, Any],
                                               field: str):
    with pytest.raises(ValidationFailed) as refused:
        create(services, **fields)
    assert refused.value.details[0]["field"] == field
    assert listed(services) == []


def test_only_the_tenants_own_sessions_can_be_named(services: Services):
    mine, _ = services.session_service.create(services.acme, "mine", None, None, start=False)
    theirs, _ = services.session_service.create(services.globex, "theirs", None, None,
                                                start=False)
    with pytest.raises(ValidationFailed) as refused:
        create(services, session_ids=[mine.id, theirs.id])
    assert refused.value.details[0]["field"] == "session_ids[1]"
    assert create(services, session_ids=[mine.id]).session_ids == [mine.id]


def test_a_tenant_has_at_most_a_hundred_webhooks(services: Services):
    fill(services, MAX_SUBSCRIPTIONS)
    with pytest.raises(Conflict) as refused:
        create(services)
    assert refused.value.code == "webhook_limit"
    assert len(listed(services)) == MAX_SUBSCRIPTIONS
    assert services.subscription_service.create(services.globex, URL)

    services.subscription_service.delete(services.acme, listed(services)[0].id)
    assert create(services)


# --- read, change, delete -----------------------------------------------------------------------


def test_webhooks_are_listed_in_bounded_pages_of_the_tenant_only(services: Services):
    fill(services, 5)
    services.subscription_service.create(services.globex, URL)
    seen, cursor = [], None
    while True:
        page = services.subscription_service.list(services.acme, 2, cursor)
        assert len(page.items) <= 2
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 5 and {s.tenant_id for s in seen} == {"acme"}


def test_another_tenants_webhook_does_not_exist_for_you(services: Services):
    made = create(services)
    service = services.subscription_service
    with pytest.raises(NotFound):
        service.get(services.globex, made.id)
    with pytest.raises(NotFound):
        service.update(services.globex, made.id, {"description": "mine"})
    with pytest.raises(NotFound):
        service.rotate_secret(services.globex, made.id)
    with pytest.raises(NotFound):
        service.delete(services.globex, made.id)
    assert service.get(services.acme, made.id) == made


def test_a_change_is_checked_like_a_new_webhook(services: Services, clock: FakeClock):
    made = create(services)
    with pytest.raises(ValidationFailed) as refused:
        services.subscription_service.update(services.acme, made.id,
                                             {"url": "http://localhost/x"})
    assert refused.value.details[0]["field"] == "url"
    with pytest.raises(ValidationFailed) as refused:
        services.subscription_service.update(services.acme, made.id, {"events": ["x.*"]})
    assert refused.value.details[0]["field"] == "events[0]"
    assert services.subscription_service.get(services.acme, made.id) == made

    clock.advance(1)
    changed = services.subscription_service.update(services.acme, made.id, {
        "url": "https://new.example.com/h", "events": ["message.*"], "description": None})
    assert (changed.url, changed.events, changed.secret) == (
        "https://new.example.com/h", ["message.*"], made.secret)
    assert changed.updated_at > made.updated_at


def test_enabling_a_disabled_webhook_clears_why_and_its_streak(services: Services):
    made = create(services)
    services.subscriptions.set_failing_since("acme", made.id, "2030-01-01T00:00:00.000Z")
    services.subscription_service.disable("acme", made.id, "failing")
    off = services.subscription_service.get(services.acme, made.id)
    assert (off.enabled, off.disabled_reason) == (False, "failing")
    [notice] = services.events.of_type(EventType.WEBHOOK_DISABLED)
    assert notice.data == {"webhook_id": made.id, "url": URL, "reason": "failing"}

    on = services.subscription_service.update(services.acme, made.id, {"enabled": True})
    assert (on.enabled, on.disabled_reason, on.failing_since) == (True, None, None)


def test_a_deleted_webhook_is_gone(services: Services):
    made = create(services)
    services.subscription_service.delete(services.acme, made.id)
    with pytest.raises(NotFound):
        services.subscription_service.get(services.acme, made.id)
    with pytest.raises(NotFound):
        services.subscription_service.delete(services.acme, made.id)


def test_rotating_keeps_the_old_secret_for_the_overlap(services: Services, clock: FakeClock):
    made = create(services)
    rotated = services.subscription_service.rotate_secret(services.acme, made.id)
    assert rotated.secret.startswith("whsec_") and rotated.secret != made.secret
    assert rotated.previous_secret == made.secret
    assert rotated.signing_secrets(clock.now()) == [rotated.secret, made.secret]


# --- a session's webhook_url --------------------------------------------------------------------


def test_a_sessions_webhook_url_is_a_subscription_bound_to_it(services: Services,
                                                              clock: FakeClock):
    session, bound = services.session_service.create(services.acme, "shop", URL, None,
                                                     start=False)
    other, _ = services.session_service.create(services.acme, "other", None, None, start=False)
    assert bound is not None and bound.secret.startswith("whsec_")
    assert (bound.session_webhook, bound.session_ids, bound.events) == (True, [session.id],
                                                                       ["*"])
    assert listed(services) == [bound]
    assert services.session_service.webhooks(services.acme) == {session.id: [bound]}

    for sid in (session.id, other.id):
        services.delivery_service.fan_out(Event.new(EventType.SESSION_STATUS, "acme", sid,
                                                    {"status": "WORKING"}))
    run_deliveries(services, clock)
    [post] = services.sender.posts
    assert post.url == URL and session.id in post.body.decode()


def test_patching_a_sessions_webhook_url_keeps_its_subscription_and_secret(services: Services,
                                                                          clock: FakeClock):
    session, bound = services.session_service.create(services.acme, "shop", URL, None,
                                                     start=False)
    assert bound is not None
    clock.advance(1)
    _, shown = services.session_service.update(services.acme, session.id,
                                               {"webhook_url": "https://new.example.com/h"})
    assert shown is None  # the secret is shown once, when the subscription is made
    [moved] = listed(services)
    assert (moved.id, moved.secret, moved.url) == (bound.id, bound.secret,
                                                   "https://new.example.com/h")

    with pytest.raises(ValidationFailed) as refused:
        services.session_service.update(services.acme, session.id,
                                        {"webhook_url": "http://localhost/x", "name": "n"})
    assert refused.value.details[0]["field"] == "webhook_url"
    assert listed(services) == [moved]
    assert services.session_service.get(services.acme, session.id).name == "shop"


def test_a_session_gets_a_webhook_by_patch_and_loses_it_with_none(services: Services,
                                                                  clock: FakeClock):
    session, none = services.session_service.create(services.acme, "shop", None, None,
                                                    start=False)
    assert none is None and listed(services) == []
    _, made = services.session_service.update(services.acme, session.id, {"webhook_url": URL})
    assert made is not None and made.secret.startswith("whsec_")
    assert listed(services) == [made]

    _, gone = services.session_service.update(services.acme, session.id, {"webhook_url": None})
    assert gone is None and listed(services) == []
    with pytest.raises(NotFound):
        services.session_service.update(services.globex, session.id, {"webhook_url": URL})
    assert listed(services) == []


def test_deleting_a_session_removes_its_webhook_only(services: Services):
    session, _ = services.session_service.create(services.acme, "shop", URL, None, start=False)
    kept = create(services, "https://crm.example.com/h", session_ids=[session.id])
    services.session_service.delete(services.acme, session.id)
    assert listed(services) == [kept]


def test_a_session_is_not_created_when_its_webhook_would_pass_the_limit(services: Services):
    fill(services, MAX_SUBSCRIPTIONS)
    with pytest.raises(Conflict) as refused:
        services.session_service.create(services.acme, "shop", URL, None, start=True)
    assert refused.value.code == "webhook_limit"
    assert services.session_service.list(services.acme, 10, None).items == []
    assert services.fleet.calls == []

    session, _ = services.session_service.create(services.acme, "shop", None, None,
                                                 start=False)
    with pytest.raises(Conflict):
        services.session_service.update(services.acme, session.id, {"webhook_url": URL})


def test_a_format_limited_to_some_events_carries_only_those(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import webhook_formats

    monkeypatch.setitem(webhook_formats._FORMATS, "inbox", lambda event: {})
    monkeypatch.setitem(webhook_formats._CARRIES, "inbox", ("message.received",))
    everything = create(services, format_="inbox")
    assert everything.events == ["message.received"]
    narrowed = create(services, events=["message.*"], format_="inbox")
    assert narrowed.events == ["message.received"]
    with pytest.raises(ValidationFailed) as refused:
        create(services, events=["message.status"], format_="inbox")
    assert refused.value.details[0]["field"] == "events[0]"
    standard = create(services, events=["message.status"])
    with pytest.raises(ValidationFailed):
        services.subscription_service.update(services.acme, standard.id, {"format": "inbox"})
    moved = services.subscription_service.update(
        services.acme, standard.id, {"format": "inbox", "events": ["*"]})
    assert (moved.format, moved.events) == ("inbox", ["message.received"])
