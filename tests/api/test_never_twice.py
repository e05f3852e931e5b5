"""Never twice: a host that dies between its engine's send and its answer, a worker and a host
that adopts the session, and still exactly one copy on the (sandbox) wire."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.adapters.messages_repo import message_key
from chalicelib.bootstrap import container
from chalicelib.domain.errors import OutcomeUnknown
from chalicelib.sessionhost.engines.base import EngineError, EngineSession, HostDied
from chalicelib.sessionhost.engines.sandbox import SandboxEngine
from chalicelib.sessionhost.host import SessionHost
from chalicelib.sessionhost.server import make_server
from tests.conftest import RunningHost, Tenant, free_port, queue_url, run_worker, wait_for

TO = "+14155552671"


class NoChosenIds(SandboxEngine):
    """A sandbox that, like neonize, cannot send with an id chosen beforehand."""

    def message_id(self, session: EngineSession) -> None:  # type: ignore[override]
        return None


def _host(state: Path, host_id: str, network: SandboxEngine, background: bool) -> RunningHost:
    """A host on the shared phone network (one sandbox engine for every host, as WhatsApp is
    one network whichever host a session runs on), with a 1 s lease."""
    c = container()
    port = free_port()
    host = SessionHost(host_id, f"http://127.0.0.1:{port}", 50, c.sessions, c.messages, c.hosts,
                       c.events, {"sandbox": network}, state, lease_ttl_s=1,
                       reconnect_attempts=3, reconnect_base_s=0.02, reconnect_cap_s=0.1)
    server = make_server(host, c.internal_keys, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()  # stop() waits one poll: keep it short
    host.heartbeat()
    host.run_background(heartbeat=background)
    return RunningHost(host, server, network)


class Fleet:
    """Host A holds the session; host B will adopt it once A dies."""

    def __init__(self, tenant: Tenant, state: Path, network: SandboxEngine) -> None:
        self.tenant, self.network = tenant, network
        self.a = _host(state, "host-a", network, background=False)
        self.sid = tenant.call("POST", "/v1/sessions", {"name": "shop"}).json["id"]
        wait_for(lambda: self.session()["status"] == "SCAN_QR")
        tenant.call("POST", f"/v1/sandbox/sessions/{self.sid}/scan", {})
        self.b = _host(state, "host-b", network, background=True)

    def session(self) -> dict:
        return self.tenant.call("GET", f"/v1/sessions/{self.sid}").json

    def message(self, mid: str) -> dict:
        return self.tenant.call("GET", f"/v1/messages/{mid}").json

    def send(self, text: str) -> str:
        accepted = self.tenant.call("POST", "/v1/messages", {"session_id": self.sid, "to": TO,
                                                             "text": text})
        assert accepted.status_code == 202, accepted.body
        return accepted.json["id"]

    def kill_a(self) -> None:
        """Host A dies: it stops, and its internal API stops listening."""
        self.a.host.kill()
        threading.Thread(target=self.a.stop, daemon=True).start()

    def adopted(self) -> None:
        """Host B holds the session and it works there (a live call answers). A bound, not
        a measure: about a second (the lease) on an idle machine, far more on a loaded one."""
        wait_for(lambda: self.session()["host"] == "host-b" and self.tenant.call(
            "POST", f"/v1/sessions/{self.sid}/check-numbers", {"phones": [TO]}).status_code
            == 200, timeout=45, interval=0.1)

    def wire(self, text: str) -> int:
        """How many copies of ``text`` went over the sandbox's wire, from every host."""
        return sum(1 for _, _, out in self.network.outbox if out.content.text == text)

    def close(self) -> None:
        for running in (self.a, self.b):
            running.host.kill()
            running.stop()


@pytest.fixture
def network() -> SandboxEngine:
    return SandboxEngine(delivery_ms=50, read_ms=120, qr_rotate_s=20)


@pytest.fixture
def fleet(acme: Tenant, tmp_path: Path, network: SandboxEngine) -> Iterator[Fleet]:
    running = Fleet(acme, tmp_path / "state", network)
    yield running
    running.close()


def _dies_after_sending(fleet: Fleet) -> None:
    """Host A dies right after its engine put the message on the wire, before it answers."""
    def die(session: EngineSession, engine_id: str) -> None:
        fleet.network.after_send = None
        fleet.kill_a()
        raise HostDied

    fleet.network.after_send = die


