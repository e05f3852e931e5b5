"""MessagingService on fakes: accepting (readiness, schedules, expiry, quotas, templates,
limits), delivering (once, waiting for a session, unknown outcomes, expiry, poison), the
reconciler, and cancel / forward / edit / revoke / star."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import (
    AppError,
    Conflict,
    NotFound,
    OutcomeUnknown,
    SessionUnavailable,
    Unavailable,
    ValidationFailed,
)
from chalicelib.domain.events import EventType
from chalicelib.domain.messages import Direction, Message, MessageStatus, StatusChange
from chalicelib.domain.quotas import Limits, QuotaExceeded
from chalicelib.domain.sessions import SessionStatus
from chalicelib.services.media import MediaSource
from chalicelib.services.messaging import SESSION_WAIT, STUCK_AFTER, Draft
from tests.fakes import FakeClock, HandedOver, Services

TO = "+14155552671"
CHAT = "14155552671@s.whatsapp.net"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def draft(session_id: str, text: str = "hello", **fields: Any) -> Draft:
    return Draft(session_id=session_id, to=TO, body={"text": text}, **fields)


def statuses(services: Services, message_id: str) -> list[str]:
    """The message's history as its statuses."""
    return [h.status.value for h in services.messages.get("acme", message_id).history]


def status_events(services: Services, message_id: str) -> list[str]:
    return [e.data["status"] for e in services.events.of_type(EventType.MESSAGE_STATUS)
            if e.data["message_id"] == message_id]


@pytest.fixture
def sid(services: Services) -> str:
    """A session that can send."""
    return services.working_session().id


# --- accepting: readiness -----------------------------------------------------------------------


@pytest.mark.parametrize(("arrange", "reason"), [
    ("stopped", "session_stopped"),
    ("starting", "session_not_paired"),
    ("scan_qr", "session_not_paired"),
    ("failed", "session_failed"),
    ("logged_out", "session_logged_out"),
])
def test_a_session_that_cannot_send_refuses_at_once_and_nothing_is_kept(
        services: Services, arrange: str, reason: str):
    acme = services.acme
    if arrange == "stopped":
        session, _ = services.session_service.create(acme, "s", None, None, start=False)
    elif arrange == "starting":
        session, _ = services.session_service.create(acme, "s", None, None, start=True)
    elif arrange == "logged_out":
        session = services.working_session()
        services.session_service.stop(acme, session.id, logout=True)
    else:
        session, _ = services.session_service.create(acme, "s", None, None, start=True)
        status = SessionStatus.SCAN_QR if arrange == "scan_qr" else SessionStatus.FAILED
        services.fleet.adopt("acme", session.id, status, reason="too_many_reconnects")

    with pytest.raises(Conflict) as refused:
        services.messaging.send(acme, draft(session.id))

    assert (refused.value.status, refused.value.code) == (409, "session_not_ready")
    assert refused.value.details[0]["reason"] == reason
    assert services.messaging.list(acme, None, None, 10, None).items == []
    assert all(not lane.sent for lane in services.lanes.values())
    assert services.account.account(acme)["usage"]["messages_today"] == 0


def test_a_paired_session_that_is_reconnecting_takes_messages(services: Services):
    session, _ = services.session_service.create(services.acme, "s", None, None, start=True)
    services.fleet.adopt("acme", session.id, SessionStatus.STARTING, phone="+14155550100")
    message = services.messaging.send(services.acme, draft(session.id))
    assert message.status == MessageStatus.QUEUED


def test_an_unknown_or_other_tenants_session_is_a_422_on_session_id(services: Services,
                                                                     sid: str):
    for who, session_id in ((services.acme, "nope"), (services.globex, sid)):
        with pytest.raises(ValidationFailed) as refused:
            services.messaging.send(who, draft(session_id))
        assert refused.value.details[0]["field"] == "session_id"


# --- accepting: schedules and expiry ------------------------------------------------------------


