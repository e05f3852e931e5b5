"""The arithmetic of ``bench/cost.py``: AWS list prices (dated constants), the assumptions, and
the cost of what the bench measured, per 1,000,000 messages, per session-month and as the
stack's fixed monthly floor. Pure: no AWS, no timing; ``tests/bench/test_cost.py`` checks it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

REGION = "us-east-1"
PRICED_ON = "2026-01-15"  # when these list prices were taken (on-demand, no free tier)
HOURS_PER_MONTH = 730  # AWS's billing month
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
MILLION = 1_000_000
GB = 1024**3

_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_APIGW = "https://aws.amazon.com/api-gateway/pricing/"
_DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_VPC = "https://aws.amazon.com/vpc/pricing/"
_S3 = "https://aws.amazon.com/s3/pricing/"


@dataclass(frozen=True)
class Price:
    dollars: float
    per: str
    source: str


PRICES: dict[str, Price] = {
    "lambda_gb_second": Price(0.0000133334, "GB-second of duration, arm64", _LAMBDA),
    "lambda_request": Price(0.20 / MILLION, "invocation", _LAMBDA),
    "apigw_request": Price(3.50 / MILLION, "REST API request (first 333 M a month)", _APIGW),
    "dynamodb_write_unit": Price(0.625 / MILLION, "write request unit, on-demand", _DYNAMODB),
    "dynamodb_read_unit": Price(0.125 / MILLION, "read request unit, on-demand", _DYNAMODB),
    "dynamodb_gb_month": Price(0.25, "GB-month stored, Standard table class", _DYNAMODB),
    "sqs_request": Price(0.40 / MILLION, "standard queue request (per 64 KB chunk)",
                         "https://aws.amazon.com/sqs/pricing/"),
    "scheduler_invocation": Price(1.00 / MILLION, "EventBridge Scheduler invocation",
                                  "https://aws.amazon.com/eventbridge/pricing/"),
    "fargate_vcpu_hour": Price(0.04048, "vCPU-hour, Linux x86_64",
                               "https://aws.amazon.com/fargate/pricing/"),
    "fargate_gb_hour": Price(0.004445, "GB-hour of memory, Linux x86_64",
                             "https://aws.amazon.com/fargate/pricing/"),
    "efs_gb_month": Price(0.30, "GB-month, EFS Standard", "https://aws.amazon.com/efs/pricing/"),
    "efs_write_gb": Price(0.06, "GB written, Elastic Throughput",
                          "https://aws.amazon.com/efs/pricing/"),
    "nat_hour": Price(0.045, "NAT gateway hour", _VPC),
    "nat_gb": Price(0.045, "GB processed by the NAT gateway", _VPC),
    "public_ipv4_hour": Price(0.005, "public IPv4 address hour (the NAT's)", _VPC),
    "endpoint_az_hour": Price(0.01, "interface endpoint hour, per AZ",
                              "https://aws.amazon.com/privatelink/pricing/"),
    "secret_month": Price(0.40, "secret-month",
                          "https://aws.amazon.com/secrets-manager/pricing/"),
    "logs_ingested_gb": Price(0.50, "GB of log data ingested (Standard)", _CLOUDWATCH),
    "metric_month": Price(0.30, "custom metric-month (first 10,000)", _CLOUDWATCH),
    "alarm_month": Price(0.10, "standard-resolution alarm metric-month", _CLOUDWATCH),
    "dashboard_month": Price(3.00, "dashboard-month", _CLOUDWATCH),
    "kms_key_month": Price(1.00, "customer managed KMS key-month (the alarm topic's)",
                           "https://aws.amazon.com/kms/pricing/"),
    "s3_put": Price(0.005 / 1000, "PUT request, S3 Standard", _S3),
    "s3_get": Price(0.0004 / 1000, "GET request, S3 Standard", _S3),
    "s3_gb_month": Price(0.023, "GB-month, S3 Standard (first 50 TB)", _S3),
    "ecr_gb_month": Price(0.10, "GB-month of image storage",
                          "https://aws.amazon.com/ecr/pricing/"),
}

# The services of the table, in its order.
SERVICES = ("API Gateway", "Lambda", "DynamoDB", "SQS", "EventBridge Scheduler", "Fargate",
            "EFS", "S3", "CloudWatch Logs", "CloudWatch metrics, alarms, dashboard",
            "NAT gateway", "VPC interface endpoints", "Secrets Manager", "ECR")
COLUMNS = ("per 1M messages", "per session-month", "fixed per month")


@dataclass(frozen=True)
class Assumptions:
    """What the bench cannot measure; every field is printed with the figures."""

    lambda_memory_mb: int = 1024  # .chalice/config.json stages.prod; arm64
    lambda_base_ms: float = 20.0  # Python work per invocation, besides its AWS calls
    aws_call_ms: float = 6.0  # one in-region DynamoDB/SQS call, made one after another
    webhook_response_ms: float = 150.0  # the customer's endpoint answers a delivery in
    platform_log_bytes: int = 260  # Lambda's START, END and REPORT lines per invocation
    webhooks_per_tenant: int = 1
    media_share: float = 0.10  # of messages carry media
    media_kb: float = 200.0
    media_gets: int = 2  # reads of a stored media object (the host, the customer)
    media_days_kept: float = 30.0
    scheduled_share: float = 0.05  # of messages are scheduled for later
    nat_kb_per_message: float = 6.0  # WhatsApp traffic of a text send + its webhook posts
    efs_write_kb_per_message: float = 8.0  # the Signal session state neonize writes
    host_vcpu: float = 0.5
    host_memory_gb: float = 1.0
    host_capacity: int = 200
    autoscaling_target: float = 0.70  # of capacity (infra/fleet.py TARGET_SESSIONS_PCT)
    efs_mb_per_session: float = 5.0  # a neonize SQLite auth store
    nat_mb_per_session_month: float = 30.0  # WhatsApp keep-alives, receipts, presence
    nat_gateways: int = 1
    interface_endpoints: int = 5  # SQS, Secrets Manager, CloudWatch Logs, ECR api, ECR dkr
    availability_zones: int = 2
    secrets: int = 3
    min_hosts: int = 1
    # infra/monitoring.py: 7 DLQs, 6 queues, 11 functions x 2, API 2, hosts 2, app 4
    alarms: int = 43
    dashboards: int = 1
    metric_dimension_values: int = 1  # one stage (the Prefix dimension) per account
    queues_polled: int = 6  # SQS event sources: each polled by Lambda while idle
    idle_polls_per_queue_month: float = 648_000  # 5 pollers, 20 s long polls
    image_gb: float = 1.0  # the session host's image in ECR

    @property
    def sessions_per_host(self) -> float:
        return self.host_capacity * self.autoscaling_target


@dataclass(frozen=True)
class MessageUsage:
    """Measured over one message's life (text, accept → read, its events delivered)."""

    api_requests: float
    invocations: dict[str, float]  # Lambda invocations by function, the API's included
    aws_calls: dict[str, float]  # AWS calls those invocations made, by function
    webhook_deliveries: float
    read_units: float
    write_units: float  # GSI writes included
    sqs_requests: float  # 64 KB chunks, the event source mappings' receives and deletes too
    log_bytes: float  # the code's log lines (the platform's are assumed)
    stored_bytes: dict[str, float]  # by table: DynamoDB items and index entries left behind


