"""End to end: a background session host with a short self-check period finds a session
that is connected but deaf, reconnects it and publishes why; messages flow again."""

from __future__ import annotations

from pathlib import Path

from chalicelib.sessionhost.liveness import DEAF_REASON
from tests.api.test_liveness import FRIEND, _health, _inbound_texts, _statuses
from tests.conftest import Tenant, start_host, wait_for


def test_a_background_host_finds_a_deaf_session_by_itself(acme: Tenant, aws: None,
                                                          tmp_path: Path):
    running = start_host(tmp_path / "state", background=True, self_check_s=0.2)
    try:
        sid = acme.call("POST", "/v1/sessions", {"name": "shop"}).json["id"]
        wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "SCAN_QR")
        acme.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550100"})
        wait_for(lambda: _health(acme, sid)["last_check_at"])
        acme.call("POST", f"/v1/sandbox/sessions/{sid}/deaf", {"deaf": True})
        acme.call("POST", f"/v1/sandbox/sessions/{sid}/inbound", {"from": FRIEND, "text": "?"})
        wait_for(lambda: _inbound_texts(acme, sid) == ["?"])
        wait_for(lambda: acme.call("GET", f"/v1/sessions/{sid}").json["status"] == "WORKING")
        assert any(s["reason"] == f"reconnecting: {DEAF_REASON} (attempt 1)"
                   for s in _statuses(acme, sid))
    finally:
        running.host.kill()
        running.stop()
