"""/v1/campaigns through the HTTP API on moto: create, start, the tick's releases, progress,
pause/resume/cancel, recipients, exactly once."""

from __future__ import annotations

from typing import Any

from chalicelib import resources
from chalicelib.bootstrap import container
from tests.conftest import RunningHost, Tenant, run_worker

FAST = {"min_s": 0, "max_s": 0}


def phones(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"to": f"+1415555{start + i:04d}"} for i in range(count)]


def tick(tenant: Tenant, campaign_id: str) -> None:
    """The campaign's next tick now (what its tick record does when it arrives)."""
    campaign = container().campaigns.get(tenant.id, campaign_id)
    assert campaign is not None
    container().campaign_service.tick(tenant.id, campaign_id, campaign.tick_id)


def drain(tenant: Tenant, campaign_id: str, rounds: int = 20) -> dict[str, Any]:
    for _ in range(rounds):
        tick(tenant, campaign_id)
        run_worker(resources.OUTBOUND_BULK)
        got = tenant.call("GET", f"/v1/campaigns/{campaign_id}").json
        if got["status"] in ("completed", "canceled"):
            return got
    return got


def test_a_campaign_reaches_every_recipient_once(acme: Tenant, working: str,
                                                 host: RunningHost):
    created = acme.call("POST", "/v1/campaigns", {
        "name": "launch", "session_ids": [working],
        "message": {"type": "text", "text": "Hi {{name}}"},
        "recipients": [{"to": "+14155550001", "variables": {"name": "Ann"}},
                       {"to": "14155550002", "variables": {"name": "Bob"}},
                       {"to": "+14155550001", "variables": {"name": "Ann again"}},
                       {"to": "nonsense", "variables": {"name": "X"}},
                       {"to": "+14155550003"}],
        "message_interval": FAST})
    assert created.status_code == 201, created.body
    body = created.json
    assert body["status"] == "draft"
    assert body["progress"]["total"] == 2 and body["duplicates"] == 1 and body["invalid"] == 2
    started = acme.call("POST", f"/v1/campaigns/{body['id']}/start")
    assert started.status_code == 200, started.body
    final = drain(acme, body["id"])
    assert final["status"] == "completed", final
    assert final["progress"]["sent"] + final["progress"]["delivered"] \
        + final["progress"]["read"] == 2
    texts = sorted(out.content.text for _, _, out in host.engine.outbox)
    assert texts == ["Hi Ann", "Hi Bob"]
    listed = acme.call("GET", f"/v1/campaigns/{body['id']}/recipients").json
    assert len(listed["items"]) == 2 and all(i["message_id"] for i in listed["items"])