@dataclass(frozen=True)
class SessionUsage:
    """Measured on a host holding one WORKING session."""

    lease_ttl_s: float  # settings.lease_ttl_seconds; leases renew every third of it
    renewal_write_units: float  # one session's lease renewal
    liveness_write_s: float  # a session's last_check_at is written at most this often
    liveness_write_units: float
    host_beat_write_units: float  # the host's own registration, every third of the TTL
    adoption_sweep_read_units: float  # a host's look for orphans, every tenth of the TTL
    reconcile_invocation_calls: float  # AWS calls of one reconciler run (each minute)
    reconcile_read_units: float
    reconcile_write_units: float
    custom_metrics: int  # chalicelib/metrics.py ALL


@dataclass(frozen=True)
class Line:
    service: str
    column: str
    item: str
    dollars: float


@dataclass
class Costs:
    lines: list[Line] = field(default_factory=list)

    def add(self, service: str, column: str, item: str, dollars: float) -> None:
        assert service in SERVICES and column in COLUMNS, (service, column)
        self.lines.append(Line(service, column, item, dollars))

    def total(self, column: str, service: str | None = None) -> float:
        return sum(line.dollars for line in self.lines
                   if line.column == column and service in (None, line.service))

    def table(self) -> dict[str, dict[str, float | None]]:
        """Service → column → dollars (None where the service costs nothing in it)."""
        return {s: {c: (self.total(c, s) if any(line.service == s and line.column == c
                                                for line in self.lines) else None)
                    for c in COLUMNS} for s in SERVICES}


