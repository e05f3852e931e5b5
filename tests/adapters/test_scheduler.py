"""The EventBridge Scheduler adapter on moto: one-time schedules at whole seconds, never
early, and a cancel of a schedule that already fired is fine."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib import resources
from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.scheduler import EventBridgeScheduler
from chalicelib.bootstrap import container


def test_a_time_within_a_second_fires_at_the_next_one(aws: None):
    group = resources.CAMPAIGN_SCHEDULES.physical_name(container().settings.prefix)
    client = aws_clients.client("scheduler")
    scheduler = EventBridgeScheduler(client, group, "arn:aws:iam::123456789012:role/s")
    scheduler.schedule("early", datetime(2030, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
                       "arn:aws:sqs:us-east-1:123456789012:q", {"a": 1})
    scheduler.schedule("exact", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
                       "arn:aws:sqs:us-east-1:123456789012:q", {"a": 1})
    assert client.get_schedule(Name="early", GroupName=group)["ScheduleExpression"] \
        == "at(2030-01-02T03:04:06)"
    assert client.get_schedule(Name="exact", GroupName=group)["ScheduleExpression"] \
        == "at(2030-01-02T03:04:05)"
    scheduler.cancel("early")
    scheduler.cancel("early")  # gone already: fine


def test_a_schedule_names_the_dead_letter_queue_it_falls_back_to(aws: None):
    group = resources.MESSAGE_SCHEDULES.physical_name(container().settings.prefix)
    client = aws_clients.client("scheduler")
    dlq = "arn:aws:sqs:us-east-1:123456789012:wagate-test-schedules-dlq"
    EventBridgeScheduler(client, group, "arn:aws:iam::123456789012:role/s", dlq).schedule(
        "due", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), "arn:aws:sqs:us-east-1:1:q", {"a": 1})
    EventBridgeScheduler(client, group, "arn:aws:iam::123456789012:role/s").schedule(
        "local", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), "arn:aws:sqs:us-east-1:1:q", {"a": 1})
    assert client.get_schedule(Name="due", GroupName=group)["Target"]["DeadLetterConfig"] \
        == {"Arn": dlq}
    assert "DeadLetterConfig" not in client.get_schedule(Name="local", GroupName=group)["Target"]
