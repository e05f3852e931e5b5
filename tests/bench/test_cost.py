"""bench/cost.py's arithmetic on given usage (no AWS, no timing): every service is priced,
each figure is the measured quantity times its list price, and the totals add up."""

import json

import pytest

from bench import _pricing as pricing
from bench._pricing import COLUMNS, MILLION, PRICES, SERVICES, Assumptions

MESSAGE = pricing.MessageUsage(
    api_requests=1.0, invocations={"api": 1, "send worker": 1, "event worker": 3},
    aws_calls={"api": 3, "send worker": 10, "event worker": 12}, webhook_deliveries=3,
    read_units=20, write_units=50, sqs_requests=20, log_bytes=1000,
    stored_bytes={"messages": 2000, "events": 0})
SESSION = pricing.SessionUsage(
    lease_ttl_s=30, renewal_write_units=2, liveness_write_s=300, liveness_write_units=2,
    host_beat_write_units=1, adoption_sweep_read_units=4, reconcile_invocation_calls=3,
    reconcile_read_units=1.5, reconcile_write_units=0, custom_metrics=9)


def lines(costs: pricing.Costs, service: str, column: str) -> list[pricing.Line]:
    return [line for line in costs.lines if line.service == service and line.column == column]


def test_every_service_is_in_the_table_and_each_column_sums_to_its_total():
    costs = pricing.compute(MESSAGE, SESSION, Assumptions())
    table = costs.table()
    assert list(table) == list(SERVICES)
    for column in COLUMNS:
        assert sum(cells[column] or 0 for cells in table.values()) == pytest.approx(
            costs.total(column))
    priced = {service for service, cells in table.items()
              if any(v is not None for v in cells.values())}
    assert priced == set(SERVICES)


def test_per_message_figures_are_quantity_times_list_price():
    a = Assumptions()
    costs = pricing.compute(MESSAGE, SESSION, a)
    column = COLUMNS[0]
    assert costs.total(column, "API Gateway") == pytest.approx(3.50)
    assert costs.total(column, "DynamoDB") == pytest.approx(50 * 0.625 + 20 * 0.125)
    assert costs.total(column, "SQS") == pytest.approx(20 * 0.40)
    assert costs.total(column, "EventBridge Scheduler") == pytest.approx(
        a.scheduled_share * 1.00)
    requests, duration = lines(costs, "Lambda", column)
    assert requests.dollars == pytest.approx(5 * 0.20)
    # 1024 MB: api 20+3*6 = 38 ms, send 20+60 = 80 ms, events 3 x (20+24) = 132 ms,
    # plus 3 webhook waits of 150 ms.
    gb_s = (38 + 80 + 132 + 450) / 1000
    assert duration.dollars == pytest.approx(gb_s * MILLION * PRICES["lambda_gb_second"].dollars)
    logged = 1000 + 5 * a.platform_log_bytes
    assert costs.total(column, "CloudWatch Logs") == pytest.approx(
        logged * MILLION / 1024**3 * 0.50)
    assert costs.total(column, "CloudWatch metrics, alarms, dashboard") == 0


def test_session_month_shares_a_host_among_the_sessions_at_the_scaling_target():
    a = Assumptions()
    assert a.sessions_per_host == pytest.approx(140)
    costs = pricing.compute(MESSAGE, SESSION, a)
    column = COLUMNS[1]
    host = 730 * (0.5 * 0.04048 + 1 * 0.004445)
    assert costs.total(column, "Fargate") == pytest.approx(host / 140)
    renewals = 730 * 3600 / 10
    lease, liveness, host_share = lines(costs, "DynamoDB", column)
    assert lease.dollars == pytest.approx(renewals * 2 * 0.625 / MILLION)
    assert liveness.dollars == pytest.approx(730 * 3600 / 300 * 2 * 0.625 / MILLION)
    sweeps = 730 * 3600 / 3
    assert host_share.dollars == pytest.approx(
        (renewals * 1 * 0.625 + sweeps * 4 * 0.125) / MILLION / 140)
    assert costs.total(column, "EFS") == pytest.approx(5 / 1024 * 0.30)


def test_fixed_floor():
    costs = pricing.compute(MESSAGE, SESSION, Assumptions())
    column = COLUMNS[2]
    assert costs.total(column, "NAT gateway") == pytest.approx(730 * (0.045 + 0.005))
    assert costs.total(column, "VPC interface endpoints") == pytest.approx(5 * 2 * 730 * 0.01)
    assert costs.total(column, "Secrets Manager") == pytest.approx(1.20)
    assert costs.total(column, "CloudWatch metrics, alarms, dashboard") == pytest.approx(
        9 * 0.30 + 43 * 0.10 + 3.00 + 1.00)
    assert costs.total(column, "SQS") == pytest.approx(6 * 648_000 * 0.40 / MILLION)
    runs = 730 * 60
    reconciler = lines(costs, "Lambda", column)[0]
    assert reconciler.dollars == pytest.approx(
        runs * 0.20 / MILLION + runs * (20 + 3 * 6) / 1000 * PRICES["lambda_gb_second"].dollars)


def test_the_report_is_json_with_dated_sourced_prices_and_the_assumptions():
    data = json.loads(json.dumps(pricing.report(MESSAGE, SESSION, Assumptions())))
    assert data["region"] == "us-east-1" and data["priced_on"]
    assert all(p["source"].startswith("https://aws.amazon.com/") for p in data["prices"].values())
    assert data["assumptions"]["sessions_per_host"] == 140
    assert data["dynamodb_storage_per_million_messages"]["gb_by_table"] == {
        "messages": pytest.approx(2000 * MILLION / 1024**3)}
    assert set(data["totals"]) == set(COLUMNS)