def test_a_message_due_within_fifteen_minutes_waits_on_its_queue_and_is_never_early(
        services: Services, clock: FakeClock, sid: str):
    due = clock.now() + timedelta(seconds=600, milliseconds=250)
    message = services.messaging.send(services.acme, draft(sid, schedule_at=due))

    assert message.status == MessageStatus.SCHEDULED
    [record] = services.lanes["normal"].sent
    assert record.delay_seconds == 601 and record.visible_at >= due
    assert services.scheduler.schedules == {}
    clock.advance(600)
    assert services.run_send_worker() == 0  # still invisible on the queue
    clock.advance(1)
    assert services.run_send_worker() == 1
    sent = services.messaging.get(services.acme, message.id)
    assert sent.status == MessageStatus.SENT
    assert sent.timestamps["sending"] >= sent.schedule_at


def test_a_message_due_later_goes_through_the_scheduler_on_the_next_whole_second(
        services: Services, clock: FakeClock, sid: str):
    due = clock.now() + timedelta(days=2, milliseconds=400)
    message = services.messaging.send(services.acme, draft(sid, schedule_at=due))

    assert all(not lane.sent for lane in services.lanes.values())
    [schedule] = services.scheduler.schedules.values()
    assert schedule.fires_at >= due and schedule.fires_at - due < timedelta(seconds=1)
    assert schedule.queue_arn == services.lanes["normal"].arn
    clock.moment = schedule.fires_at
    assert services.scheduler.fire(services.lanes) == 1
    services.run_send_worker()
    assert services.status(services.acme, message.id) == "sent"


def test_a_record_that_arrives_early_hops_through_the_queue_until_due(
        services: Services, clock: FakeClock, sid: str):
    due = clock.now() + timedelta(hours=1, seconds=30)
    message = services.messaging.send(services.acme, draft(sid, schedule_at=due))
    services.lanes["normal"].send({"tenant_id": "acme", "message_id": message.id})  # early

    hops = []
    while services.status(services.acme, message.id) == "scheduled":
        services.run_send_worker()
        hops += [s.delay_seconds for s in services.lanes["normal"].sent]
        clock.moment = min(s.visible_at for s in services.lanes["normal"].sent) \
            if services.lanes["normal"].sent else clock.moment
    assert hops == [900, 900, 900, 900, 30]
    [handed] = services.fleet.operations("send")
    assert clock.now() >= due
    assert services.messages.get("acme", message.id).timestamps["sending"] >= \
        services.messages.get("acme", message.id).schedule_at
    assert handed.body["message_id"] == message.id


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"schedule_at": -10}, "schedule_at", "in the past"),
    ({"schedule_at": 35 * 86_400 + 1}, "schedule_at", "35 days"),
    ({"expires_at": -1}, "expires_at", "in the past"),
    ({"expires_at": 60, "ttl_seconds": 60}, "ttl_seconds", "not both"),
    ({"schedule_at": 120, "ttl_seconds": 60}, "ttl_seconds", "not after schedule_at"),
])
def test_impossible_timings_are_refused(services: Services, clock: FakeClock, sid: str,
                                        fields: dict[str, int], field: str, words: str):
    values: dict[str, Any] = {
        name: clock.now() + timedelta(seconds=value) if name != "ttl_seconds" else value
        for name, value in fields.items()}
    with pytest.raises(ValidationFailed) as refused:
        services.messaging.send(services.acme, draft(sid, **values))
    assert refused.value.details[0]["field"] == field and words in refused.value.message
    assert services.messaging.list(services.acme, None, None, 10, None).items == []


def test_a_schedule_a_moment_in_the_past_is_sent_now(services: Services, clock: FakeClock,
                                                     sid: str):
    message = services.messaging.send(services.acme, draft(
        sid, schedule_at=clock.now() - timedelta(seconds=2)))
    assert message.status == MessageStatus.QUEUED
    assert services.lanes["normal"].sent[0].delay_seconds == 0


