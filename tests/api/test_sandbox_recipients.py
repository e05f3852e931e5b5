"""The sandbox's recipient view: what a phone received from the tenant's sandbox sessions,
full text included, even where wagate's own record masks part of it (an OTP code)."""

from __future__ import annotations

from chalicelib import bootstrap, resources
from chalicelib.domain.auth import ROLE_SCOPES, Principal, Role
from chalicelib.services.messaging import Draft
from tests.conftest import RunningHost, Tenant, assert_error, run_worker, start_host, wait_for


def _received(tenant: Tenant, phone: str, query: str = "") -> list[dict]:
    response = tenant.call("GET", f"/v1/sandbox/recipients/{phone}/messages{query}")
    assert response.status_code == 200, response.body
    return response.json["items"]


def _send(tenant: Tenant, sid: str, to: str, text: str) -> str:
    response = tenant.call("POST", "/v1/messages", {"session_id": sid, "to": to, "text": text})
    assert response.status_code == 202, response.body
    return response.json["id"]


def test_a_recipient_sees_what_it_received_newest_first(acme: Tenant, working: str):
    first = _send(acme, working, "+14155552671", "first")
    second = _send(acme, working, "+14155552671", "second")
    _send(acme, working, "+4915112345678", "someone else")
    assert run_worker(resources.OUTBOUND) == 3

    items = wait_for(lambda: len(got := _received(acme, "14155552671")) == 2 and got)
    assert [i["id"] for i in items] == [second, first]
    assert items[0]["text"] == "second" and items[0]["session_id"] == working
    assert items[0]["type"] == "text" and items[0]["received_at"]
    assert _received(acme, "+14155552671") == items  # with or without the +
    paged = acme.call("GET", "/v1/sandbox/recipients/14155552671/messages?limit=1").json
    assert [i["id"] for i in paged["items"]] == [second] and paged["next_cursor"]


def test_a_concealed_code_is_masked_in_the_record_and_whole_on_the_phone(
        acme: Tenant, working: str):
    caller = Principal(tenant_id=acme.id, user_id="u", role=Role.OWNER,
                       scopes=ROLE_SCOPES[Role.OWNER])
    accepted = bootstrap.container().messaging.send(caller, Draft(
        session_id=working, to="+14155552671", body={"text": "Your code is 739154"},
        conceal=("739154",)))
    assert run_worker(resources.OUTBOUND_HIGH) + run_worker(resources.OUTBOUND) == 1

    (received,) = wait_for(lambda: _received(acme, "14155552671"))
    assert received == {"id": accepted.id, "session_id": working, "type": "text",
                        "text": "Your code is 739154", "received_at": received["received_at"]}
    shown = acme.call("GET", f"/v1/messages/{accepted.id}").json
    assert shown["text"] == "Your code is ******" and "sealed" not in shown
    assert "739154" not in repr(shown)


def test_the_view_is_kept_across_a_host_restart(acme: Tenant, working: str, host: RunningHost,
                                                tmp_path):
    _send(acme, working, "+14155552671", "before the restart")
    run_worker(resources.OUTBOUND)
    wait_for(lambda: _received(acme, "14155552671"))
    host.stop()
    other = start_host(tmp_path / "other", host_id="host-2")
    try:
        assert [i["text"] for i in _received(acme, "14155552671")] == ["before the restart"]
    finally:
        other.stop()


def test_another_tenant_sees_nothing_and_bad_numbers_are_refused(
        acme: Tenant, globex: Tenant, working: str):
    _send(acme, working, "+14155552671", "for acme's eyes")
    run_worker(resources.OUTBOUND)
    wait_for(lambda: _received(acme, "14155552671"))
    assert _received(globex, "14155552671") == []
    for bad in ("123", "not-a-number", "+999999999999999"):
        error = assert_error(acme.call("GET", f"/v1/sandbox/recipients/{bad}/messages"), 422,
                             "validation_failed")
        assert error["details"][0]["field"] == "phone"
