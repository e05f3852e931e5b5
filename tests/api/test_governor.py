"""The send governor over HTTP: a session's limits and budgets (GET/PUT), sends over a budget
wait in their queue (never dropped, never early), WhatsApp's pushback throttles marketing
while transactional traffic goes, and the daily budget of new contacts."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest

from chalicelib import resources
from chalicelib.bootstrap import container
from chalicelib.domain import clock
from tests.conftest import Tenant, assert_error, call, run_worker, wait_for

TO = "+14155552671"
SENT = ("sent", "delivered", "read")


def _limits(tenant: Tenant, sid: str) -> dict[str, Any]:
    response = tenant.call("GET", f"/v1/sessions/{sid}/limits")
    assert response.status_code == 200, response.body
    return response.json


def _send(tenant: Tenant, sid: str, to: str = TO, **body: Any) -> str:
    response = tenant.call("POST", "/v1/messages", {"session_id": sid, "to": to, "text": "hi",
                                                    **body})
    assert response.status_code == 202, response.body
    return response.json["id"]


def _status(tenant: Tenant, mid: str) -> str:
    return tenant.call("GET", f"/v1/messages/{mid}").json["status"]


@pytest.fixture
def requeued(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[str, int]]]:
    """(message id, delay seconds) of every record put on each lane from now on."""
    seen: dict[str, list[tuple[str, int]]] = {lane: [] for lane in resources.OUTBOUND_LANES}
    for name, lane in container().lanes.items():
        def send(body: dict[str, Any], delay_seconds: int = 0, _name: str = name,
                 _send: Any = lane.send) -> None:
            seen[_name].append((body["message_id"], delay_seconds))
            _send(body, delay_seconds=delay_seconds)

        monkeypatch.setattr(lane, "send", send)
    return seen


def test_limits_show_the_sandbox_defaults_and_full_budgets(acme: Tenant, working: str):
    shown = _limits(acme, working)
    assert shown["session_id"] == working and shown["overrides"] == {}
    assert shown["limits"] == {
        "messages_per_minute": {"high": 600, "normal": 300, "bulk": 300},
        "new_contacts_per_day": 10_000, "warmup": {"enabled": False, "days": 14}}
    current = shown["current"]
    assert current["messages_per_minute"] == shown["limits"]["messages_per_minute"]
    assert current["tokens"] == {"high": 100, "normal": 50, "bulk": 50}  # 10 s of each rate
    assert current["new_contacts_left"] == 10_000 and current["new_contacts_today"] == 0
    assert current["warmup_day"] is None and current["warmup_factor"] == 1
    assert current["throttled_until"] is None and current["throttle_reason"] is None


def test_put_limits_lays_the_sessions_own_over_the_defaults(acme: Tenant, working: str):
    put = acme.call("PUT", f"/v1/sessions/{working}/limits", {
        "messages_per_minute": {"bulk": 30}, "new_contacts_per_day": 50,
        "warmup": {"enabled": True, "days": 10}})
    assert put.status_code == 200, put.body
    assert put.json["limits"] == {
        "messages_per_minute": {"high": 600, "normal": 300, "bulk": 30},
        "new_contacts_per_day": 50, "warmup": {"enabled": True, "days": 10}}
    current = _limits(acme, working)["current"]
    # A warm-up begins on the first look at a paired number: day 0, a quarter of the limits.
    assert current["warmup_day"] == 0 and current["warmup_factor"] == 0.25
    assert current["messages_per_minute"] == {"high": 600, "normal": 75, "bulk": 7}
    assert current["new_contacts_per_day"] == 12
    reset = acme.call("PUT", f"/v1/sessions/{working}/limits", {})
    assert reset.json["overrides"] == {}
    assert reset.json["limits"]["messages_per_minute"]["bulk"] == 300


@pytest.mark.parametrize("body", [
    {"messages_per_minute": {"bulk": 0}},
    {"messages_per_minute": {"bulk": 6001}},
    {"messages_per_minute": {"bulk": "fast"}},
    {"messages_per_minute": {"turbo": 5}},
    {"new_contacts_per_day": -1},
    {"warmup": {"days": 0}},
    {"warmup": {"days": 91}},
    {"burst": 3},
])
def test_bad_limits_are_422_and_change_nothing(acme: Tenant, working: str, body: Any):
    before = _limits(acme, working)
    assert_error(acme.call("PUT", f"/v1/sessions/{working}/limits", body), 422)
    after = _limits(acme, working)
    assert after["limits"] == before["limits"] and after["overrides"] == {}


def test_limits_belong_to_the_sessions_tenant(acme: Tenant, globex: Tenant, working: str):
    assert_error(globex.call("GET", f"/v1/sessions/{working}/limits"), 404, "not_found")
    assert_error(globex.call("PUT", f"/v1/sessions/{working}/limits",
                             {"new_contacts_per_day": 1}), 404, "not_found")
    assert _limits(acme, working)["overrides"] == {}
    assert_error(acme.call("GET", "/v1/sessions/nope/limits"), 404, "not_found")
    headers = {"X-API-Key": acme.api_key(["sessions:read"])}
    path = f"/v1/sessions/{working}/limits"
    assert call(acme.client, "GET", path, headers=headers).status_code == 200
    assert_error(call(acme.client, "PUT", path, body={}, headers=headers), 403,
                 "missing_scope")


def test_a_burst_over_the_lanes_limit_waits_in_its_queue_then_goes(
        acme: Tenant, working: str, requeued: dict[str, list[tuple[str, int]]]):
    # 60 a minute: a burst of 10 (10 s worth), then one a second.
    acme.call("PUT", f"/v1/sessions/{working}/limits", {"messages_per_minute": {"bulk": 60}})
    ids = [_send(acme, working, priority="bulk") for _ in range(12)]
    now = clock.now()
    with mock.patch.object(clock, "now", lambda: now):  # the burst arrives at one moment
        run_worker(resources.OUTBOUND_BULK)
        wait_for(lambda: sum(_status(acme, m) in SENT for m in ids) == 10)
        waiting = [m for m in ids if _status(acme, m) == "queued"]
        assert len(waiting) == 2  # over budget: delayed, not dropped, not failed
        assert _limits(acme, working)["current"]["tokens"]["bulk"] == 0
    assert dict(r for r in requeued["bulk"] if r[0] in waiting) == dict.fromkeys(waiting, 1)
    time.sleep(1)  # the SQS delay passes (moto keeps it); then each goes in its turn
    wait_for(lambda: run_worker(resources.OUTBOUND_BULK) >= 0
             and all(_status(acme, m) in SENT for m in ids))


def test_new_contacts_a_day_hold_marketing_to_new_numbers(
        acme: Tenant, working: str, requeued: dict[str, list[tuple[str, int]]]):
    acme.call("PUT", f"/v1/sessions/{working}/limits", {"new_contacts_per_day": 2})
    first = _send(acme, working, "+14155550201", category="marketing")
    second = _send(acme, working, "+14155550202", category="marketing")
    third = _send(acme, working, "+14155550203", category="marketing")
    again = _send(acme, working, "+14155550201", category="marketing")  # known: not new
    transactional = _send(acme, working, "+14155550204")  # not counted
    # Someone who wrote to the session first is no new contact either.
    acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
              {"from": "+14155550205", "text": "hello"})
    wait_for(lambda: acme.call("GET", f"/v1/sessions/{working}/chats").json["items"])
    wrote_in = _send(acme, working, "+14155550205", category="marketing")
    run_worker(resources.OUTBOUND)
    for mid in (first, second, again, transactional, wrote_in):
        wait_for(lambda m=mid: _status(acme, m) in SENT)
    assert _status(acme, third) == "queued"
    delay = dict(requeued["normal"])[third]
    assert 1 <= delay <= 900  # waits for the next day, hop by hop
    current = _limits(acme, working)["current"]
    assert current["new_contacts_today"] == 2 and current["new_contacts_left"] == 0


def _events(tenant: Tenant, types: str) -> list[dict[str, Any]]:
    run_worker(resources.EVENT_QUEUE)
    return tenant.call("GET", f"/v1/events?types={types}&limit=100").json["items"]


def test_pushback_throttles_marketing_and_transactional_traffic_goes(
        acme: Tenant, working: str, requeued: dict[str, list[tuple[str, int]]]):
    played = acme.call("POST", f"/v1/sandbox/sessions/{working}/pushback",
                       {"error": "rate_limited", "sends": 1})
    assert played.status_code == 200, played.body
    refused = _send(acme, working, category="marketing")
    run_worker(resources.OUTBOUND)
    message = acme.call("GET", f"/v1/messages/{refused}").json
    assert message["status"] == "queued"  # not failed: nothing was sent
    assert message["history"][-1]["reason"] == "rate_limited"
    assert dict(requeued["normal"])[refused] >= 300  # waits out the back-off (5 min)
    throttled = _events(acme, "session.throttled")
    assert [e["data"]["reason"] for e in throttled] == ["rate_limited"]
    assert throttled[0]["session_id"] == working
    assert throttled[0]["data"]["categories"] == ["marketing"]
    assert throttled[0]["data"]["lanes"] == ["normal", "bulk"]
    current = _limits(acme, working)["current"]
    assert current["throttle_reason"] == "rate_limited"
    assert current["throttled_until"] == throttled[0]["data"]["until"]

    transactional = _send(acme, working)
    urgent = _send(acme, working, category="marketing", priority="high")
    marketing = _send(acme, working, category="marketing", to="+14155550301")
    run_worker(resources.OUTBOUND)
    run_worker(resources.OUTBOUND_HIGH)
    for mid in (transactional, urgent):
        wait_for(lambda m=mid: _status(acme, m) in SENT)
    assert _status(acme, marketing) == "queued"
    assert dict(requeued["normal"])[marketing] >= 290
    assert len(_events(acme, "session.throttled")) == 1  # one throttle, one event


def test_a_timelock_is_played_and_throttles_too(acme: Tenant, working: str):
    acme.call("POST", f"/v1/sandbox/sessions/{working}/pushback",
              {"error": "timelock", "sends": 2})
    first = _send(acme, working)
    run_worker(resources.OUTBOUND)
    assert _status(acme, first) == "queued"
    assert _limits(acme, working)["current"]["throttle_reason"] == "timelock"


@pytest.mark.parametrize("body", [
    {"error": "banned"}, {"error": "rate_limited", "sends": 0},
    {"error": "rate_limited", "sends": 101}, {"sends": 1}, {"error": "timelock", "x": 1}])
def test_bad_pushback_is_422(acme: Tenant, working: str, body: Any):
    assert_error(acme.call("POST", f"/v1/sandbox/sessions/{working}/pushback", body), 422)


def test_pushback_is_the_sandboxs_and_the_tenants_own(acme: Tenant, globex: Tenant,
                                                      working: str):
    body = {"error": "rate_limited"}
    assert_error(globex.call("POST", f"/v1/sandbox/sessions/{working}/pushback", body), 404)
    real = acme.call("POST", "/v1/sessions", {"name": "real", "engine": "neonize",
                                              "start": False}).json["id"]
    assert_error(acme.call("POST", f"/v1/sandbox/sessions/{real}/pushback", body), 409,
                 "not_sandbox")