def test_a_message_that_expires_while_queued_is_never_sent(services: Services,
                                                           clock: FakeClock, sid: str):
    message = services.messaging.send(services.acme, draft(sid, ttl_seconds=30))
    clock.advance(31)
    services.run_send_worker()
    assert services.status(services.acme, message.id) == "expired"
    assert services.fleet.operations("send") == []
    assert status_events(services, message.id) == ["expired"]


def test_priorities_use_their_own_lanes(services: Services, sid: str):
    from chalicelib.domain.messages import Priority

    services.messaging.send(services.acme, draft(sid, priority=Priority.HIGH))
    services.messaging.send(services.acme, draft(sid, priority=Priority.BULK))
    assert [len(services.lanes[n].sent) for n in ("high", "normal", "bulk")] == [1, 0, 1]


# --- accepting: quotas, templates, limits -------------------------------------------------------


def test_the_daily_quota_refuses_the_next_message_until_midnight(services: Services,
                                                                  sid: str):
    services.account.set_limits(services.admin, "acme", Limits(messages_per_day=2))
    for _ in range(2):
        services.messaging.send(services.acme, draft(sid))
    with pytest.raises(QuotaExceeded) as refused:
        services.messaging.send(services.acme, draft(sid))
    assert (refused.value.status, refused.value.code) == (429, "quota_exceeded")
    assert refused.value.headers == {"Retry-After": str(15 * 3600)}  # the clock says 09:00
    assert len(services.messaging.list(services.acme, None, None, 10, None).items) == 2
    other = services.working_session(services.globex)
    assert services.messaging.send(services.globex, draft(other.id))


def test_the_monthly_quota_counts_too(services: Services, sid: str):
    services.account.set_limits(services.admin, "acme",
                                Limits(messages_per_day=10, messages_per_month=1))
    services.messaging.send(services.acme, draft(sid))
    with pytest.raises(QuotaExceeded, match="monthly"):
        services.messaging.send(services.acme, draft(sid))


def test_a_template_fills_the_text_or_the_caption(services: Services, sid: str):
    template = services.template_service.create(services.acme, "greet",
                                                "Hello {{name}}, order {{ order }}")
    text = services.messaging.send(services.acme, Draft(
        session_id=sid, to=TO, template_id=template.id,
        variables={"name": "Ann", "order": "42"}))
    assert text.text == "Hello Ann, order 42"

    services.fetcher.files["https://cdn.example.com/cat.png"] = (PNG, "image/png", "cat.png")
    image = services.messaging.send(services.acme, Draft(
        session_id=sid, to=TO, type="image", template_id=template.id,
        media=MediaSource(url="https://cdn.example.com/cat.png"),
        variables={"name": "Bo", "order": "7"}))
    assert image.content["caption"] == "Hello Bo, order 7"
    assert services.media.read("acme", _media(image)) == PNG


def _media(message: Message) -> Any:
    from chalicelib.domain.content import StoredMedia

    return StoredMedia.model_validate(message.content["media"])


@pytest.mark.parametrize(("case", "field"), [
    ("missing variable", "variables.order"),
    ("unknown template", "template_id"),
    ("other tenant's template", "template_id"),
    ("type without text", "template_id"),
])
def test_a_template_that_cannot_be_filled_is_a_422_naming_why(services: Services, sid: str,
                                                              case: str, field: str):
    owner = services.globex if case == "other tenant's template" else services.acme
    template = services.template_service.create(owner, "t", "Hi {{name}} {{order}}")
    fields: dict[str, Any] = {"template_id": "nope" if case == "unknown template"
                              else template.id, "variables": {"name": "Ann"}}
    if case != "missing variable":
        fields["variables"]["order"] = "1"
    if case == "type without text":
        fields.update(type="location", body={"latitude": 1.0, "longitude": 2.0})
    with pytest.raises(ValidationFailed) as refused:
        services.messaging.send(services.acme, Draft(session_id=sid, to=TO, **fields))
    assert refused.value.details[0]["field"] == field
    assert services.messaging.list(services.acme, None, None, 10, None).items == []