def test_a_host_dying_after_the_send_leaves_one_copy_and_receipts_still_resolve_it(
        fleet: Fleet):
    _dies_after_sending(fleet)
    mid = fleet.send("exactly once")
    run_worker(resources.OUTBOUND)
    # The worker saw a dropped connection: the outcome is unknown, so it did not retry.
    assert fleet.message(mid)["status"] == "sending"
    assert fleet.wire("exactly once") == 1
    fleet.adopted()
    # The engine id was recorded before the send: the receipts that reach the adopting host
    # resolve the message, though nobody ever heard the send's answer.
    done = wait_for(lambda: (m := fleet.message(mid))["status"] == "read" and m, timeout=10)
    assert done["engine_message_id"] == fleet.network.outbox[0][1]
    run_worker(resources.OUTBOUND)
    assert fleet.wire("exactly once") == 1
    assert set(done["timestamps"]) == {"queued", "sending", "delivered", "read"}


def test_no_host_sends_a_message_a_second_time_even_when_asked_to(acme: Tenant,
                                                                   tmp_path: Path):
    # An engine that cannot choose ids (like neonize): only the send token guards the message.
    network = NoChosenIds(delivery_ms=50, read_ms=120, qr_rotate_s=20)
    fleet = Fleet(acme, tmp_path / "state", network)
    try:
        _dies_after_sending(fleet)
        mid = fleet.send("only one copy")
        run_worker(resources.OUTBOUND)
        assert fleet.message(mid)["status"] == "sending"
        fleet.adopted()
        # A blind retry reaches the adopting host: it refuses instead of sending.
        session = container().sessions.get(acme.id, fleet.sid)
        message = container().messages.get(acme.id, mid)
        with pytest.raises(OutcomeUnknown) as refused:
            container().fleet.send(session, message)
        assert refused.value.code == "already_attempted"
        # Even a message forced back to the queue (what the old worker did) is refused by
        # whichever host the worker reaches.
        container().messages._table.update_item(
            Key=message_key(acme.id, mid), UpdateExpression="SET #s = :queued",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":queued": "queued"})
        aws.client("sqs").send_message(QueueUrl=queue_url(resources.OUTBOUND),
                                       MessageBody=f'{{"tenant_id": "{acme.id}", '
                                                   f'"message_id": "{mid}"}}')
        run_worker(resources.OUTBOUND)
        assert fleet.message(mid)["status"] == "sending"  # visibly unknown, never resent
        assert fleet.wire("only one copy") == 1
    finally:
        fleet.close()


def test_a_host_dying_before_the_hand_over_is_retried_and_sends_once(fleet: Fleet,
                                                                     monkeypatch):
    real_typing = fleet.network.typing

    def die_while_typing(session: EngineSession, chat, duration_ms: int) -> None:
        monkeypatch.setattr(fleet.network, "typing", real_typing)
        fleet.kill_a()
        raise HostDied

    monkeypatch.setattr(fleet.network, "typing", die_while_typing)
    mid = fleet.tenant.call("POST", "/v1/messages", {"session_id": fleet.sid, "to": TO,
                                                     "text": "after a retry",
                                                     "typing_ms": 10}).json["id"]
    run_worker(resources.OUTBOUND)
    # Unknown outcome, but no engine was handed the message: it went back to the queue.
    assert fleet.message(mid)["status"] == "queued"
    fleet.adopted()

    def delivered() -> bool:
        run_worker(resources.OUTBOUND)
        return fleet.message(mid)["status"] == "read"

    wait_for(delivered, timeout=15, interval=0.3)
    assert fleet.wire("after a retry") == 1
    history = [h["status"] for h in fleet.message(mid)["history"]]
    assert history[:4] == ["queued", "sending", "queued", "sending"]


def test_an_engine_that_got_no_answer_keeps_the_message_from_a_second_send(fleet: Fleet,
                                                                           monkeypatch):
    real_send = fleet.network.send

    def no_answer(session: EngineSession, outbound, message_id=None) -> str:
        real_send(session, outbound, message_id)  # it went out, but WhatsApp never said so
        raise EngineError("outcome_unknown", "timed out waiting for message send response")

    monkeypatch.setattr(fleet.network, "send", no_answer)
    mid = fleet.send("no answer")
    run_worker(resources.OUTBOUND)
    assert fleet.message(mid)["status"] in ("sending", "delivered", "read")  # not failed
    # Its receipts still resolve it (the id was recorded before the send).
    wait_for(lambda: fleet.message(mid)["status"] == "read")
    run_worker(resources.OUTBOUND)
    assert fleet.wire("no answer") == 1
