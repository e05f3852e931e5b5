"""The wagate CDK stack: tables, queues, the media bucket, schedule groups, secrets, the VPC, the
Chalice app and the host fleet.

Every table, queue, bucket and EventBridge Scheduler group is built from ``chalicelib.resources``
(the one declaration), the Chalice app is packaged with ``chalice.cdk.Chalice``, its functions run
in the VPC's private subnets and its SQS handlers are wired to the queues this stack creates. The
session-host fleet (ECS Fargate, EFS) is ``infra/fleet.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from chalice.app import BaseEventSourceConfig, SQSEventConfig
from chalice.cdk import Chalice
from chalice.utils import to_cfn_resource_name
from constructs import Construct, Node

from chalicelib import resources
from infra.fleet import FleetSettings, SessionHostFleet

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGION = "us-east-1"
_STAGE_RE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
# The tables the session hosts read and write (the rest are the API's and workers' alone).
HOST_TABLES = (resources.SESSIONS, resources.MESSAGES, resources.HOSTS, resources.CONTACTS,
               resources.CHATS, resources.SANDBOX_RECIPIENTS)
# SQS attribute names that are not plain AWS::SQS::Queue properties.
_UNSUPPORTED_QUEUE_ATTRIBUTES = frozenset({"Policy", "RedrivePolicy", "RedriveAllowPolicy"})
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
# The cap on concurrent invocations of the bulk lane's worker (CDK context key, default): the
# SQS event source mapping's ScalingConfig.MaximumConcurrency (2..1000), so campaigns cannot take
# the account's whole Lambda concurrency from the high and normal lanes.
BULK_MAX_CONCURRENCY_KEY = "bulk_max_concurrency"
DEFAULT_BULK_MAX_CONCURRENCY = 5
# API Gateway's own answers (errors it gives before or instead of our Lambda), in our error
# envelope: type -> (status, code, message). Unknown paths reach the app's catch-all route;
# an unknown method on a known path is MISSING_AUTHENTICATION_TOKEN here.
GATEWAY_RESPONSES: dict[str, tuple[str | None, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", "route_not_found",
                                     "no such route or method; see /docs"),
    "THROTTLED": ("429", "throttled", "too many requests; slow down and retry"),
    "QUOTA_EXCEEDED": ("429", "throttled", "too many requests; slow down and retry"),
    "REQUEST_TOO_LARGE": ("413", "payload_too_large",
                          "the body is larger than 10 MB; send large media by URL"),
    "UNSUPPORTED_MEDIA_TYPE": ("415", "unsupported_media_type", "unsupported media type"),
    "INTEGRATION_TIMEOUT": ("504", "timeout",
                            "the gateway did not answer in time; the request may have been "
                            "carried out: check before retrying"),
    "DEFAULT_4XX": (None, "bad_request", "the request was refused"),
    "DEFAULT_5XX": (None, "unavailable", "the gateway is unavailable; retry later"),
}


def bulk_max_concurrency(node: Node) -> int:
    """``bulk_max_concurrency`` from the CDK context (``-c bulk_max_concurrency=10``), else 5."""
    raw = node.try_get_context(BULK_MAX_CONCURRENCY_KEY)
    value = DEFAULT_BULK_MAX_CONCURRENCY if raw is None else int(raw)
    if not 2 <= value <= 1000:  # the range Lambda accepts for MaximumConcurrency
        raise ValueError(f"{BULK_MAX_CONCURRENCY_KEY} must be within 2..1000, got {value}")
    return value


def stack_name(stage: str) -> str:
    """The CloudFormation stack name of a stage."""
    return f"wagate-{stage}"


def prefix_for(stage: str) -> str:
    """The ``WAGATE_PREFIX`` (table and queue name prefix) of a stage."""
    return f"wagate-{stage}"


def _pascal(key: str) -> str:
    """``"webhook-retries"`` -> ``"WebhookRetries"`` (for construct ids)."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", key))


def _cfn_value(value: str) -> str | int | bool:
    """Turn an SQS API attribute string into the JSON type CloudFormation expects."""
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.isdigit():
        return int(value)
    return value


