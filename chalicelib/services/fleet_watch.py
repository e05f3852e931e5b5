"""The fleet's health as gauges, published by the reconciler once a minute: FAILED sessions,
deaf sessions (connected, but their latest self-check went unanswered) and session hosts
whose heartbeat is overdue.

Each is bounded and cheap: FAILED sessions are counted on a sparse index that holds only
them (keys and reason), up to ``FAILED_COUNT_MAX``; deaf sessions and stale hosts come from
the hosts registry, one query of one partition (each host reports its deaf sessions with its
heartbeat)."""

from __future__ import annotations

from chalicelib.domain import clock
from chalicelib.metrics import HOSTS_STALE, SESSIONS_DEAF, SESSIONS_FAILED
from chalicelib.services.ports import HostRegistry, Metrics, SessionRepo

FAILED_COUNT_MAX = 100_000  # past this the gauge stays at the cap (an alarm has long fired)


class FleetWatch:
    def __init__(self, sessions: SessionRepo, hosts: HostRegistry, metrics: Metrics) -> None:
        self._sessions = sessions
        self._hosts = hosts
        self._metrics = metrics

    def publish(self) -> dict[str, int]:
        """Measure the gauges and publish them; what was measured."""
        now_ms = clock.epoch_ms()
        hosts = self._hosts.registered()
        live = [h for h in hosts if h.alive_until_ms > now_ms]
        gauges = {
            SESSIONS_FAILED: self._sessions.count_failed(FAILED_COUNT_MAX),
            SESSIONS_DEAF: sum(h.deaf for h in live),
            HOSTS_STALE: sum(1 for h in hosts if h.alive_until_ms <= now_ms and not h.draining),
        }
        for metric, value in gauges.items():
            self._metrics.gauge(metric, value)
        return {metric.name: value for metric, value in gauges.items()}
