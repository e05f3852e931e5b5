"""/v1/campaigns through the HTTP API on moto: create (inline, upload, template, media),
start, the tick's releases over the sessions, progress that adds up, pause, resume, cancel,
end_at, windows, daily limits, opted-out numbers, exactly once through crashes and
redeliveries, isolation, scopes and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.bootstrap import container
from chalicelib.domain import clock
from tests.conftest import (
    RunningHost,
    Tenant,
    assert_error,
    call,
    queue_url,
    run_worker,
    wait_for,
)
from tests.samples import b64, png

FAST = {"min_s": 0, "max_s": 0}


def phones(count: int, start: int = 1) -> list[dict[str, Any]]:
    """Numbers on WhatsApp (the sandbox says numbers ending 0000 are not)."""
    return [{"to": f"+1415555{start + i:04d}"} for i in range(count)]


def create(tenant: Tenant, session_ids: list[str], **fields: Any) -> dict[str, Any]:
    body = {"name": "launch", "session_ids": session_ids,
            "message": {"type": "text", "text": "Hello"}, "message_interval": FAST, **fields}
    created = tenant.call("POST", "/v1/campaigns", body)
    assert created.status_code == 201, created.body
    return created.json


def start(tenant: Tenant, campaign_id: str) -> dict[str, Any]:
    started = tenant.call("POST", f"/v1/campaigns/{campaign_id}/start")
    assert started.status_code == 200, started.body
    return started.json


def tick(tenant: Tenant, campaign_id: str) -> None:
    """The campaign's next tick, now (what its tick record does when it arrives)."""
    campaign = container().campaigns.get(tenant.id, campaign_id)
    assert campaign is not None
    container().campaign_service.tick(tenant.id, campaign_id, campaign.tick_id)


def drain(tenant: Tenant, campaign_id: str, rounds: int = 30) -> dict[str, Any]:
    """Tick and send until the campaign is over; the campaign as GET shows it."""
    got: dict[str, Any] = {}
    for _ in range(rounds):
        tick(tenant, campaign_id)
        run_worker(resources.OUTBOUND_BULK)
        got = tenant.call("GET", f"/v1/campaigns/{campaign_id}").json
        if got["status"] in ("completed", "canceled"):
            break
    return got


def sent(host: RunningHost) -> list[tuple[str, str, str]]:
    """(session id, recipient JID, text) of every message the sandbox engine sent."""
    return [(sid, str(out.to), getattr(out.content, "text", None)
             or getattr(out.content, "caption", ""))
            for sid, _, out in host.engine.outbox]


def adds_up(progress: dict[str, int]) -> bool:
    parts = ("pending", "queued", "sent", "delivered", "read", "failed", "skipped", "opted_out")
    return sum(progress[p] for p in parts) == progress["total"]