def test_text_and_metadata_are_bounded_in_utf8_bytes(services: Services, sid: str):
    acme = services.acme
    assert services.messaging.send(acme, draft(sid, "€" * 21_845))  # 65,535 bytes
    refusals = [
        (draft(sid, "€" * 21_846), "text"),
        (draft(sid, metadata={f"k{i}": "v" for i in range(21)}), "metadata"),
        (draft(sid, metadata={"k" * 65: "v"}), "metadata"),
        (draft(sid, metadata={"ref": "é" * 513}), "metadata.ref"),
    ]
    for refused_draft, field in refusals:
        with pytest.raises(ValidationFailed) as refused:
            services.messaging.send(acme, refused_draft)
        assert refused.value.details[0]["field"] == field
    assert services.messaging.send(acme, draft(sid, metadata={"ref": "é" * 512}))
    assert len(services.messaging.list(acme, None, None, 10, None).items) == 2


def test_a_queue_outage_fails_the_message_visibly_and_says_so(services: Services, sid: str):
    services.lanes["normal"].outage = ConnectionError("sqs is down")
    with pytest.raises(Unavailable) as refused:
        services.messaging.send(services.acme, draft(sid))
    assert (refused.value.status, refused.value.code) == (503, "queue_unavailable")
    [message] = services.messaging.list(services.acme, None, None, 10, None).items
    assert message.status == MessageStatus.FAILED
    assert message.history[-1].reason == "enqueue_failed"


def test_a_reply_quotes_only_a_message_that_reached_whatsapp(services: Services, sid: str):
    first = services.messaging.send(services.acme, draft(sid, "first"))
    with pytest.raises(ValidationFailed, match="has not reached WhatsApp"):
        services.messaging.send(services.acme, draft(sid, reply_to=first.id))
    services.run_send_worker()
    reply = services.messaging.send(services.acme, draft(sid, "second", reply_to=first.id))
    sent_first = services.messaging.get(services.acme, first.id)
    assert reply.quoted["engine_message_id"] == sent_first.engine_message_id
    assert reply.quoted["text"] == "first"


# --- delivering ---------------------------------------------------------------------------------


def test_a_redelivered_record_never_sends_twice(services: Services, sid: str):
    message = services.messaging.send(services.acme, draft(sid))
    services.run_send_worker()
    services.messaging.deliver("acme", message.id, receive_count=2)  # SQS delivered it again

    assert len(services.fleet.operations("send")) == 1
    assert statuses(services, message.id) == ["queued", "sending", "sent"]


def test_while_no_host_can_take_it_a_message_waits_two_minutes_then_fails(
        services: Services, clock: FakeClock, sid: str):
    services.fleet.script("send", *[SessionUnavailable("host restarting")] * 40)
    message = services.messaging.send(services.acme, draft(sid))
    delays = []
    while services.status(services.acme, message.id) == "queued":
        services.run_send_worker()
        retry = services.lanes["normal"].sent
        if retry:
            delays.append(retry[0].delay_seconds)
            clock.moment = retry[0].visible_at

    assert delays[:8] == [1, 1, 2, 3, 5, 8, 13, 15] and set(delays[8:]) == {15}
    assert sum(delays) >= SESSION_WAIT.total_seconds() > sum(delays) - delays[-1]
    failed = services.messaging.get(services.acme, message.id)
    assert failed.status == MessageStatus.FAILED and failed.error["code"] == "session_unavailable"
    assert status_events(services, message.id) == ["failed"]
    assert len(services.fleet.operations("send")) == len(delays) + 1


def test_a_host_that_comes_back_in_time_sends_the_message_once(services: Services,
                                                                clock: FakeClock, sid: str):
    services.fleet.script("send", SessionUnavailable("gone"), OutcomeUnknown("reset"))
    message = services.messaging.send(services.acme, draft(sid))
    for _ in range(3):
        services.run_send_worker()
        clock.advance(2)
    sent = services.messages.get("acme", message.id)
    assert sent.status == MessageStatus.SENT
    assert statuses(services, message.id) == ["queued", "sending", "queued", "sending",
                                              "queued", "sending", "sent"]
    assert sent.timestamps["sending"] == sent.history[1].at  # when it was first claimed


