"""The sparse "by_failed" index on DynamoDB (moto): every status write keeps it, so counting
FAILED sessions reads only them, up to a cap."""

from __future__ import annotations

from chalicelib import bootstrap
from chalicelib.domain import clock
from chalicelib.domain.sessions import Session, SessionStatus


def _session(session_id: str, status: SessionStatus, tenant_id: str = "acme") -> Session:
    now = clock.now_iso()
    return Session(id=session_id, tenant_id=tenant_id, name="n", engine="sandbox",
                   status=status, created_at=now, updated_at=now)


def test_host_and_api_status_writes_keep_the_failed_count(aws: None) -> None:
    sessions = bootstrap.container().sessions
    for i in range(3):
        sessions.create(_session(f"s{i}", SessionStatus.STARTING))
    sessions.create(_session("g0", SessionStatus.FAILED, tenant_id="globex"))
    fence = sessions.claim("acme", "s0", "host-1", 30_000, clock.epoch_ms())
    assert fence is not None
    sessions.host_update("acme", "s0", "host-1", fence, status="FAILED", reason="gave up")
    assert sessions.count_failed(100) == 2
    assert sessions.count_failed(1) == 1  # the cap
    sessions.set_desired("acme", "s0", SessionStatus.STARTING, None, running=True)  # restarted
    assert sessions.count_failed(100) == 1
    sessions.delete("globex", "g0")
    assert sessions.count_failed(100) == 0