def second_session(tenant: Tenant) -> str:
    sid = tenant.call("POST", "/v1/sessions", {"name": "second"}).json["id"]
    wait_for(lambda: tenant.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
    tenant.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550199"})
    wait_for(lambda: tenant.call("GET", f"/v1/sessions/{sid}").json["status"] == "WORKING")
    return sid


def events(tenant: Tenant, types: str = "campaign.*") -> list[dict[str, Any]]:
    run_worker(resources.EVENT_QUEUE)
    return tenant.call("GET", f"/v1/events?types={types}&limit=100").json["items"]


@pytest.fixture(autouse=True)
def _prompt_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The send worker sees a pause at once (no status cache) and looks again after 1 s."""
    monkeypatch.setattr("chalicelib.services.campaigns.GATE_CACHE_S", 0)
    monkeypatch.setattr("chalicelib.services.messaging.delivery.CAMPAIGN_PAUSED_WAIT_S", 1)


def test_every_recipient_gets_one_personal_message(acme: Tenant, working: str,
                                                   host: RunningHost):
    created = create(acme, [working], message={"type": "text", "text": "Hi {{name}}"},
                     recipients=[{"to": "+14155550001", "variables": {"name": "Ann"}},
                                 {"to": "14155550002@c.us", "variables": {"name": "Bob"}},
                                 {"to": "+1 415 555 0001", "variables": {"name": "Ann again"}},
                                 {"to": "nonsense", "variables": {"name": "X"}},
                                 {"to": "+14155550003"}])
    assert created["status"] == "draft" and created["variables"] == ["name"]
    assert created["progress"]["total"] == 2 and created["progress"]["pending"] == 2
    assert (created["duplicates"], created["invalid"]) == (1, 2)
    assert [e["message"] for e in created["errors"]][1] == "missing variable name"
    assert start(acme, created["id"])["status"] == "running"
    final = drain(acme, created["id"])
    assert final["status"] == "completed" and final["reason"] is None, final
    assert adds_up(final["progress"]) and final["progress"]["pending"] == 0
    assert sorted(t for _, _, t in sent(host)) == ["Hi Ann", "Hi Bob"]
    listed = acme.call("GET", f"/v1/campaigns/{created['id']}/recipients").json
    assert sorted(i["to"] for i in listed["items"]) == ["14155550001@s.whatsapp.net",
                                                        "14155550002@s.whatsapp.net"]
    for item in listed["items"]:
        message = acme.call("GET", f"/v1/messages/{item['message_id']}").json
        assert message["campaign_id"] == created["id"] and message["priority"] == "bulk"
        assert message["category"] == "marketing"
    kinds = [e["type"] for e in events(acme)]
    assert kinds[0] == "campaign.started" and kinds[-1] == "campaign.completed"
    assert [e["data"]["percent"] for e in events(acme, "campaign.progress")] == list(
        range(10, 101, 10))


def test_sends_rotate_over_the_working_sessions(acme: Tenant, working: str,
                                                host: RunningHost):
    other = second_session(acme)
    stopped = acme.call("POST", "/v1/sessions", {"name": "idle", "start": False}).json["id"]
    created = create(acme, [working, stopped, other], recipients=phones(6))
    start(acme, created["id"])
    assert drain(acme, created["id"])["status"] == "completed"
    by_session = [sid for sid, _, _ in sent(host)]
    assert sorted(by_session) == sorted([working] * 3 + [other] * 3)


def test_progress_and_recipients_by_status(acme: Tenant, working: str, host: RunningHost):
    optout = acme.call("POST", "/v1/opt-outs", {"phone": "+14155550002"})
    assert optout.status_code == 201, optout.body
    created = create(acme, [working], recipients=phones(4))
    start(acme, created["id"])
    final = drain(acme, created["id"])
    assert final["progress"]["opted_out"] == 1 and adds_up(final["progress"])
    assert "14155550002@s.whatsapp.net" not in [to for _, to, _ in sent(host)]
    opted = acme.call("GET", f"/v1/campaigns/{created['id']}/recipients?status=opted_out").json
    assert [(i["to"], i["reason"]) for i in opted["items"]] == [
        ("14155550002@s.whatsapp.net", "opted_out")]
    wait_for(lambda: acme.call("GET", f"/v1/campaigns/{created['id']}").json["progress"]
             ["read"] == 3)


def test_pause_holds_released_messages_and_resume_sends_them(acme: Tenant, working: str,
                                                             host: RunningHost):
    created = create(acme, [working], recipients=phones(3))
    start(acme, created["id"])
    tick(acme, created["id"])  # all three released, their records due now
    paused = acme.call("POST", f"/v1/campaigns/{created['id']}/pause")
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    assert paused.json["reason"] == "api"
    run_worker(resources.OUTBOUND_BULK)
    assert sent(host) == []
    progress = acme.call("GET", f"/v1/campaigns/{created['id']}").json["progress"]
    assert progress["queued"] == 3 and adds_up(progress)
    tick(acme, created["id"])  # a paused campaign's tick does nothing
    assert_error(acme.call("POST", f"/v1/campaigns/{created['id']}/pause"), 409,
                 "campaign_paused")
    assert acme.call("POST", f"/v1/campaigns/{created['id']}/resume").json["status"] \
        == "running"

    def all_sent() -> bool:
        run_worker(resources.OUTBOUND_BULK)
        return len(sent(host)) == 3

    wait_for(all_sent)
    assert drain(acme, created["id"])["status"] == "completed"
    assert [e["type"] for e in events(acme)][:3] == [
        "campaign.started", "campaign.paused", "campaign.resumed"]


def test_cancel_skips_whoever_was_not_sent(acme: Tenant, working: str, host: RunningHost):
    created = create(acme, [working], recipients=phones(10),
                     message_interval={"min_s": 30, "max_s": 30})
    start(acme, created["id"])
    tick(acme, created["id"])  # now, +30 s (and +60 s): two or three released
    canceled = acme.call("POST", f"/v1/campaigns/{created['id']}/cancel")
    assert canceled.json["status"] == "canceled", canceled.body
    run_worker(resources.OUTBOUND_BULK)
    assert sent(host) == []
    progress = acme.call("GET", f"/v1/campaigns/{created['id']}").json["progress"]
    # the released record due now was dropped by the send worker (skipped), the later ones
    # will be as they come; the unreleased ones are skipped at once
    assert progress["skipped"] >= 8 and progress["queued"] >= 1 and adds_up(progress)
    skipped = acme.call("GET", f"/v1/campaigns/{created['id']}/recipients?status=skipped"
                        "&limit=5").json
    assert len(skipped["items"]) == 5 and skipped["next_cursor"]
    rest = acme.call("GET", f"/v1/campaigns/{created['id']}/recipients?status=skipped"
                     f"&limit=5&cursor={skipped['next_cursor']}").json
    assert len(skipped["items"] + rest["items"]) == progress["skipped"]
    assert rest["next_cursor"] is None
    assert [i["reason"] for i in skipped["items"] + rest["items"]].count("api") >= 7
    assert_error(acme.call("POST", f"/v1/campaigns/{created['id']}/resume"), 409,
                 "campaign_canceled")
    assert_error(acme.call("PATCH", f"/v1/campaigns/{created['id']}", {"name": "x"}), 409,
                 "campaign_canceled")


def test_recipients_not_sent_by_end_at_are_skipped(acme: Tenant, working: str,
                                                   host: RunningHost):
    end_at = datetime.now(UTC) + timedelta(seconds=3)
    created = create(acme, [working], recipients=phones(10), end_at=end_at.isoformat(),
                     message_interval={"min_s": 2, "max_s": 2})
    start(acme, created["id"])
    tick(acme, created["id"])  # now and +2 s: the next would be after the end
    wait_for(lambda: datetime.now(UTC) > end_at, timeout=10)
    final = drain(acme, created["id"])
    assert final["status"] == "completed" and final["reason"] == "ended", final
    assert final["progress"]["skipped"] + final["progress"]["sent"] \
        + final["progress"]["delivered"] + final["progress"]["read"] == 10
    assert final["progress"]["skipped"] >= 8 and adds_up(final["progress"])


def test_nothing_goes_out_while_the_window_is_closed(acme: Tenant, working: str,
                                                     host: RunningHost):
    today = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[datetime.now(UTC).weekday()]
    tomorrow = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
        (datetime.now(UTC).weekday() + 1) % 7]
    created = create(acme, [working], recipients=phones(3),
                     window={"time_zone": "UTC", "days": [tomorrow], "from": "09:00",
                             "to": "10:00"})
    start(acme, created["id"])
    tick(acme, created["id"])
    run_worker(resources.OUTBOUND_BULK)
    got = acme.call("GET", f"/v1/campaigns/{created['id']}").json
    assert got["progress"]["pending"] == 3 and sent(host) == []
    opens = datetime.combine(datetime.now(UTC).date() + timedelta(days=1),
                             datetime.min.time(), UTC).replace(hour=9)
    assert clock.parse(got["eta"]) >= opens
    assert today not in got["window"]["days"]


def test_a_session_sends_at_most_its_daily_limit(acme: Tenant, working: str,
                                                 host: RunningHost):
    created = create(acme, [working], recipients=phones(5), daily_limit=2)
    start(acme, created["id"])
    tick(acme, created["id"])
    run_worker(resources.OUTBOUND_BULK)
    assert len(sent(host)) == 2
    got = acme.call("GET", f"/v1/campaigns/{created['id']}").json
    assert got["progress"]["pending"] == 3
    assert clock.parse(got["eta"]) >= datetime.combine(
        datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)


def test_a_tick_that_dies_half_way_is_redone_without_twins(acme: Tenant, working: str,
                                                           host: RunningHost,
                                                           monkeypatch: pytest.MonkeyPatch):
    created = create(acme, [working], recipients=phones(4))
    start(acme, created["id"])
    lanes = container().messaging._lanes

    class Crash(Exception):
        pass

    def dying(bodies: Any) -> None:
        raise Crash  # stored, not queued: the worker died here

    monkeypatch.setattr(lanes["bulk"], "send_many", dying)
    with pytest.raises(Crash):
        tick(acme, created["id"])
    monkeypatch.undo()
    monkeypatch.setattr("chalicelib.services.campaigns.GATE_CACHE_S", 0)
    assert container().campaigns.get(acme.id, created["id"]).release is not None
    tick(acme, created["id"])  # the record comes back: the claimed release is redone
    run_worker(resources.OUTBOUND_BULK)
    # and a record delivered twice sends nothing twice
    body = {"tenant_id": acme.id, "message_id": acme.call(
        "GET", f"/v1/campaigns/{created['id']}/recipients").json["items"][0]["message_id"]}
    aws.client("sqs").send_message(QueueUrl=queue_url(resources.OUTBOUND_BULK),
                                   MessageBody=json.dumps(body))
    final = drain(acme, created["id"])
    assert final["status"] == "completed"
    assert sorted(to for _, to, _ in sent(host)) == [
        f"1415555{i:04d}@s.whatsapp.net" for i in range(1, 5)]


def test_an_uploaded_csv_is_read_at_start(acme: Tenant, working: str, host: RunningHost):
    upload = acme.call("POST", "/v1/campaigns/uploads").json
    put = requests.put(upload["url"], headers=upload["headers"], timeout=5,
                       data=b"phone,name\n+14155550001,Ann\n+14155550002,Bob\nbad,Cid\n")
    assert put.status_code == 200
    created = create(acme, [working], upload_id=upload["upload_id"],
                     message={"type": "text", "text": "Hi {{name}}"})
    assert created["source"] == "upload_id" and created["progress"]["total"] == 0
    started = start(acme, created["id"])
    assert started["progress"]["total"] == 2 and started["invalid"] == 1
    drain(acme, created["id"])
    assert sorted(t for _, _, t in sent(host)) == ["Hi Ann", "Hi Bob"]


def test_templates_media_and_references(acme: Tenant, working: str, host: RunningHost):
    template = acme.call("POST", "/v1/templates", {"name": "promo",
                                                   "body": "Dear {{name}}, 20% off"}).json
    by_template = create(acme, [working], message={"template_id": template["id"]},
                         recipients=[{"to": "+14155550001", "variables": {"name": "Ann"}}],
                         add_ref=True)
    start(acme, by_template["id"])
    drain(acme, by_template["id"])
    [(_, _, text)] = sent(host)
    assert text.startswith("Dear Ann, 20% off\n\nRef: ") and len(text.split("Ref: ")[1]) == 8
    with_image = create(acme, [working], recipients=[
        {"to": "+14155550002", "variables": {"name": "Bob"}},
        {"to": "+14155550003", "variables": {"name": "Cid"}}],
        message={"type": "image", "image": {"base64": b64(png()), "caption": "For {{name}}"}})
    start(acme, with_image["id"])
    drain(acme, with_image["id"])
    assert sorted(t for _, _, t in sent(host))[1:] == ["For Bob", "For Cid"]
    assert with_image["message"]["media"]["sha256"]  # stored once, at creation


def test_a_scheduled_campaign_starts_by_itself(acme: Tenant, working: str):
    at = datetime.now(UTC) + timedelta(hours=2)
    created = create(acme, [working], recipients=phones(1), start_at=at.isoformat())
    assert created["status"] == "scheduled"
    schedules = aws.client("scheduler").list_schedules(
        GroupName=resources.CAMPAIGN_SCHEDULES.physical_name(container().settings.prefix))
    assert [s["Name"] for s in schedules["Schedules"]] == [f"cmp-{created['id']}"]
    container().campaign_service.tick(acme.id, created["id"], None, start=True)
    got = acme.call("GET", f"/v1/campaigns/{created['id']}").json
    assert got["status"] == "running" and got["reason"] is None
    assert [e["data"]["reason"] for e in events(acme, "campaign.started")] == ["scheduled"]


def test_the_watchdog_revives_a_lost_tick(acme: Tenant, working: str, host: RunningHost,
                                          monkeypatch: pytest.MonkeyPatch):
    created = create(acme, [working], recipients=phones(2))
    start(acme, created["id"])
    aws.client("sqs").purge_queue(QueueUrl=queue_url(resources.CAMPAIGN_TICKS))
    later = datetime.now(UTC) + timedelta(minutes=5)
    monkeypatch.setattr("chalicelib.domain.clock.now", lambda: later)
    assert container().campaign_service.watchdog() == 1
    monkeypatch.undo()
    monkeypatch.setattr("chalicelib.services.campaigns.GATE_CACHE_S", 0)
    assert run_worker(resources.CAMPAIGN_TICKS) == 1
    run_worker(resources.OUTBOUND_BULK)
    assert len(sent(host)) == 2


def test_patch_changes_the_pace_of_an_unfinished_campaign(acme: Tenant, working: str):
    created = create(acme, [working], recipients=phones(2))
    patched = acme.call("PATCH", f"/v1/campaigns/{created['id']}", {
        "name": "renamed", "message_interval": {"min_s": 1, "max_s": 2}, "daily_limit": 50,
        "window": {"time_zone": "Europe/Berlin", "days": ["mon"], "from": "09:00",
                   "to": "18:00"}})
    assert patched.status_code == 200, patched.body
    assert patched.json["name"] == "renamed"
    assert patched.json["message_interval"] == {"min_s": 1, "max_s": 2}
    assert patched.json["window"]["time_zone"] == "Europe/Berlin"
    assert_error(acme.call("PATCH", f"/v1/campaigns/{created['id']}", {}), 422)
    assert_error(acme.call("PATCH", f"/v1/campaigns/{created['id']}",
                           {"message_interval": {"min_s": 5, "max_s": 1}}), 422)


def test_lists_page_newest_first(acme: Tenant, working: str):
    ids = [create(acme, [working], recipients=phones(1), name=f"c{i}")["id"] for i in range(3)]
    first = acme.call("GET", "/v1/campaigns?limit=2").json
    assert [c["id"] for c in first["items"]] == ids[::-1][:2]
    rest = acme.call("GET", f"/v1/campaigns?limit=2&cursor={first['next_cursor']}").json
    assert [c["id"] for c in rest["items"]] == ids[:1]


def test_another_tenants_campaign_is_not_found(acme: Tenant, globex: Tenant, working: str):
    created = create(acme, [working], recipients=phones(1))
    cid = created["id"]
    for method, path, body in (("GET", f"/v1/campaigns/{cid}", None),
                               ("PATCH", f"/v1/campaigns/{cid}", {"name": "x"}),
                               ("POST", f"/v1/campaigns/{cid}/start", None),
                               ("POST", f"/v1/campaigns/{cid}/pause", None),
                               ("POST", f"/v1/campaigns/{cid}/resume", None),
                               ("POST", f"/v1/campaigns/{cid}/cancel", None),
                               ("GET", f"/v1/campaigns/{cid}/recipients", None)):
        assert_error(globex.call(method, path, body), 404, "not_found")
    assert globex.call("GET", "/v1/campaigns").json["items"] == []
    assert_error(globex.call("POST", "/v1/campaigns", {
        "name": "x", "session_ids": [working], "message": {"text": "hi"},
        "recipients": phones(1)}), 422)
    assert acme.call("GET", f"/v1/campaigns/{cid}").json["status"] == "draft"


def test_members_follow_campaigns_and_owners_run_them(acme: Tenant, working: str):
    created = create(acme, [working], recipients=phones(1))
    member = acme.member()
    assert member.call("GET", f"/v1/campaigns/{created['id']}").status_code == 200
    assert_error(member.call("POST", f"/v1/campaigns/{created['id']}/start"), 403)
    assert_error(member.call("POST", "/v1/campaigns", {
        "name": "x", "session_ids": [working], "message": {"text": "hi"},
        "recipients": phones(1)}), 403)
    reader = acme.api_key(["campaigns:read"])
    assert_error(call(acme.client, "POST", f"/v1/campaigns/{created['id']}/cancel",
                      headers={"X-API-Key": reader}), 403)


@pytest.mark.parametrize(("change", "field"), [
    ({"session_ids": []}, "session_ids"),
    ({"session_ids": ["nope"]}, "session_ids[0]"),
    ({"recipients": None}, "recipients"),
    ({"upload_id": "upl_00000000000000000000000000"}, "recipients"),
    ({"recipients": phones(1001)}, "recipients"),
    ({"message": {"type": "text"}}, "message.text"),
    ({"message": {"type": "image", "text": "hi"}}, "message.text"),
    ({"message": {"type": "text", "text": "hi", "image": {"url": "https://x.example/a"}}},
     "message.image"),
    ({"message": {"template_id": "nope"}}, "message.template_id"),
    ({"window": {"time_zone": "Mars/Olympus"}}, "window.time_zone"),
    ({"window": {"from": "18:00", "to": "09:00"}}, "window"),
    ({"window": {"days": []}}, "window.days"),
    ({"message_interval": {"min_s": 3, "max_s": 1}}, "message_interval"),
    ({"message_interval": {"min_s": -1, "max_s": 1}}, "message_interval.min_s"),
    ({"start_at": "2099-01-01T00:00:00Z"}, "start_at"),
    ({"end_at": "2001-01-01T00:00:00Z"}, "end_at"),
    ({"daily_limit": 0}, "daily_limit"),
    ({"category": "spam"}, "category"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_campaigns_are_refused_naming_the_field(acme: Tenant, working: str,
                                                    change: dict[str, Any], field: str):
    body = {"name": "x", "session_ids": [working], "message": {"text": "hi"},
            "recipients": phones(1), **change}
    if change.get("recipients", 0) is None:
        body.pop("recipients")
    if "upload_id" in change:
        body["recipients"] = phones(1)
    error = assert_error(acme.call("POST", "/v1/campaigns", body), 422)
    assert field in [d["field"] for d in error["details"]] or field in error["message"], error
    assert acme.call("GET", "/v1/campaigns").json["items"] == []


def test_bad_reads_are_refused(acme: Tenant, working: str):
    created = create(acme, [working], recipients=phones(1))
    assert_error(acme.call("GET", f"/v1/campaigns/{created['id']}/recipients?status=odd"), 422)
    assert_error(acme.call("GET", f"/v1/campaigns/{created['id']}/recipients?cursor=zz"), 422)
    assert_error(acme.call("GET", "/v1/campaigns/nope"), 404)
    assert_error(acme.call("POST", f"/v1/campaigns/{created['id']}/resume"), 409,
                 "campaign_draft")


def test_a_release_over_the_daily_quota_pauses_the_campaign(acme: Tenant, admin_token: str,
                                                            working: str, host: RunningHost):
    limited = call(acme.client, "PUT", f"/v1/tenants/{acme.id}/limits", admin_token,
                   {"messages_per_day": 2, "messages_per_month": 1000, "sessions": 10})
    assert limited.status_code == 200, limited.body
    container().account._cache.clear()
    created = create(acme, [working], recipients=phones(3))
    start(acme, created["id"])
    tick(acme, created["id"])
    got = acme.call("GET", f"/v1/campaigns/{created['id']}").json
    assert (got["status"], got["reason"]) == ("paused", "quota_exceeded")
    assert got["progress"]["pending"] == 3 and sent(host) == []



def test_an_audience_of_address_book_groups(acme: Tenant, working: str, host: RunningHost):
    group = acme.call("POST", "/v1/address-book/groups", {"name": "VIP"}).json["id"]
    for phone, name in (("+14155550001", "Ann"), ("+14155550002", "Bob")):
        made = acme.call("POST", "/v1/address-book/contacts",
                         {"phone": phone, "name": name, "group_ids": [group]})
        assert made.status_code == 201, made.body
    acme.call("POST", "/v1/address-book/contacts", {"phone": "+14155550003", "name": "Out"})
    created = create(acme, [working], audience={"group_ids": [group]},
                     message={"type": "text", "text": "Hi {{name}} ({{phone}})"})
    assert created["source"] == "audience"
    assert start(acme, created["id"])["progress"]["total"] == 2
    drain(acme, created["id"])
    assert sorted(t for _, _, t in sent(host)) == ["Hi Ann (+14155550001)",
                                                   "Hi Bob (+14155550002)"]
    assert_error(acme.call("POST", "/v1/campaigns", {
        "name": "x", "session_ids": [working], "message": {"text": "hi"},
        "audience": {"group_ids": ["grp_nope"]}}), 422)


def test_whatsapp_pushback_pauses_the_campaign_until_the_throttle_ends(
        acme: Tenant, working: str, host: RunningHost, monkeypatch: pytest.MonkeyPatch):
    played = acme.call("POST", f"/v1/sandbox/sessions/{working}/pushback",
                       {"error": "timelock", "sends": 1})
    assert played.status_code == 200, played.body
    created = create(acme, [working], recipients=phones(3))
    start(acme, created["id"])
    tick(acme, created["id"])
    run_worker(resources.OUTBOUND_BULK)
    run_worker(resources.EVENT_QUEUE)  # session.throttled → its campaigns pause
    got = acme.call("GET", f"/v1/campaigns/{created['id']}").json
    assert (got["status"], got["reason"]) == ("paused", "timelock"), got
    assert got["progress"]["failed"] == 0 and adds_up(got["progress"])
    [paused] = events(acme, "campaign.paused")
    assert paused["data"]["resume_at"] == got["resume_at"]
    # its resume tick, once the throttle is over, resumes it by itself
    later = clock.parse(got["resume_at"]) + timedelta(seconds=1)
    monkeypatch.setattr("chalicelib.domain.clock.now", lambda: later)
    container().campaign_service.tick(acme.id, created["id"], None, resume=True)
    assert acme.call("GET", f"/v1/campaigns/{created['id']}").json["status"] == "running"
    assert [e["data"]["reason"] for e in events(acme, "campaign.resumed")] == ["throttle_ended"]
