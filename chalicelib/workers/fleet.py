"""The fleet's health gauges (FAILED and deaf sessions, stale hosts), published by the
reconciler each minute."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.bootstrap import container

log = logging.getLogger("wagate.workers")


def watch() -> dict[str, Any]:
    gauges = container().fleet_watch.publish()
    if any(gauges.values()):
        log.info("fleet: %s", " ".join(f"{name}={value}" for name, value in gauges.items()))
    return gauges
