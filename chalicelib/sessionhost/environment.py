"""What a session host learns from where it runs: its address, and how it reports load.

On Fargate the task's private IP comes from the ECS task metadata endpoint (v4), and load is
published as CloudWatch Embedded Metric Format lines on stdout (no API calls: the log driver
ships them), which the fleet's autoscaling tracks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from chalicelib.metrics import SESSIONS_PER_HOST_PCT, emf_record


def advertised_address(env: Mapping[str, str], port: int,
                       fetch: Callable[[str], Any] | None = None) -> str:
    """The base URL other components use to reach this host's internal API."""
    if env.get("WAGATE_HOST_ADDRESS"):
        return env["WAGATE_HOST_ADDRESS"]
    metadata = env.get("ECS_CONTAINER_METADATA_URI_V4")
    if metadata:
        get = fetch or (lambda url: requests.get(url, timeout=2).json())
        networks = get(metadata).get("Networks") or []
        addresses = [a for n in networks for a in n.get("IPv4Addresses", [])]
        if addresses:
            return f"http://{addresses[0]}:{port}"
    return f"http://127.0.0.1:{port}"


def load_metric(prefix: str, host_id: str, sessions: int, capacity: int,
                now_ms: int | None = None) -> dict[str, Any]:
    """One EMF record: sessions as a percentage of capacity, by ``Prefix`` only (the
    autoscaling policy matches exactly that dimension set); the host id and its session
    count ride along as properties."""
    return emf_record(prefix, {SESSIONS_PER_HOST_PCT: round(100 * sessions / max(capacity, 1), 2)},
                      now_ms if now_ms is not None else int(time.time() * 1000),
                      HostId=host_id, Sessions=sessions)


class MetricEmitter:
    """Prints a load record at most once per ``interval_s``."""

    def __init__(self, prefix: str, write: Callable[[str], None], interval_s: float = 60) -> None:
        self._prefix = prefix
        self._write = write
        self._interval = interval_s
        self._last = float("-inf")

    def __call__(self, host_id: str, sessions: int, capacity: int) -> None:
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self._write(json.dumps(load_metric(self._prefix, host_id, sessions, capacity)))
