"""Create the declared tables and queues on an AWS endpoint (moto locally and in tests)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import resources


def _table_definition(table: resources.Table, prefix: str) -> dict[str, Any]:
    attrs = {table.pk}
    key_schema = [{"AttributeName": table.pk, "KeyType": "HASH"}]
    if table.sk:
        attrs.add(table.sk)
        key_schema.append({"AttributeName": table.sk, "KeyType": "RANGE"})
    gsis = []
    for index in table.indexes:
        schema = [{"AttributeName": index.pk, "KeyType": "HASH"}]
        attrs.add(index.pk)
        if index.sk:
            attrs.add(index.sk)
            schema.append({"AttributeName": index.sk, "KeyType": "RANGE"})
        projection: dict[str, Any] = {"ProjectionType": "ALL"}
        if index.include:
            projection = {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.include)}
        gsis.append({"IndexName": index.name, "KeySchema": schema, "Projection": projection})
    definition: dict[str, Any] = {
        "TableName": table.physical_name(prefix),
        "KeySchema": key_schema,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if gsis:
        definition["GlobalSecondaryIndexes"] = gsis
    return definition


def provision(dynamodb: Any, sqs: Any, prefix: str, s3: Any = None,
              scheduler: Any = None) -> None:
    """Create every declared table, queue (with its DLQ), bucket and schedule group;
    existing ones are kept."""
    if scheduler is not None:
        provision_schedule_groups(scheduler, prefix)
    if s3 is not None:
        provision_buckets(s3, prefix)
    existing = set(dynamodb.list_tables().get("TableNames", []))
    for table in resources.TABLES:
        if table.physical_name(prefix) in existing:
            continue
        dynamodb.create_table(**_table_definition(table, prefix))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.physical_name(prefix),
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    for queue in resources.QUEUES:
        dlq_url = sqs.create_queue(
            QueueName=queue.dlq_physical_name(prefix),
            Attributes={"MessageRetentionPeriod": str(queue.dlq_retention_seconds)},
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sqs.create_queue(
            QueueName=queue.physical_name(prefix),
            Attributes={
                "VisibilityTimeout": str(queue.visibility_timeout),
                "MessageRetentionPeriod": str(queue.retention_seconds),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
                ),
                **queue.attributes,
            },
        )


def provision_schedule_groups(scheduler: Any, prefix: str) -> None:
    groups = {g["Name"] for g in scheduler.list_schedule_groups().get("ScheduleGroups", [])}
    for group in resources.SCHEDULE_GROUPS:
        if group.physical_name(prefix) not in groups:
            scheduler.create_schedule_group(Name=group.physical_name(prefix))


def provision_buckets(s3: Any, prefix: str) -> None:
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in resources.BUCKETS:
        if bucket.physical_name(prefix) not in existing:
            s3.create_bucket(Bucket=bucket.physical_name(prefix))
