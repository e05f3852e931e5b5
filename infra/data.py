"""Where wagate keeps things: the tables, queues with their DLQs, buckets and EventBridge
Scheduler groups, each built from its declaration in ``chalicelib.resources``.

In production (``Settings.production``) everything holding customer data is retained when the
stack is deleted and the tables carry deletion protection; elsewhere ``make destroy`` removes
the tables and schedule groups too. Buckets are always retained (CloudFormation cannot delete a
bucket that holds objects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs

from chalicelib import resources
from infra.nag import acknowledge

# SQS attribute names that are not plain AWS::SQS::Queue properties.
_UNSUPPORTED_QUEUE_ATTRIBUTES = frozenset({"Policy", "RedrivePolicy", "RedriveAllowPolicy"})
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
ACCESS_LOG_DAYS = 90  # the access-log bucket's objects (S3 server access logs, VPC flow logs)


def pascal(key: str) -> str:
    """``"webhook-retries"`` -> ``"WebhookRetries"`` (for construct ids)."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", key))


def _cfn_value(value: str) -> str | int | bool:
    """Turn an SQS API attribute string into the JSON type CloudFormation expects."""
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.isdigit():
        return int(value)
    return value


@dataclass
class DataStores:
    """Every table, queue (and DLQ), bucket and schedule group of one stage."""

    tables: dict[str, dynamodb.Table]
    queues: dict[str, sqs.Queue]
    dlqs: dict[str, sqs.Queue]
    buckets: dict[str, s3.Bucket]
    access_logs: s3.Bucket
    schedule_groups: dict[str, scheduler.ScheduleGroup]
    schedule_dlq: sqs.Queue
    scheduler_role: iam.Role

    @classmethod
    def build(cls, stack: Stack, prefix: str, *, production: bool) -> DataStores:
        kept = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY
        tables = {spec.key: table(stack, spec, prefix, production) for spec in resources.TABLES}
        dlqs: dict[str, sqs.Queue] = {}
        queues: dict[str, sqs.Queue] = {}
        for spec in resources.QUEUES:
            queues[spec.key], dlqs[spec.key] = queue(stack, spec, prefix)
        access_logs = access_log_bucket(stack)
        buckets = {spec.key: bucket(stack, spec, access_logs) for spec in resources.BUCKETS}
        groups = {
            spec.key: scheduler.ScheduleGroup(
                stack, f"{pascal(spec.key)}ScheduleGroup",
                schedule_group_name=spec.physical_name(prefix),
                # Deleting a group deletes its schedules: the messages still waiting their time.
                removal_policy=kept)
            for spec in resources.SCHEDULE_GROUPS
        }
        schedule_dlq = _dead_letter_queue(stack, "ScheduleDlq", f"{prefix}-schedules-dlq")
        acknowledge(schedule_dlq, "AwsSolutions-SQS3",
                    "this is the dead-letter queue of the one-time schedules (their "
                    "DeadLetterConfig), which SQS cannot see as a redrive")
        lanes = [queues[spec.key] for spec in resources.OUTBOUND_LANES.values()]
        role = scheduler_role(stack, prefix, list(groups.values()), lanes, schedule_dlq)
        return cls(tables, queues, dlqs, buckets, access_logs, groups, schedule_dlq, role)

    def grant_schedules(self, stack: Stack, grantee: iam.IRole, prefix: str) -> None:
        """Create and cancel one-time schedules in our groups only, and hand them the scheduler
        role (and no other role, and to no other service)."""
        grantee.add_to_principal_policy(iam.PolicyStatement(
            actions=["scheduler:CreateSchedule", "scheduler:DeleteSchedule"],
            resources=[stack.format_arn(service="scheduler", resource="schedule",
                                        resource_name=f"{spec.physical_name(prefix)}/*")
                       for spec in resources.SCHEDULE_GROUPS]))
        grantee.add_to_principal_policy(iam.PolicyStatement(
            actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_PRINCIPAL}}))


def table(stack: Stack, spec: resources.Table, prefix: str, production: bool) -> dynamodb.Table:
    """One on-demand table with string keys, its GSIs, TTL and point-in-time recovery."""
    string = dynamodb.AttributeType.STRING
    built = dynamodb.Table(
        stack, f"{pascal(spec.key)}Table",
        table_name=spec.physical_name(prefix),
        partition_key=dynamodb.Attribute(name=spec.pk, type=string),
        sort_key=dynamodb.Attribute(name=spec.sk, type=string) if spec.sk else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        time_to_live_attribute=spec.ttl_attribute,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True),
        deletion_protection=production,
        removal_policy=RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY,
    )
    for index in spec.indexes:
        built.add_global_secondary_index(
            index_name=index.name,
            partition_key=dynamodb.Attribute(name=index.pk, type=string),
            sort_key=dynamodb.Attribute(name=index.sk, type=string) if index.sk else None,
            projection_type=dynamodb.ProjectionType.INCLUDE if index.include
            else dynamodb.ProjectionType.ALL,
            non_key_attributes=list(index.include) or None,
        )
    return built


