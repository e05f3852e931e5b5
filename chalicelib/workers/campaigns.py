"""The campaign tick (campaign-ticks queue → release the next recipients, queue the next
tick) and the watchdog that revives a campaign whose tick chain broke."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.bootstrap import container
from chalicelib.workers.batch import process_batch

log = logging.getLogger("wagate.workers")


def handle_ticks(event: dict[str, Any], context: Any) -> dict[str, Any]:
    campaigns = container().campaign_service

    def tick(body: dict[str, Any], _receive_count: int) -> None:
        campaigns.tick(body["tenant_id"], body["campaign_id"], body.get("tick_id"),
                       start=bool(body.get("start")), resume=bool(body.get("resume")))

    return process_batch(event, context, "campaign-ticks", tick)


def watchdog() -> dict[str, Any]:
    woken = container().campaign_service.watchdog()
    if woken:
        log.warning("campaign watchdog: %d campaign(s) with an overdue tick woken", woken)
    return {"campaigns_woken": woken}
