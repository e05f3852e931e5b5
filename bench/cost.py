"""What wagate costs on AWS: per 1,000,000 messages sent, per session-month held, and the
stack's fixed monthly floor, from the AWS calls measured here and AWS's list prices.

    .venv/bin/python bench/cost.py [--messages 5] [--json]

Everything runs in-process on moto (as ``bench/send_path.py``: the API through
chalice.test.Client, the workers fed Lambda-shaped events, one session host on the sandbox
engine, a loopback webhook). Measured: the AWS calls, DynamoDB request units (from the items'
sizes), SQS requests (64 KB chunks), Lambda invocations and log bytes over whole message lives
(accept → sent → delivered → read, every status event delivered to one webhook); a host's
lease renewal, liveness write, heartbeat and adoption sweep; one reconciler run. Priced with
``bench/_pricing.py`` (us-east-1 list prices, dated, no free tier); what cannot be measured
here is an assumption, printed with the figures.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update({**BENCH_ENV, "WAGATE_SEND_INTERVAL_MS": "0",
                   "WAGATE_ALLOW_PRIVATE_WEBHOOKS": "true"})
os.environ.pop("AWS_ENDPOINT_URL", None)

from chalice.test import Client
from moto import mock_aws

import app as wagate
from bench import _pricing as pricing
from bench._metering import LogBytes, Meter
from bench._support import (
    LIFE_PHASES,
    Calls,
    SendWorld,
    message_life,
    send_world,
    stored_working_session,
    without_poller,
)
from chalicelib import bootstrap, metrics, resources
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.devstack.runtime import LambdaContext
from chalicelib.sessionhost.liveness import CHECK_WRITE_S

FLEET_PAGE = 100  # the adoption sweep reads one page of runnable sessions (sessions_repo)


def units(taken: collections.Counter[str], kind: str, table: str | None = None) -> float:
    """The ``kind`` units (RRU, WRU with its GSI writes) in ``taken``, of one table or all."""
    kinds = ("WRU", "WRU-gsi") if kind == "WRU" else (kind,)
    return sum(v for k, v in taken.items()
               if k.split(" ")[0] in kinds and table in (None, k.split(" ", 1)[1]))


class Probe:
    """Calls, billing units and log bytes since the last take."""

    def __init__(self) -> None:
        self.calls = Calls(os.environ["WAGATE_PREFIX"])
        self.calls.install()
        self.meter = Meter(os.environ["WAGATE_PREFIX"])
        self.meter.install()
        self.logs = LogBytes()
        self.logs.install()

    def take(self) -> tuple[collections.Counter[str], collections.Counter[str], int]:
        return self.calls.take(), self.meter.take(), self.logs.take()[1]


def measure_messages(probe: Probe, world: SendWorld, count: int) -> pricing.MessageUsage:
    body = f'{{"session_id": "{world.session_id}", "to": "+14155552671", "text": "hello"}}'
    message_life(world, body, probe.take)  # warm: fills the caches
    calls: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    billed: collections.Counter[str] = collections.Counter()
    invocations: collections.Counter[str] = collections.Counter()
    log_bytes = 0
    delivered = len(world.receiver.received)
    for _ in range(count):
        for phase, (taken, metered, logged) in message_life(world, body, probe.take)[1].items():
            calls[phase] += without_poller(taken)
            log_bytes += logged
            # Low traffic, the dearest case: each queued message is a batch of its own (one
            # invocation, one receive, one delete), however the bench's drain batched them.
            received = metered.pop("received messages", 0)
            invocations[phase] += 1 if phase == "api" else received
            metered["SQS ReceiveMessage"] = metered["SQS DeleteMessageBatch"] = received
            billed += metered
    webhooks = len(world.receiver.received) - delivered
    lambdas = [p for p in LIFE_PHASES if p != "host"]
    return pricing.MessageUsage(
        api_requests=1.0,
        invocations={p: invocations[p] / count for p in lambdas},
        aws_calls={p: sum(calls[p].values()) / count for p in lambdas},
        webhook_deliveries=webhooks / count,
        read_units=units(billed, "RRU") / count,
        write_units=units(billed, "WRU") / count,
        sqs_requests=sum(v for k, v in billed.items() if k.startswith("SQS ")) / count,
        log_bytes=log_bytes / count,
        stored_bytes={k.removeprefix("stored bytes "): v / count for k, v in billed.items()
                      if k.startswith("stored bytes ")})


def measure_sessions(probe: Probe, world: SendWorld) -> pricing.SessionUsage:
    c = bootstrap.container()
    host = world.host
    probe.take()
    host.heartbeat()
    beat = probe.take()[1]
    host.self_check(force=True)
    deadline = time.monotonic() + 10
    while not units(probe.meter.units, "WRU", "sessions") and time.monotonic() < deadline:
        time.sleep(0.01)
    host.flush()
    check = probe.take()[1]
    for _ in range(FLEET_PAGE):
        stored_working_session()
    probe.take()
    c.sessions.runnable()
    sweep = probe.take()[1]
    event = {"version": "0", "id": "bench", "detail-type": "Scheduled Event",
             "source": "aws.events", "account": "000000000000", "time": "2026-01-15T00:00:00Z",
             "region": "us-east-1", "resources": [], "detail": {}}
    wagate.reconcile(event, LambdaContext("reconcile"))
    reconcile_calls, reconcile_units, _ = probe.take()
    return pricing.SessionUsage(
        lease_ttl_s=c.settings.lease_ttl_seconds,
        renewal_write_units=units(beat, "WRU", "sessions"),
        liveness_write_s=CHECK_WRITE_S,
        liveness_write_units=units(check, "WRU", "sessions"),
        host_beat_write_units=units(beat, "WRU", "hosts"),
        adoption_sweep_read_units=units(sweep, "RRU"),
        reconcile_invocation_calls=sum(reconcile_calls.values()),
        reconcile_read_units=units(reconcile_units, "RRU"),
        reconcile_write_units=units(reconcile_units, "WRU"),
        custom_metrics=len(metrics.ALL))


def money(dollars: float | None) -> str:
    if dollars is None:
        return "—"
    return f"${dollars:,.2f}" if dollars >= 0.1 or dollars == 0 else f"${dollars:.4f}"


def render(data: dict[str, Any], messages: int) -> str:
    a, m, s = data["assumptions"], data["measured"]["per_message"], \
        data["measured"]["per_session"]
    width = max(len(name) for name in pricing.SERVICES)
    head = "".join(f"{c:>20}" for c in pricing.COLUMNS)
    rows = [f"{'AWS, ' + pricing.REGION:<{width}}{head}", "-" * (width + 60)]
    for service, cells in data["table"].items():
        rows.append(f"{service:<{width}}" + "".join(f"{money(v):>20}" for v in cells.values()))
    rows += ["-" * (width + 60), f"{'Total':<{width}}"
             + "".join(f"{money(v):>20}" for v in data["totals"].values())]
    stored = data["dynamodb_storage_per_million_messages"]
    retention = {t.key: t.ttl_attribute for t in resources.TABLES}
    by_table = ", ".join(f"{table} {gb:.2f}" + ("" if retention.get(table) else " (no TTL)")
                         for table, gb in sorted(stored["gb_by_table"].items(),
                                                 key=lambda kv: -kv[1]))
    functions = ", ".join(f"{fn} {n:g}" for fn, n in m["invocations"].items())
    calls = ", ".join(f"{fn} {n:g}" for fn, n in m["aws_calls"].items())
    lines = [
        f"wagate on AWS: list prices of {data['region']} taken {data['priced_on']} "
        "(on-demand, no free tier; sources: --json)",
        "", *rows, "",
        f"Storage: 1M messages leave {sum(stored['gb_by_table'].values()):.2f} GB in DynamoDB "
        f"(items and index entries; GB by table: {by_table}): "
        f"{money(stored['dollars_per_month_kept'])} per month they are kept.",
        "",
        f"Measured (moto, in-process; per message, the mean of {messages} text messages, each "
        "accept → sent → delivered → read with every status event delivered):",
        f"  Lambda invocations: {functions}; their AWS calls: {calls}",
        f"  webhook deliveries {m['webhook_deliveries']:g}; DynamoDB {m['write_units']:g} write "
        f"units (GSI writes included), {m['read_units']:g} read units; SQS "
        f"{m['sqs_requests']:g} requests; log lines {m['log_bytes']:.0f} bytes",
        f"Measured per session: lease renewal {s['renewal_write_units']:g} write units every "
        f"{s['lease_ttl_s'] / 3:g} s (a third of lease_ttl_seconds = {s['lease_ttl_s']:g}); "
        f"liveness write {s['liveness_write_units']:g} units every {s['liveness_write_s']:g} s",
        f"Measured per host: heartbeat {s['host_beat_write_units']:g} write units every "
        f"{s['lease_ttl_s'] / 3:g} s; adoption sweep {s['adoption_sweep_read_units']:g} read "
        f"units every {s['lease_ttl_s'] / 10:g} s (a fleet of {FLEET_PAGE}+ sessions: one full "
        f"page); reconciler run (each minute): {s['reconcile_invocation_calls']:g} AWS calls, "
        f"{s['reconcile_read_units']:g} read units, {s['reconcile_write_units']:g} write units; "
        f"{s['custom_metrics']} custom metrics (chalicelib/metrics.py)",
        "",
        "Assumed: Lambda "
        f"{a['lambda_memory_mb']} MB arm64 (prod stage), billed {a['lambda_base_ms']:g} ms per "
        f"invocation + {a['aws_call_ms']:g} ms per AWS call it makes, + "
        f"{a['webhook_response_ms']:g} ms waiting per webhook delivery, "
        f"{a['platform_log_bytes']} bytes of platform log lines per invocation; one event per "
        f"batch (low traffic: the dearest case); the tenant has {a['webhooks_per_tenant']} "
        f"webhook; {a['media_share']:.0%} of messages carry {a['media_kb']:g} KB of media (1 "
        f"PUT, {a['media_gets']} GETs, kept {a['media_days_kept']:g} days); "
        f"{a['scheduled_share']:.0%} are scheduled (one Scheduler invocation each); "
        f"{a['nat_kb_per_message']:g} KB per message through the NAT (WhatsApp and webhooks) "
        f"plus the media; neonize writes {a['efs_write_kb_per_message']:g} KB of Signal state "
        "to EFS per message.",
        f"Assumed per session: a host of {a['host_vcpu']:g} vCPU and {a['host_memory_gb']:g} GB "
        f"(x86_64) holds {a['host_capacity']} sessions and the fleet scales at "
        f"{a['autoscaling_target']:.0%} of it, so {a['sessions_per_host']:g} sessions per host "
        f"(at {a['host_capacity']}: {money(pricing.host_month(pricing.Assumptions()) / a['host_capacity'])}"  # noqa: E501
        f" per session-month); {a['efs_mb_per_session']:g} MB of auth state on EFS; "
        f"{a['nat_mb_per_session_month']:g} MB a month of WhatsApp traffic through the NAT.",
        f"Assumed floor: {a['nat_gateways']} NAT gateway, {a['interface_endpoints']} interface "
        f"endpoints x {a['availability_zones']} AZs, {a['secrets']} secrets, "
        f"{a['min_hosts']} host, {a['alarms']} alarms, {a['dashboards']} dashboard, "
        f"{a['queues_polled']} queues long-polled by Lambda while idle "
        f"({a['idle_polls_per_queue_month']:,.0f} requests each a month), a "
        f"{a['image_gb']:g} GB image in ECR; one stage per account.",
    ]
    return "\n".join(lines)


def main() -> None:
    serialize_in_process_moto()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5,
                        help="message lives to average (after one warm-up)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with mock_aws(), tempfile.TemporaryDirectory() as state, Client(wagate.app) as client:
        probe = Probe()
        world = send_world(client, Path(state))
        try:
            message_usage = measure_messages(probe, world, args.messages)
            session_usage = measure_sessions(probe, world)
        finally:
            world.close()
    data = pricing.report(message_usage, session_usage, pricing.Assumptions())
    print(json.dumps(data, indent=2) if args.json else render(data, args.messages))


if __name__ == "__main__":
    main()