@contextlib.contextmanager
def _chalice_packaging(workdir: Path) -> Iterator[None]:
    """Run ``chalice package`` in ``workdir`` and undo its side effects on this process.

    The construct writes ``chalice.out/`` into the current directory and copies the stage's
    environment variables into ``os.environ`` while it imports ``app.py``.
    """
    saved_env = dict(os.environ)
    if not (os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")):
        # chalice only uses the region to pick service principals; the template stays agnostic.
        os.environ["AWS_DEFAULT_REGION"] = DEFAULT_REGION
    try:
        with contextlib.chdir(workdir):
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)


class WagateStack(Stack):
    """Tables, queues with DLQs, buckets, schedule groups and their role, two secrets, a VPC, the
    Chalice app and the session hosts."""

    def __init__(
        self, scope: Construct, stage: str, *, source_dir: Path = REPO_ROOT, **kwargs: Any
    ) -> None:
        """Build the stack of ``stage``; its construct id is the stage, its name wagate-<stage>.

        The Chalice construct takes its chalice stage name from this construct id, so the
        ``stages.<stage>`` block of ``.chalice/config.json`` applies.
        """
        if not _STAGE_RE.match(stage):
            raise ValueError(f"stage must match {_STAGE_RE.pattern}, got {stage!r}")
        kwargs.setdefault("stack_name", stack_name(stage))
        super().__init__(scope, stage, **kwargs)
        self.stage = stage
        self.prefix = prefix_for(stage)
        self.source_dir = Path(source_dir).resolve()

        self.tables = {spec.key: self._table(spec) for spec in resources.TABLES}
        self.dlqs: dict[str, sqs.Queue] = {}
        self.queues = {spec.key: self._queue(spec) for spec in resources.QUEUES}
        self.buckets = {spec.key: self._bucket(spec) for spec in resources.BUCKETS}
        self.schedule_groups = {
            spec.key: self._schedule_group(spec) for spec in resources.SCHEDULE_GROUPS
        }
        self.scheduler_role = self._scheduler_role()
        self.jwt_secret = self._secret("JwtSecret", "HS256 signing key of wagate login tokens")
        self.internal_secret = self._secret(
            "InternalSecret", "Shared secret of the wagate internal host API"
        )
        self.otp_pepper = self._secret(
            "OtpPepper", "Pepper of wagate OTP code hashes and sealed message text"
        )

        self.vpc = self._vpc()
        self.lambda_security_group = ec2.SecurityGroup(
            self,
            "LambdaSecurityGroup",
            vpc=self.vpc,
            description=f"{self.prefix} Lambda functions (the only clients of the hosts)",
            allow_all_outbound=True,  # AWS APIs, webhooks anywhere, the hosts' internal API
        )

        self.chalice = self._chalice_app()
        self._gateway_responses()
        self._grant_default_role()
        self._wire_sqs_handlers()

        self.fleet = SessionHostFleet(
            self,
            "SessionHosts",
            vpc=self.vpc,
            client_security_group=self.lambda_security_group,
            source_dir=self.source_dir,
            prefix=self.prefix,
            tables={spec.key: self.tables[spec.key] for spec in HOST_TABLES},
            events_queue=self.queues[resources.EVENT_QUEUE.key],
            internal_secret=self.internal_secret,
            settings=FleetSettings.from_context(self.node),
        )
        self._share_buckets_with_the_hosts()

    # -- resources from the declaration -------------------------------------------------------

    def _table(self, spec: resources.Table) -> dynamodb.Table:
        """One PAY_PER_REQUEST table with string keys, its GSIs, TTL and PITR."""
        string = dynamodb.AttributeType.STRING
        table = dynamodb.Table(
            self,
            f"{_pascal(spec.key)}Table",
            table_name=spec.physical_name(self.prefix),
            partition_key=dynamodb.Attribute(name=spec.pk, type=string),
            sort_key=dynamodb.Attribute(name=spec.sk, type=string) if spec.sk else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=spec.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=spec.point_in_time_recovery
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.pk, type=string),
                sort_key=dynamodb.Attribute(name=index.sk, type=string) if index.sk else None,
                projection_type=dynamodb.ProjectionType.INCLUDE if index.include
                else dynamodb.ProjectionType.ALL,
                non_key_attributes=list(index.include) or None,
            )
        return table

    def _queue(self, spec: resources.Queue) -> sqs.Queue:
        """One queue and its dead-letter queue (redrive after ``max_receive_count``)."""
        name = _pascal(spec.key)
        dlq = sqs.Queue(
            self,
            f"{name}Dlq",
            queue_name=spec.dlq_physical_name(self.prefix),
            retention_period=Duration.seconds(spec.dlq_retention_seconds),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        queue = sqs.Queue(
            self,
            f"{name}Queue",
            queue_name=spec.physical_name(self.prefix),
            visibility_timeout=Duration.seconds(spec.visibility_timeout),
            retention_period=Duration.seconds(spec.retention_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=dlq, max_receive_count=spec.max_receive_count
            ),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        cfn_queue = queue.node.default_child
        assert isinstance(cfn_queue, sqs.CfnQueue)
        for attribute, value in spec.attributes.items():
            # The local stack passes these to CreateQueue; the CFN property names are the same.
            if attribute in _UNSUPPORTED_QUEUE_ATTRIBUTES:
                raise ValueError(f"queue {spec.key!r}: attribute {attribute} is not supported here")
            cfn_queue.add_property_override(attribute, _cfn_value(value))
        self.dlqs[spec.key] = dlq
        return queue

    def _bucket(self, spec: resources.Bucket) -> s3.Bucket:
        """A private, SSE-S3 encrypted, TLS-only bucket whose objects expire after
        ``expire_days``. CloudFormation names it (bucket names are global); the functions and
        hosts learn the name from ``WAGATE_<KEY>_BUCKET``."""
        rules = [s3.LifecycleRule(
            id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
        )]
        if spec.expire_days:
            rules.append(s3.LifecycleRule(id="expire", expiration=Duration.days(spec.expire_days)))
        return s3.Bucket(
            self,
            f"{_pascal(spec.key)}Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=rules,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _schedule_group(self, spec: resources.ScheduleGroup) -> scheduler.ScheduleGroup:
        """An EventBridge Scheduler group named ``<prefix>-<key>`` (the app creates its one-time
        schedules in it). Retained like the tables: deleting a group deletes its schedules, i.e.
        the messages still waiting for their time."""
        return scheduler.ScheduleGroup(
            self,
            f"{_pascal(spec.key)}ScheduleGroup",
            schedule_group_name=spec.physical_name(self.prefix),
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _scheduler_role(self) -> iam.Role:
        """The role the app's schedules run as (their ``Target.RoleArn``): it may only put
        messages on the outbound lanes, and only this account's schedule groups may assume it."""
        role = iam.Role(
            self,
            "SchedulerRole",
            description=f"{self.prefix}: EventBridge Scheduler puts due messages on the lanes",
            assumed_by=iam.ServicePrincipal(
                SCHEDULER_PRINCIPAL,
                conditions={
                    "StringEquals": {"aws:SourceAccount": self.account},
                    "ArnLike": {
                        "aws:SourceArn": [
                            group.schedule_group_arn for group in self.schedule_groups.values()
                        ]
                    },
                },
            ),
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"],  # SSE-SQS queues: no KMS permission needed
                resources=[
                    self.queues[spec.key].queue_arn
                    for spec in resources.OUTBOUND_LANES.values()
                ],
            )
        )
        return role

    def _bucket_environment(self) -> dict[str, str]:
        """``WAGATE_MEDIA_BUCKET`` (and one such variable per declared bucket) -> its name."""
        return {
            f"WAGATE_{spec.key.upper().replace('-', '_')}_BUCKET": (
                self.buckets[spec.key].bucket_name
            )
            for spec in resources.BUCKETS
        }

    def _share_buckets_with_the_hosts(self) -> None:
        """The session hosts read media to send and write media they receive."""
        for name, value in self._bucket_environment().items():
            self.fleet.container.add_environment(name, value)
        for bucket in self.buckets.values():
            bucket.grant_read_write(self.fleet.task_definition.task_role)

    def _secret(self, construct_id: str, description: str) -> secretsmanager.Secret:
        """A generated 64-character secret (letters and digits)."""
        return secretsmanager.Secret(
            self,
            construct_id,
            description=f"{description} ({self.stage})",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
        )

    # -- the network --------------------------------------------------------------------------

    def _vpc(self) -> ec2.Vpc:
        """Two AZs, public and private-with-egress subnets, ONE NAT gateway (cost), and free
        gateway endpoints for DynamoDB (most of the traffic) and S3 (ECR image layers)."""
        return ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
            ],
            gateway_endpoints={
                "DynamoDb": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                ),
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
            },
            # True adds a custom-resource Lambda that strips the default SG's rules; nothing here
            # uses the default SG.
            restrict_default_security_group=False,
        )

    # -- the Chalice app ----------------------------------------------------------------------

    def _chalice_app(self) -> Chalice:
        """Package ``app.py`` with ``chalice package`` and include its SAM template."""
        # These win over .chalice/config.json (top level and "stages.<stage>").
        stage_config: dict[str, Any] = {
            # Dependencies go into a layer cached by the hash of requirements.txt alone, so
            # code changes only re-zip app.py and chalicelib/ instead of re-running pip.
            "automatic_layer": True,
            "environment_variables": {
                "WAGATE_PREFIX": self.prefix,
                "WAGATE_JWT_SECRET_ARN": self.jwt_secret.secret_arn,
                "WAGATE_INTERNAL_SECRET_ARN": self.internal_secret.secret_arn,
                "WAGATE_OTP_PEPPER_ARN": self.otp_pepper.secret_arn,
                "WAGATE_ENABLE_SANDBOX_API": "false",
                "WAGATE_SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
                **self._bucket_environment(),
            },
            # Every function in the private subnets, behind the lambda SG (the hosts' only
            # allowed client). chalice writes these CDK tokens into its SAM template verbatim;
            # they resolve to Refs when the template is synthesized.
            "subnet_ids": self.vpc.select_subnets(
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
            ).subnet_ids,
            "security_group_ids": [self.lambda_security_group.security_group_id],
        }
        with tempfile.TemporaryDirectory(prefix="wagate-chalice-") as workdir:
            # The SAM template is read and the zips are staged into the cloud assembly while
            # the construct is built, so chalice.out/ can go right after.
            with _chalice_packaging(Path(workdir)):
                construct = Chalice(
                    self, "Api", source_dir=str(self.source_dir), stage_config=stage_config
                )
            (sam_file,) = Path(workdir).glob("chalice.out/*/sam.json")
            self.sam_template: dict[str, Any] = json.loads(sam_file.read_text())
        return construct

    def _gateway_responses(self) -> None:
        """API Gateway's own errors in our envelope, with our security headers and the request
        id (never its 403 ``{"message": "Missing Authentication Token"}``)."""
        api_id = self.chalice.get_resource("RestAPI").ref
        headers = {
            "gatewayresponse.header.Content-Type": "'application/json'",
            "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
            "gatewayresponse.header.Cache-Control": "'no-store'",
            "gatewayresponse.header.X-Request-Id": "context.requestId",
        }
        for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
            body = json.dumps({"error": {"code": code, "message": message, "details": []}})
            apigateway.CfnGatewayResponse(
                self, f"GatewayResponse{_pascal(response_type.lower())}",
                rest_api_id=api_id, response_type=response_type, status_code=status,
                response_parameters=headers,
                response_templates={"application/json": body})

    def _chalice_event_sources(self) -> list[BaseEventSourceConfig]:
        """The event sources of the app module that ``chalice package`` just imported."""
        module = sys.modules.get("app")
        module_file = getattr(module, "__file__", None)
        if module_file is None or Path(module_file).resolve() != self.source_dir / "app.py":
            raise RuntimeError(f"chalice did not load {self.source_dir / 'app.py'} as 'app'")
        return list(module.app.event_sources)

    def _grant_default_role(self) -> None:
        """Least privilege for the role all Chalice functions share.

        The grants below land in separate AWS::IAM::Policy resources that the functions do not
        depend on. The ENI permissions a VPC function needs must exist when the function is
        created, so they go on the role resource itself (chalice's ``get_role`` is an imported
        role: ``add_managed_policy`` with an AWS managed policy only warns and attaches nothing).
        """
        vpc_access = iam.ManagedPolicy.from_aws_managed_policy_name(
            "service-role/AWSLambdaVPCAccessExecutionRole"
        )
        self.chalice.get_resource("DefaultRole").add_property_override(
            "ManagedPolicyArns", [vpc_access.managed_policy_arn]
        )
        role = self.chalice.get_role("DefaultRole")
        for table in self.tables.values():
            table.grant_read_write_data(role)
        for queue in self.queues.values():
            queue.grant_send_messages(role)
            queue.grant_consume_messages(role)
        for bucket in self.buckets.values():
            bucket.grant_read_write(role)
        self.jwt_secret.grant_read(role)
        self.internal_secret.grant_read(role)
        self.otp_pepper.grant_read(role)
        # One-time schedules of due messages: create and cancel them in our groups only, and
        # hand them the scheduler role (and no other role, and to no other service).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["scheduler:CreateSchedule", "scheduler:DeleteSchedule"],
                resources=[
                    self.format_arn(
                        service="scheduler",
                        resource="schedule",
                        resource_name=f"{spec.physical_name(self.prefix)}/*",
                    )
                    for spec in resources.SCHEDULE_GROUPS
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.scheduler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_PRINCIPAL}},
            )
        )

    def _wire_sqs_handlers(self) -> None:
        """Point each SQS handler at its CDK queue and turn on partial batch responses; cap the
        bulk lane's concurrency.

        Chalice names the function resource after the handler (``send_worker`` ->
        ``SendWorker``) and its SAM event ``<Function>SqsEventSource``; it does not set
        ``FunctionResponseTypes`` (aws/chalice#2029).

        The bulk cap is the event source's ``MaximumConcurrency``, not the function's reserved
        concurrency: the event source mapping does not see reserved concurrency, so it would
        keep polling, get throttled, and every throttled batch would count as a receive towards
        the DLQ's ``max_receive_count``; a reservation also takes concurrency from the account
        (a deploy fails when fewer than 100 unreserved executions would remain).
        """
        by_name = {spec.physical_name(self.prefix): spec for spec in resources.QUEUES}
        for source in self._chalice_event_sources():
            if not isinstance(source, SQSEventConfig):
                continue
            spec = by_name.get(source.queue or "")
            if spec is None:
                raise RuntimeError(
                    f"SQS handler {source.name!r} listens on {source.queue or source.queue_arn!r}, "
                    f"which is not a queue declared in chalicelib/resources.py for prefix "
                    f"{self.prefix!r} (was app.py imported with another WAGATE_PREFIX?)"
                )
            function_id = to_cfn_resource_name(source.name)
            event_id = to_cfn_resource_name(f"{source.name}-sqs-event-source")
            # Read the events from chalice's own template: jsii cannot read SAM event unions back.
            sam_function = self.sam_template["Resources"].get(function_id, {})
            events = sam_function.get("Properties", {}).get("Events", {})
            if event_id not in events:
                raise RuntimeError(f"{function_id} has no SAM event {event_id}: {list(events)}")
            function = self.chalice.get_resource(function_id)
            properties = f"Events.{event_id}.Properties"
            function.add_property_override(f"{properties}.Queue", self.queues[spec.key].queue_arn)
            function.add_property_override(
                f"{properties}.FunctionResponseTypes", ["ReportBatchItemFailures"]
            )
            if spec is resources.OUTBOUND_BULK:
                function.add_property_override(
                    f"{properties}.ScalingConfig.MaximumConcurrency",
                    bulk_max_concurrency(self.node),
                )


def build_app(
    stage: str | None = None,
    outdir: str | os.PathLike[str] | None = None,
    source_dir: Path = REPO_ROOT,
) -> tuple[cdk.App, WagateStack]:
    """A CDK app holding the stack of one stage (call ``app.synth()`` to write it out).

    The stage is ``stage``, else the ``stage`` context value, else ``$WAGATE_STAGE``, else
    ``dev``. Without ``outdir`` the app writes to ``$CDK_OUTDIR`` (set by the CDK CLI) or a
    temporary directory.
    """
    app = cdk.App(outdir=str(outdir)) if outdir is not None else cdk.App()
    stage = stage or app.node.try_get_context("stage") or os.environ.get("WAGATE_STAGE") or "dev"
    stack = WagateStack(
        app,
        stage,
        source_dir=source_dir,
        description=f"wagate WhatsApp gateway ({stage})",
    )
    cdk.Tags.of(stack).add("app", "wagate")
    cdk.Tags.of(stack).add("stage", stage)
    return app, stack