def test_an_unknown_outcome_after_the_hand_over_is_never_retried_blindly(
        services: Services, clock: FakeClock, sid: str):
    services.fleet.script("send", HandedOver(OutcomeUnknown("the host did not answer")))
    message = services.messaging.send(services.acme, draft(sid))
    services.run_send_worker()
    services.messaging.deliver("acme", message.id, receive_count=2)

    assert services.status(services.acme, message.id) == "sending"  # visibly in flight
    assert all(not lane.sent for lane in services.lanes.values())
    clock.advance(STUCK_AFTER.total_seconds() - 1)
    assert services.messaging.reconcile() == 0
    clock.advance(2)
    assert services.messaging.reconcile() == 1

    failed = services.messaging.get(services.acme, message.id)
    assert failed.status == MessageStatus.FAILED and failed.error["code"] == "outcome_unknown"
    assert len(services.fleet.operations("send")) == 1 and services.fleet.repeats == []
    assert status_events(services, message.id) == ["failed"]


def test_a_worker_that_died_after_its_claim_is_covered_by_the_reconciler(
        services: Services, clock: FakeClock, sid: str):
    services.fleet.script("send", RuntimeError("the worker's Lambda timed out"))
    message = services.messaging.send(services.acme, draft(sid))
    with pytest.raises(RuntimeError):
        services.run_send_worker()
    assert services.status(services.acme, message.id) == "sending"

    clock.advance(STUCK_AFTER.total_seconds() + 1)
    assert services.messaging.reconcile() == 1
    services.run_send_worker()
    assert services.status(services.acme, message.id) == "sent"
    assert services.fleet.repeats == []


@pytest.mark.parametrize(("code", "status"), [("not_on_whatsapp", "failed"),
                                              ("expired", "expired")])
def test_a_host_refusal_ends_the_message(services: Services, sid: str, code: str, status: str):
    services.fleet.script("send", AppError("refused by the engine", code=code))
    message = services.messaging.send(services.acme, draft(sid))
    services.run_send_worker()
    ended = services.messaging.get(services.acme, message.id)
    assert ended.status.value == status and ended.history[-1].reason == code
    assert status_events(services, message.id) == [status]


def test_a_session_stopped_or_deleted_after_accepting_fails_its_messages(services: Services):
    stopped, deleted = services.working_session(), services.working_session(name="b")
    first = services.messaging.send(services.acme, draft(stopped.id))
    second = services.messaging.send(services.acme, draft(deleted.id))
    services.session_service.stop(services.acme, stopped.id)
    services.session_service.delete(services.acme, deleted.id)
    services.run_send_worker()
    assert services.messages.get("acme", first.id).history[-1].reason == "session_stopped"
    assert services.messages.get("acme", second.id).history[-1].reason == "session_deleted"
    assert services.fleet.operations("send") == []


def test_a_poison_record_fails_its_message_but_never_a_sent_one(services: Services, sid: str):
    stuck = services.messaging.send(services.acme, draft(sid))
    services.messaging.fail_poison("acme", stuck.id, "KeyError: 'chat'")
    failed = services.messaging.get(services.acme, stuck.id)
    assert failed.status == MessageStatus.FAILED
    assert failed.error == {"code": "poison", "message": "KeyError: 'chat'"}

    sent = services.messaging.send(services.acme, draft(sid))
    services.run_send_worker()
    services.messaging.fail_poison("acme", sent.id, "late")
    assert services.status(services.acme, sent.id) == "sent"


# --- the reconciler -----------------------------------------------------------------------------


def test_a_scheduled_message_whose_schedule_was_lost_is_queued_again(
        services: Services, clock: FakeClock, sid: str):
    due = clock.now() + timedelta(minutes=20)
    message = services.messaging.send(services.acme, draft(sid, schedule_at=due))
    services.scheduler.schedules.clear()  # lost

    clock.moment = due + STUCK_AFTER - timedelta(seconds=1)
    assert services.messaging.reconcile() == 0
    clock.advance(2)
    assert services.messaging.reconcile() == 1
    services.run_send_worker()
    assert services.status(services.acme, message.id) == "sent"
    assert services.messaging.reconcile() == 0


