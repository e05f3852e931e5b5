"""The one declaration of wagate's CloudWatch metrics.

The functions and the session hosts publish them in CloudWatch embedded metric format (EMF) under
``NAMESPACE``, each with exactly one dimension, ``Prefix`` (``WAGATE_PREFIX``), so two stages in
one account stay apart; the CDK stack's alarms, dashboard and autoscaling read the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NAMESPACE = "wagate"
DIMENSION = "Prefix"


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # an EMF unit: Count, Percent, Milliseconds
    description: str


# Gauges the reconciler publishes once a minute.
SESSIONS_FAILED = Metric("SessionsFailed", "Count", "sessions in FAILED")
SESSIONS_DEAF = Metric("SessionsDeaf", "Count",
                       "sessions that look connected but whose connection answers nothing")
HOSTS_STALE = Metric("HostsStale", "Count",
                     "registered session hosts whose heartbeat is overdue")
# Counters, one per occurrence.
MESSAGES_SENT = Metric("MessagesSent", "Count", "messages WhatsApp accepted from a host")
MESSAGES_FAILED = Metric("MessagesFailed", "Count", "messages that ended FAILED")
WEBHOOK_DELIVERIES = Metric("WebhookDeliveries", "Count", "webhook delivery attempts")
WEBHOOK_DELIVERIES_FAILED = Metric("WebhookDeliveriesFailed", "Count",
                                   "webhook delivery attempts that failed")
GOVERNOR_PAUSES = Metric("GovernorPauses", "Count",
                         "times the governor paused a session's sending")
# The session hosts' load, one value per host per minute (the fleet's autoscaling target).
SESSIONS_PER_HOST_PCT = Metric("SessionsPerHostPct", "Percent",
                               "a host's sessions as a percentage of its capacity")

ALL = (SESSIONS_FAILED, SESSIONS_DEAF, HOSTS_STALE, MESSAGES_SENT, MESSAGES_FAILED,
       WEBHOOK_DELIVERIES, WEBHOOK_DELIVERIES_FAILED, GOVERNOR_PAUSES, SESSIONS_PER_HOST_PCT)


def emf_record(prefix: str, values: dict[Metric, float], now_ms: int,
               **properties: Any) -> dict[str, Any]:
    """One EMF record of ``values`` in ``NAMESPACE`` with the one dimension ``Prefix``;
    ``properties``: more keys for the log line (searchable, not metrics)."""
    return {
        "_aws": {"Timestamp": now_ms, "CloudWatchMetrics": [{
            "Namespace": NAMESPACE, "Dimensions": [[DIMENSION]],
            "Metrics": [{"Name": m.name, "Unit": m.unit} for m in values]}]},
        DIMENSION: prefix,
        **properties,
        **{m.name: value for m, value in values.items()},
    }