def lambda_gb_seconds(invocations: float, calls: float, a: Assumptions,
                      waited_ms: float = 0.0) -> float:
    """GB-seconds of ``invocations`` that made ``calls`` AWS calls in all (billed per ms)."""
    if not invocations:
        return 0.0
    ms = math.ceil(a.lambda_base_ms + a.aws_call_ms * calls / invocations
                   + waited_ms / invocations)
    return invocations * ms / 1000 * a.lambda_memory_mb / 1024


def host_month(a: Assumptions) -> float:
    return HOURS_PER_MONTH * (a.host_vcpu * PRICES["fargate_vcpu_hour"].dollars
                              + a.host_memory_gb * PRICES["fargate_gb_hour"].dollars)


def per_million_messages(m: MessageUsage, a: Assumptions, costs: Costs) -> None:
    p = {k: v.dollars for k, v in PRICES.items()}
    col = COLUMNS[0]
    costs.add("API Gateway", col, "REST requests", m.api_requests * MILLION * p["apigw_request"])
    invocations = sum(m.invocations.values())
    costs.add("Lambda", col, f"{invocations:g} invocations per message",
              invocations * MILLION * p["lambda_request"])
    gb_s = sum(lambda_gb_seconds(n, m.aws_calls.get(fn, 0), a) for fn, n in
               m.invocations.items())
    gb_s += m.webhook_deliveries * a.webhook_response_ms / 1000 * a.lambda_memory_mb / 1024
    costs.add("Lambda", col, f"duration, {gb_s:.3f} GB-s per message",
              gb_s * MILLION * p["lambda_gb_second"])
    costs.add("DynamoDB", col, f"{m.write_units:g} write units per message",
              m.write_units * MILLION * p["dynamodb_write_unit"])
    costs.add("DynamoDB", col, f"{m.read_units:g} read units per message",
              m.read_units * MILLION * p["dynamodb_read_unit"])
    costs.add("SQS", col, f"{m.sqs_requests:g} requests per message",
              m.sqs_requests * MILLION * p["sqs_request"])
    costs.add("EventBridge Scheduler", col, f"{a.scheduled_share:.0%} of messages scheduled",
              a.scheduled_share * MILLION * p["scheduler_invocation"])
    media = a.media_share * MILLION
    costs.add("S3", col, f"{a.media_share:.0%} of messages with media",
              media * (p["s3_put"] + a.media_gets * p["s3_get"]
                       + a.media_kb * 1024 / GB * p["s3_gb_month"] * a.media_days_kept / 30))
    log_bytes = m.log_bytes + invocations * a.platform_log_bytes
    costs.add("CloudWatch Logs", col, f"{log_bytes:.0f} bytes per message",
              log_bytes * MILLION / GB * p["logs_ingested_gb"])
    costs.add("CloudWatch metrics, alarms, dashboard", col,
              "billed per metric-month, not per message (see the fixed column)", 0.0)
    costs.add("EFS", col, f"{a.efs_write_kb_per_message:g} KB written per message",
              a.efs_write_kb_per_message * 1024 * MILLION / GB * p["efs_write_gb"])
    nat_kb = a.nat_kb_per_message + a.media_share * a.media_kb
    costs.add("NAT gateway", col, f"{nat_kb:g} KB to WhatsApp and webhooks per message",
              nat_kb * 1024 * MILLION / GB * p["nat_gb"])


def per_session_month(s: SessionUsage, a: Assumptions, costs: Costs) -> None:
    p = {k: v.dollars for k, v in PRICES.items()}
    col = COLUMNS[1]
    per_host = a.sessions_per_host
    costs.add("Fargate", col, f"a host's month / {per_host:g} sessions", host_month(a) / per_host)
    costs.add("EFS", col, f"{a.efs_mb_per_session:g} MB of auth state",
              a.efs_mb_per_session / 1024 * p["efs_gb_month"])
    renewals = SECONDS_PER_MONTH / (s.lease_ttl_s / 3)
    costs.add("DynamoDB", col, f"{renewals:,.0f} lease renewals",
              renewals * s.renewal_write_units * p["dynamodb_write_unit"])
    checks = SECONDS_PER_MONTH / s.liveness_write_s
    costs.add("DynamoDB", col, f"{checks:,.0f} liveness writes",
              checks * s.liveness_write_units * p["dynamodb_write_unit"])
    host_units = (renewals * s.host_beat_write_units * p["dynamodb_write_unit"]
                  + SECONDS_PER_MONTH / (s.lease_ttl_s / 10) * s.adoption_sweep_read_units
                  * p["dynamodb_read_unit"])
    costs.add("DynamoDB", col, "the host's heartbeats and adoption sweeps, its share",
              host_units / per_host)
    costs.add("NAT gateway", col, f"{a.nat_mb_per_session_month:g} MB of WhatsApp traffic",
              a.nat_mb_per_session_month / 1024 * p["nat_gb"])


