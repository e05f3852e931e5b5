"""Where a host runs: its advertised address (ECS metadata) and its load metric (EMF)."""

from __future__ import annotations

import json

from chalicelib import metrics
from chalicelib.sessionhost.environment import (
    MetricEmitter,
    advertised_address,
    load_metric,
)

TASK_METADATA = {"Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.3.17"]}]}


def test_an_explicit_address_wins():
    env = {"WAGATE_HOST_ADDRESS": "http://hosts.internal:9000",
           "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x"}
    assert advertised_address(env, 8100, fetch=lambda _: TASK_METADATA) == \
        "http://hosts.internal:9000"


def test_on_fargate_the_task_ip_comes_from_the_metadata_endpoint():
    asked: list[str] = []
    env = {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/abc"}
    address = advertised_address(env, 8100, fetch=lambda url: asked.append(url) or TASK_METADATA)
    assert address == "http://10.0.3.17:8100"
    assert asked == ["http://169.254.170.2/v4/abc"]


def test_locally_it_is_loopback():
    assert advertised_address({}, 8123) == "http://127.0.0.1:8123"


def test_load_metric_is_emf_with_exactly_the_prefix_dimension():
    record = load_metric("wagate-prod", "host-a", sessions=35, capacity=200,
                         now_ms=1_700_000_000_000)
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert record["_aws"]["Timestamp"] == 1_700_000_000_000
    assert directive["Namespace"] == metrics.NAMESPACE == "wagate"
    assert directive["Dimensions"] == [["Prefix"]]
    assert record["Prefix"] == "wagate-prod"
    assert directive["Metrics"] == [{"Name": "SessionsPerHostPct", "Unit": "Percent"}]
    assert record["SessionsPerHostPct"] == 17.5
    assert record["HostId"] == "host-a" and record["Sessions"] == 35  # properties, not metrics


def test_the_emitter_reports_at_most_once_per_interval():
    lines: list[str] = []
    emit = MetricEmitter("wagate-prod", lines.append, interval_s=3600)
    emit("h", 1, 10)
    emit("h", 2, 10)
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record[metrics.SESSIONS_PER_HOST_PCT.name] == 10.0 and record["Prefix"] == "wagate-prod"