def test_the_reconciler_leaves_recent_and_finished_messages_alone(services: Services,
                                                                  clock: FakeClock, sid: str):
    services.fleet.script("send", HandedOver(OutcomeUnknown("?")))
    unknown = services.messaging.send(services.acme, draft(sid))
    services.run_send_worker()
    done = services.messaging.send(services.acme, draft(sid))
    services.run_send_worker()
    assert services.messaging.reconcile() == 0
    clock.advance(3600)
    assert services.messaging.reconcile() == 1
    assert services.status(services.acme, unknown.id) == "failed"
    assert services.status(services.acme, done.id) == "sent"


# --- cancel, forward, act -----------------------------------------------------------------------


def test_a_canceled_message_is_never_sent(services: Services, sid: str):
    message = services.messaging.send(services.acme, draft(sid))
    canceled = services.messaging.cancel(services.acme, message.id)
    services.run_send_worker()
    assert canceled.status == MessageStatus.CANCELED
    assert services.fleet.operations("send") == []
    assert status_events(services, message.id) == ["canceled"]


def test_canceling_a_scheduled_message_removes_its_schedule(services: Services,
                                                            clock: FakeClock, sid: str):
    message = services.messaging.send(services.acme, draft(
        sid, schedule_at=clock.now() + timedelta(days=1)))
    services.messaging.cancel(services.acme, message.id)
    assert services.scheduler.schedules == {}


def test_only_unsent_messages_of_ones_own_tenant_can_be_canceled(services: Services, sid: str):
    message = services.messaging.send(services.acme, draft(sid))
    with pytest.raises(NotFound):
        services.messaging.cancel(services.globex, message.id)
    services.run_send_worker()
    with pytest.raises(Conflict) as refused:
        services.messaging.cancel(services.acme, message.id)
    assert refused.value.code == "not_cancelable"
    assert services.status(services.acme, message.id) == "sent"


def test_forwarding_sends_the_same_content_to_another_chat(services: Services, sid: str):
    original = services.messaging.send(services.acme, draft(sid, "look at this"))
    forwarded = services.messaging.forward(services.acme, original.id, "+447911123456", None)
    services.run_send_worker()

    assert forwarded.content == original.content and forwarded.chat != original.chat
    assert forwarded.metadata == {"forwarded_from": original.id}
    assert services.status(services.acme, forwarded.id) == "sent"


def test_a_reaction_cannot_be_forwarded(services: Services, sid: str):
    target = services.messaging.send(services.acme, draft(sid))
    services.run_send_worker()
    reaction = services.messaging.send(services.acme, Draft(
        session_id=sid, to=TO, type="reaction", body={"message_id": target.id, "emoji": "👍"}))
    with pytest.raises(ValidationFailed) as refused:
        services.messaging.forward(services.acme, reaction.id, TO, None)
    assert refused.value.details[0]["field"] == "message_id"


def test_editing_a_sent_text_asks_its_host_and_keeps_the_new_text(services: Services, sid: str):
    message = services.messaging.send(services.acme, draft(sid, "helo"))
    services.run_send_worker()
    engine_id = services.messages.get("acme", message.id).engine_message_id

    edited = services.messaging.act(services.acme, message.id, "edit", {"text": "hello"})

    [call] = services.fleet.operations("messages.edit")
    assert call.body == {"chat": CHAT, "engine_message_id": engine_id, "text": "hello"}
    assert edited.text == "hello" and edited.content["text"] == "hello" and edited.edited_at


