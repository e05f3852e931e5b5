"""One-time EventBridge Scheduler schedules that put a due message on its queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError


class EventBridgeScheduler:
    def __init__(self, client: Any, group: str, role_arn: str, dlq_arn: str = "") -> None:
        """``dlq_arn``: where the scheduler puts a due message it could not deliver after its
        retries (none locally)."""
        self._client = client
        self._group = group
        self._role_arn = role_arn
        self._dead_letters = {"DeadLetterConfig": {"Arn": dlq_arn}} if dlq_arn else {}

    def schedule(self, name: str, at: datetime, queue_arn: str, body: dict[str, Any]) -> None:
        """At ``at`` (UTC), send ``body`` to the queue; the schedule then deletes itself. The
        scheduler counts whole seconds: a time within a second fires at the next one, never
        the one before."""
        if at.microsecond:
            at = at.replace(microsecond=0) + timedelta(seconds=1)
        self._client.create_schedule(
            Name=name, GroupName=self._group,
            ScheduleExpression=f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
            ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": queue_arn, "RoleArn": self._role_arn, "Input": json.dumps(body),
                    "RetryPolicy": {"MaximumRetryAttempts": 185,
                                    "MaximumEventAgeInSeconds": 86_400},
                    **self._dead_letters})

    def cancel(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
