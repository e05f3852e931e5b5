"""The session host on the sandbox engine: internal API auth, leases, fencing, failover."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import requests

from chalicelib import resources
from chalicelib.bootstrap import container
from chalicelib.domain import signing
from chalicelib.domain.errors import StaleFence
from chalicelib.domain.jids import Jid
from chalicelib.domain.live.contacts import CheckNumbers
from chalicelib.sessionhost.engines.base import EngineSession, MessageChange
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from tests.conftest import Tenant, run_worker, start_host, wait_for


def _status(tenant: Tenant, sid: str) -> str:
    return tenant.call("GET", f"/v1/sessions/{sid}").json["status"]


def _working(tenant: Tenant) -> str:
    sid = tenant.call("POST", "/v1/sessions", {"name": "shop"}).json["id"]
    wait_for(lambda: _status(tenant, sid) == "SCAN_QR")
    tenant.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {})
    return sid


def _post(url: str, path: str, body: dict, secret: str, skew: float = 0) -> requests.Response:
    raw = json.dumps(body).encode()
    headers = signing.sign(secret, "POST", path, raw, now=time.time() + skew)
    return requests.post(url + path, data=raw, headers=headers, timeout=5)


def test_internal_api_refuses_unsigned_wrongly_signed_and_stale_requests(aws, host):
    url, path = host.host.address, "/internal/sessions/start"
    body = {"tenant_id": "t", "session_id": "s"}
    assert requests.post(url + path, json=body, timeout=5).status_code == 401
    assert _post(url, path, body, "wrong-secret").status_code == 401
    stale = _post(url, path, body, container().internal_keys.current(), skew=-600)
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "bad_signature"
    fresh = _post(url, path, body, container().internal_keys.current())
    assert fresh.status_code == 409  # signed fine; the session just does not exist


def test_the_lease_has_one_owner_and_a_growing_fence(acme: Tenant, host):
    sid = _working(acme)
    session = container().sessions.get(acme.id, sid)
    assert session.owner == host.host.host_id and session.fence == 1
    now = int(time.time() * 1000)
    # Another host cannot take a live lease.
    assert container().sessions.claim(acme.id, sid, "intruder", 30_000, now) is None
    # Once it lapses, it can, and the fence grows.
    later = session.lease_until_ms + 1
    assert container().sessions.claim(acme.id, sid, "intruder", 30_000, later) == 2


def test_a_stale_fence_write_is_refused_and_the_old_host_lets_go(acme: Tenant, host):
    sid = _working(acme)
    session = container().sessions.get(acme.id, sid)
    assert container().sessions.claim(acme.id, sid, "other-host", 30_000,
                                      session.lease_until_ms + 1) == 2
    with pytest.raises(StaleFence):
        container().sessions.host_update(acme.id, sid, host.host.host_id, 1, status="WORKING")
    host.host.heartbeat()  # renewal fails: the host drops the session
    assert host.host.session_count == 0
    # Its late engine events change nothing: the inbound write is fenced too.
    assert container().sessions.get(acme.id, sid).owner == "other-host"


def test_drained_host_hands_its_sessions_over_at_once(acme: Tenant, tmp_path):
    first = start_host(tmp_path / "state", "host-a")
    sid = _working(acme)
    second = start_host(tmp_path / "state", "host-b")
    try:
        first.host.drain()
        second.host.adopt()
        wait_for(lambda: _status(acme, sid) == "WORKING"
                 and container().sessions.get(acme.id, sid).owner == "host-b")
        assert container().sessions.get(acme.id, sid).fence == 2
        # Paired auth state moved with it (shared state dir): no new QR was needed.
        assert container().sessions.get(acme.id, sid).phone
    finally:
        for h in (first, second):
            h.host.kill()
            h.stop()


def test_killed_host_sessions_are_adopted_after_the_lease_ttl(acme: Tenant, tmp_path):
    first = start_host(tmp_path / "state", "host-a", lease_ttl_s=1)
    sid = _working(acme)
    second = start_host(tmp_path / "state", "host-b", lease_ttl_s=1, background=True)
    try:
        first.host.kill()  # no drain: the lease just stops being renewed
        first.stop()
        wait_for(lambda: container().sessions.get(acme.id, sid).owner == "host-b"
                 and _status(acme, sid) == "WORKING", timeout=10)
        mid = acme.call("POST", "/v1/messages", {"session_id": sid, "to": "+14155552671",
                                                 "text": "after failover"}).json["id"]

        def delivered() -> bool:
            # A 1 s lease is short: on a loaded machine a heartbeat can lag and the worker
            # backs off (the record comes back), so keep feeding the worker like Lambda would.
            run_worker(resources.OUTBOUND)
            return acme.call("GET", f"/v1/messages/{mid}").json["status"] == "read"

        wait_for(delivered, timeout=30, interval=0.5)
    finally:
        second.host.kill()
        second.stop()


def test_sandbox_qr_rotates_then_times_out_to_failed(tmp_path):
    engine = SandboxEngine(delivery_ms=10, read_ms=20, qr_rotate_s=0.05, qr_rotations=3)
    seen: list[tuple[str, object]] = []

    class Listener:
        def __getattr__(self, name: str):
            return lambda *args: seen.append((name, args))

    ref = EngineSession("t", "s", tmp_path / "auth")
    engine.start(ref, Listener())  # type: ignore[arg-type]
    wait_for(lambda: ("on_failed", ("qr_timeout",)) in seen, timeout=3)
    codes = [args[0] for name, args in seen if name == "on_qr"]
    assert len(codes) == 3 and len(set(codes)) == 3


def test_sandbox_reconnects_from_saved_auth_without_a_qr(tmp_path):
    engine = SandboxEngine(delivery_ms=10, read_ms=20, qr_rotate_s=5)
    seen: list[tuple[str, tuple]] = []

    class Listener:
        def __getattr__(self, name: str):
            return lambda *args: seen.append((name, args))

    ref = EngineSession("t", "s", tmp_path / "auth")
    engine.start(ref, Listener())  # type: ignore[arg-type]
    wait_for(lambda: any(name == "on_qr" for name, _ in seen))
    engine.scan(ref, "+14155550100")
    engine.stop(ref)
    seen.clear()
    engine.start(ref, Listener())  # type: ignore[arg-type]
    wait_for(lambda: ("on_connected", ("+14155550100", "Sandbox")) in seen)
    assert not any(name == "on_qr" for name, _ in seen)
    engine.logout(ref)
    assert not (tmp_path / "auth").exists()


def test_the_fleet_client_retries_once_when_the_owner_it_knew_is_stale(acme: Tenant, tmp_path):
    first = start_host(tmp_path / "state", "host-a")
    sid = _working(acme)
    second = start_host(tmp_path / "state", "host-b")
    try:
        stale_view = container().sessions.get(acme.id, sid)  # says host-a holds it
        first.host.drain()
        second.host.adopt()
        wait_for(lambda: container().sessions.get(acme.id, sid).owner == "host-b"
                 and _status(acme, sid) == "WORKING")
        first.host.register()  # host-a is alive again (and no longer holds the session)
        first.host.draining = False
        result = container().fleet.live(stale_view, CheckNumbers(phones=["+14155552671"]))
        assert result.results[0].on_whatsapp is True
    finally:
        for h in (first, second):
            h.host.kill()
            h.stop()


def test_a_session_no_host_holds_is_not_ready(acme: Tenant):
    sid = acme.call("POST", "/v1/sessions", {"name": "orphan"}).json["id"]  # no host at all
    error = acme.call("POST", f"/v1/sessions/{sid}/check-numbers", {"phones": ["+14155552671"]})
    assert error.status_code == 409
    assert error.json["error"]["code"] == "session_not_ready"


def _engine_changes(host, tenant: Tenant, sid: str, change: MessageChange) -> None:
    """What a real engine does when a contact changes a message: hand the host the change
    (through the sandbox's listener for the session); then let the host's worker handle it."""
    host.engine._connections[(tenant.id, sid)].listener.on_change(change)
    host.host.flush()


def _change(kind: str, target: str, text: str | None) -> MessageChange:
    contact = Jid("4915112345678")
    return MessageChange(kind=kind, target_engine_id=target, chat=contact,  # type: ignore[arg-type]
                         sender=contact, text=text, timestamp=datetime.now(UTC),
                         sender_phone=contact.phone)


def _message_events(tenant: Tenant) -> list[dict]:
    run_worker(resources.EVENT_QUEUE)
    return [e for e in tenant.call("GET", "/v1/events?limit=100").json["items"]
            if e["type"] != "session.status"]


def test_a_change_to_a_message_we_do_not_know_is_published_without_our_id(
        acme: Tenant, working: str, host):
    _engine_changes(host, acme, working, _change("reaction", "3EB0NOTOURS", "🎉" * 20))
    _engine_changes(host, acme, working, _change("edited", "3EB0NOTOURS", "new text"))
    _engine_changes(host, acme, working, _change("revoked", "3EB0" + "X" * 200, None))
    assert acme.call("GET", "/v1/messages").json["items"] == []  # nothing written
    reaction, edit = _message_events(acme)  # an id longer than any engine's is ignored
    assert (reaction["type"], reaction["data"]["message_id"]) == ("message.reaction", None)
    assert reaction["data"]["engine_message_id"] == "3EB0NOTOURS"
    assert reaction["data"]["reaction"] == "🎉" * 16  # a real engine's is clipped to 64 bytes
    assert (edit["type"], edit["data"]["message_id"], edit["data"]["text"]) == (
        "message.edited", None, "new text")
    assert edit["data"]["sender"] == "4915112345678@s.whatsapp.net"


@pytest.mark.parametrize(("kind", "text"), [("reaction", "👍"), ("edited", "hello"),
                                          ("revoked", None)], ids=["reaction", "edited", "revoked"])
def test_a_host_that_lost_the_lease_records_and_publishes_no_change(
        acme: Tenant, working: str, host, kind: str, text: str | None):
    written = acme.call("POST", f"/v1/sandbox/sessions/{working}/inbound",
                        {"from": "+4915112345678", "text": "helo"}).json
    [inbound] = acme.call("GET", "/v1/messages").json["items"]
    session = container().sessions.get(acme.id, working)
    assert container().sessions.claim(acme.id, working, "other-host", 30_000,
                                      session.lease_until_ms + 1) == 2
    _engine_changes(host, acme, working, _change(kind, written["engine_message_id"], text))
    assert host.host.session_count == 0  # the refused write told it: it let go
    assert acme.call("GET", f"/v1/messages/{inbound['id']}").json == inbound
    assert [e["type"] for e in _message_events(acme)] == ["message.received"]