def test_what_cannot_be_edited_or_revoked_is_refused_before_the_host_is_asked(
        services: Services, sid: str):
    queued = services.messaging.send(services.acme, draft(sid))
    with pytest.raises(Conflict, match="not on WhatsApp") as not_sent:
        services.messaging.act(services.acme, queued.id, "edit", {"text": "x"})
    assert not_sent.value.code == "not_sent"

    session = services.sessions.get("acme", sid)
    assert session is not None
    stamp = "2030-01-07T08:00:00.000Z"
    inbound = Message(id="IN1", tenant_id="acme", session_id=sid, direction=Direction.INBOUND,
                      chat=CHAT, sender=CHAT, text="hi", status=MessageStatus.RECEIVED,
                      engine_message_id="3EB0IN", created_at=stamp, updated_at=stamp,
                      history=[StatusChange(status=MessageStatus.RECEIVED, at=stamp)])
    assert services.messages.store_inbound(inbound, services.fleet.HOST_ID, session.fence)
    for action in ("edit", "revoke"):
        with pytest.raises(Conflict) as refused:
            services.messaging.act(services.acme, "IN1", action, {"text": "x"})
        assert refused.value.code == "not_own_message"
    assert services.fleet.operations("messages.edit") == []
    starred = services.messaging.act(services.acme, "IN1", "star", {"starred": True})
    assert starred.starred



# --- media --------------------------------------------------------------------------------------


def test_media_comes_from_an_allowed_url_and_back_to_its_tenant_only(services: Services,
                                                                     sid: str):
    services.fetcher.files["https://cdn.example.com/cat.png"] = (PNG, "image/png", "cat.png")
    image = services.messaging.send(services.acme, Draft(
        session_id=sid, to=TO, type="image",
        media=MediaSource(url="https://cdn.example.com/cat.png")))

    media, data = services.messaging.media(services.acme, image.id)
    assert (media.mime_type, media.filename, data) == ("image/png", "cat.png", PNG)
    with pytest.raises(NotFound):
        services.messaging.media(services.globex, image.id)


@pytest.mark.parametrize(("source", "field"), [
    (MediaSource(url="http://169.254.169.254/latest/meta-data"), "image.url"),
    (MediaSource(url="https://cdn.example.com/missing.png"), "image.url"),
    (MediaSource(base64="bm90IGFuIGltYWdl"), "image"),  # "not an image"
    (MediaSource(), "image"),
])
def test_media_that_cannot_be_used_is_a_422_and_nothing_is_stored(services: Services, sid: str,
                                                                  source: MediaSource,
                                                                  field: str):
    with pytest.raises(ValidationFailed) as refused:
        services.messaging.send(services.acme, Draft(session_id=sid, to=TO, type="image",
                                                     media=source))
    assert refused.value.details[0]["field"] == field
    assert services.media_store.objects == {}
    assert services.messaging.list(services.acme, None, None, 10, None).items == []


# --- concealed parts (OTP codes) ----------------------------------------------------------------


def test_a_concealed_code_is_stored_masked_and_only_the_send_carries_it(
        services: Services, sid: str):
    accepted = services.messaging.send(services.acme, draft(
        sid, "Your code is 482913. It expires in 10 minutes.", conceal=("482913",)))

    stored = services.messages.get("acme", accepted.id)
    assert stored.text == "Your code is ******. It expires in 10 minutes."
    assert stored.content["text"] == stored.text
    assert "482913" not in repr(services.messages.item("acme", accepted.id))
    assert stored.sealed and "482913" not in stored.sealed

    services.run_send_worker()
    (handed,) = services.fleet.operations("send")
    assert handed.body["content"]["text"] == "Your code is 482913. It expires in 10 minutes."
    assert handed.body["text"] == stored.text  # what the host shows in chat lists: masked
    assert statuses(services, accepted.id)[-1] == "sent"


def test_a_sealed_text_another_pepper_cannot_open_fails_and_is_never_sent(
        services: Services, sid: str):
    accepted = services.messaging.send(services.acme, draft(sid, "code 1234",
                                                            conceal=("1234",)))
    services.messages.update_fields("acme", accepted.id, {"sealed": "bm90LXNlYWxlZA=="})

    services.run_send_worker()

    failed = services.messages.get("acme", accepted.id)
    assert failed.status == MessageStatus.FAILED and failed.error["code"] == "sealed_unreadable"
    assert not services.fleet.operations("send")