def _dead_letter_queue(stack: Stack, construct_id: str, name: str,
                       retention_s: int = 14 * 24 * 3600) -> sqs.Queue:
    dlq = sqs.Queue(stack, construct_id, queue_name=name,
                    retention_period=Duration.seconds(retention_s),
                    encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
    acknowledge(dlq, "Serverless-SQSRedrivePolicy",
                "this is a dead-letter queue: what lands here stays for an operator to redrive")
    return dlq


def queue(stack: Stack, spec: resources.Queue, prefix: str) -> tuple[sqs.Queue, sqs.Queue]:
    """One queue and its dead-letter queue (redrive after ``max_receive_count``)."""
    name = pascal(spec.key)
    dlq = _dead_letter_queue(stack, f"{name}Dlq", spec.dlq_physical_name(prefix),
                             spec.dlq_retention_seconds)
    built = sqs.Queue(
        stack, f"{name}Queue",
        queue_name=spec.physical_name(prefix),
        visibility_timeout=Duration.seconds(spec.visibility_timeout),
        retention_period=Duration.seconds(spec.retention_seconds),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    cfn_queue = built.node.default_child
    assert isinstance(cfn_queue, sqs.CfnQueue)
    for attribute, value in spec.attributes.items():
        # The local stack passes these to CreateQueue; the CFN property names are the same.
        if attribute in _UNSUPPORTED_QUEUE_ATTRIBUTES:
            raise ValueError(f"queue {spec.key!r}: attribute {attribute} is not supported here")
        cfn_queue.add_property_override(attribute, _cfn_value(value))
    return built, dlq


def _private_bucket(stack: Stack, construct_id: str, rules: list[s3.LifecycleRule],
                    **kwargs: object) -> s3.Bucket:
    """Private, SSE-S3 encrypted, TLS 1.2+ only, owner-enforced and retained."""
    return s3.Bucket(
        stack, construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=rules,
        removal_policy=RemovalPolicy.RETAIN,
        **kwargs,
    )


def access_log_bucket(stack: Stack) -> s3.Bucket:
    """Where the media bucket's server access logs and the VPC's flow logs go."""
    logs = _private_bucket(stack, "AccessLogBucket", [
        s3.LifecycleRule(id="expire", expiration=Duration.days(ACCESS_LOG_DAYS))])
    acknowledge(logs, "AwsSolutions-S1",
                "the access-log bucket itself: logging its own access would loop")
    return logs


def bucket(stack: Stack, spec: resources.Bucket, access_logs: s3.Bucket) -> s3.Bucket:
    """A private bucket whose objects expire after ``expire_days``. CloudFormation names it
    (bucket names are global); the functions and hosts learn it from ``WAGATE_<KEY>_BUCKET``."""
    rules = [s3.LifecycleRule(id="abort-incomplete-uploads",
                              abort_incomplete_multipart_upload_after=Duration.days(1))]
    if spec.expire_days:
        rules.append(s3.LifecycleRule(id="expire", expiration=Duration.days(spec.expire_days)))
    return _private_bucket(stack, f"{pascal(spec.key)}Bucket", rules,
                           server_access_logs_bucket=access_logs,
                           server_access_logs_prefix=f"s3/{spec.key}/")


def scheduler_role(stack: Stack, prefix: str, groups: list[scheduler.ScheduleGroup],
                   lanes: list[sqs.Queue], dlq: sqs.Queue) -> iam.Role:
    """The role the app's one-time schedules run as (their ``Target.RoleArn``): it may only put
    messages on the outbound lanes and, when a delivery fails for good, on the schedules' DLQ;
    only this account's schedule groups may assume it."""
    role = iam.Role(
        stack, "SchedulerRole",
        description=f"{prefix}: EventBridge Scheduler puts due messages on the lanes",
        assumed_by=iam.ServicePrincipal(SCHEDULER_PRINCIPAL, conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": [group.schedule_group_arn for group in groups]},
        }),
    )
    role.add_to_principal_policy(iam.PolicyStatement(
        actions=["sqs:SendMessage"],  # SSE-SQS queues: no KMS permission needed
        resources=[q.queue_arn for q in (*lanes, dlq)]))
    return role