def fixed_per_month(s: SessionUsage, a: Assumptions, costs: Costs) -> None:
    p = {k: v.dollars for k, v in PRICES.items()}
    col = COLUMNS[2]
    h = HOURS_PER_MONTH
    costs.add("NAT gateway", col, f"{a.nat_gateways} gateway and its public IPv4",
              a.nat_gateways * h * (p["nat_hour"] + p["public_ipv4_hour"]))
    costs.add("VPC interface endpoints", col,
              f"{a.interface_endpoints} endpoints x {a.availability_zones} AZs",
              a.interface_endpoints * a.availability_zones * h * p["endpoint_az_hour"])
    costs.add("Secrets Manager", col, f"{a.secrets} secrets", a.secrets * p["secret_month"])
    costs.add("Fargate", col, f"{a.min_hosts} host always on", a.min_hosts * host_month(a))
    renewals = SECONDS_PER_MONTH / (s.lease_ttl_s / 3)
    costs.add("DynamoDB", col, "that host's heartbeats and adoption sweeps",
              a.min_hosts * (renewals * s.host_beat_write_units * p["dynamodb_write_unit"]
                             + SECONDS_PER_MONTH / (s.lease_ttl_s / 10)
                             * s.adoption_sweep_read_units * p["dynamodb_read_unit"]))
    metrics = s.custom_metrics * a.metric_dimension_values
    costs.add("CloudWatch metrics, alarms, dashboard", col,
              f"{metrics} custom metrics, {a.alarms} alarms, {a.dashboards} dashboard, "
              "the alarm topic's KMS key",
              metrics * p["metric_month"] + a.alarms * p["alarm_month"]
              + a.dashboards * p["dashboard_month"] + p["kms_key_month"])
    runs = SECONDS_PER_MONTH / 60
    costs.add("Lambda", col, f"the reconciler, {runs:,.0f} runs",
              runs * p["lambda_request"] + lambda_gb_seconds(
                  runs, runs * s.reconcile_invocation_calls, a) * p["lambda_gb_second"])
    costs.add("DynamoDB", col, "the reconciler's reads and writes",
              runs * (s.reconcile_read_units * p["dynamodb_read_unit"]
                      + s.reconcile_write_units * p["dynamodb_write_unit"]))
    costs.add("CloudWatch Logs", col, "the reconciler's platform log lines",
              runs * a.platform_log_bytes / GB * p["logs_ingested_gb"])
    costs.add("SQS", col, f"idle polling of {a.queues_polled} queues",
              a.queues_polled * a.idle_polls_per_queue_month * p["sqs_request"])
    costs.add("ECR", col, f"{a.image_gb:g} GB host image", a.image_gb * p["ecr_gb_month"])


def compute(m: MessageUsage, s: SessionUsage, a: Assumptions) -> Costs:
    costs = Costs()
    per_million_messages(m, a, costs)
    per_session_month(s, a, costs)
    fixed_per_month(s, a, costs)
    return costs


def storage_per_million(m: MessageUsage) -> dict[str, float]:
    """GB of DynamoDB storage that 1M messages leave behind, by table (dollars per GB-month:
    ``PRICES["dynamodb_gb_month"]``)."""
    return {table: size * MILLION / GB for table, size in m.stored_bytes.items() if size > 0}


def report(m: MessageUsage, s: SessionUsage, a: Assumptions) -> dict[str, Any]:
    """Everything ``--json`` prints."""
    costs = compute(m, s, a)
    stored = storage_per_million(m)
    return {
        "region": REGION, "priced_on": PRICED_ON,
        "prices": {k: asdict(v) for k, v in PRICES.items()},
        "assumptions": {**asdict(a), "sessions_per_host": a.sessions_per_host},
        "measured": {"per_message": asdict(m), "per_session": asdict(s)},
        "table": costs.table(),
        "totals": {c: costs.total(c) for c in COLUMNS},
        "lines": [asdict(line) for line in costs.lines],
        "dynamodb_storage_per_million_messages": {
            "gb_by_table": stored,
            "dollars_per_month_kept": sum(stored.values()) * PRICES["dynamodb_gb_month"].dollars},
    }
