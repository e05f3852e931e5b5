"""The wagate CDK stack: one stage of the gateway in one AWS account and region.

Its parts, each in its own module: ``data`` (tables, queues, buckets, schedule groups, built from
``chalicelib.resources``), ``network`` (the VPC and its endpoints), ``secrets`` (Secrets Manager
and rotation), ``api`` (the Chalice app on Lambda and API Gateway), ``domains`` (the optional
custom domain and a host per dialect), ``fleet`` (the session hosts on Fargate), ``monitoring``
(alarms, their topic, the dashboard) and ``nag`` (cdk-nag and the findings we accept).

Context values (``cdk deploy -c key=value``, see docs/operations.md): ``stage``, ``production``,
``alarmEmail``, ``domainName`` + ``certificateArn``, ``fcmProjectId``, ``logRetentionDays``,
``bulk_max_concurrency`` and the fleet's ``host_*`` sizes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, Node

from chalicelib import resources
from infra import nag, runtime
from infra.api import ChaliceApp, api_gateway_logging_role, retention
from infra.data import DataStores
from infra.domains import CustomDomain
from infra.fleet import FleetSettings, SessionHostFleet
from infra.monitoring import Monitoring
from infra.network import PRIVATE, build_vpc
from infra.secrets import ROTATION_FUNCTION, Secrets

REPO_ROOT = runtime.REPO_ROOT
_STAGE_RE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
# The tables the session hosts read and write (the rest are the API's and workers' alone).
HOST_TABLES = (resources.SESSIONS, resources.MESSAGES, resources.HOSTS, resources.CONTACTS,
               resources.CHATS, resources.SANDBOX_RECIPIENTS)
# CDK feature flags this stack is written for: S3 access logs are allowed by a bucket policy
# (the log bucket keeps ACLs disabled).
FEATURE_FLAGS = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}
DIALECT_EDGE_FUNCTION = "DialectEdge"  # app.py: @app.lambda_function(name="dialect_edge")


def stack_name(stage: str) -> str:
    """The CloudFormation stack name of a stage."""
    return f"wagate-{stage}"


def prefix_for(stage: str) -> str:
    """The ``WAGATE_PREFIX`` (table and queue name prefix) of a stage."""
    return f"wagate-{stage}"


def _flag(node: Node, key: str) -> bool:
    return str(node.try_get_context(key) or "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class StackSettings:
    """What the context values ask of the stack."""

    production: bool
    alarm_email: str | None
    domain_name: str | None
    certificate_arn: str | None
    fcm_project_id: str | None
    log_retention_days: int

    @classmethod
    def from_context(cls, node: Node, stage: str) -> StackSettings:
        domain, certificate = node.try_get_context("domainName"), node.try_get_context(
            "certificateArn")
        if bool(domain) != bool(certificate):
            raise ValueError("set both domainName and certificateArn, or neither")
        return cls(
            production=stage == "prod" or _flag(node, "production"),
            alarm_email=node.try_get_context("alarmEmail") or None,
            domain_name=domain or None,
            certificate_arn=certificate or None,
            fcm_project_id=node.try_get_context("fcmProjectId") or None,
            log_retention_days=int(node.try_get_context("logRetentionDays") or 30),
        )


class WagateStack(Stack):
    """Every part of one stage of wagate."""

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
        self.settings = StackSettings.from_context(self.node, stage)
        removal = RemovalPolicy.RETAIN if self.settings.production else RemovalPolicy.DESTROY

        self.data = DataStores.build(self, self.prefix, production=self.settings.production)
        self.secrets = Secrets.build(self, stage, fcm=bool(self.settings.fcm_project_id))
        self.vpc = build_vpc(self, self.data.access_logs)
        self.lambda_security_group = ec2.SecurityGroup(
            self, "LambdaSecurityGroup", vpc=self.vpc,
            description=f"{self.prefix} Lambda functions (the only clients of the hosts)",
            allow_all_outbound=True)  # AWS APIs, webhooks anywhere, the hosts' internal API
        days = retention(self.settings.log_retention_days)
        self.function_logs = logs.LogGroup(
            self, "FunctionLogs", log_group_name=f"/wagate/{stage}/functions",
            retention=days, removal_policy=removal)
        self.access_logs = logs.LogGroup(
            self, "ApiAccessLogs", log_group_name=f"/wagate/{stage}/api-access",
            retention=days, removal_policy=removal)

        self.layer = runtime.build_layer(self.source_dir / "requirements.txt")
        if self.layer.why:
            cdk.Annotations.of(self).add_info(
                f"Lambda architecture {self.layer.architecture}: {self.layer.why}")
        self.dependency_layer = lambda_.LayerVersion(
            self, "Dependencies", code=lambda_.Code.from_asset(str(self.layer.directory)),
            compatible_runtimes=[lambda_.Runtime(runtime.lambda_runtime(),
                                                 lambda_.RuntimeFamily.PYTHON)],
            compatible_architectures=[lambda_.Architecture.ARM_64
                                      if self.layer.architecture == "arm64"
                                      else lambda_.Architecture.X86_64],
            description=f"wagate's dependencies (requirements.txt), {self.layer.architecture}")

        self.app = ChaliceApp(self, self.source_dir, self._stage_config())
        self.app.harden_functions(runtime=runtime.lambda_runtime(),
                                  architecture=self.layer.architecture,
                                  layer=self.dependency_layer, log_group=self.function_logs)
        self.app.narrow_default_role(
            self.function_logs, [q.queue_arn for q in self.data.queues.values()])
        self._grant_functions()
        self.app.wire_sqs_handlers(self.prefix, self.data.queues, self.node)
        self.app.gateway_responses()
        api_gateway_logging_role(self)
        self.app.api_stage(self.access_logs)
        self.secrets.rotate_with(self, self.app.function(ROTATION_FUNCTION),
                                 self.app.function_arn(ROTATION_FUNCTION), self.function_logs)

        self.domain = None
        if self.settings.domain_name and self.settings.certificate_arn:
            self.domain = CustomDomain(
                self, "Domain", domain_name=self.settings.domain_name,
                certificate_arn=self.settings.certificate_arn,
                rest_api_id=self.app.rest_api_id,
                dialect_function_arn=self.app.function_arn(DIALECT_EDGE_FUNCTION),
                access_logs=self.access_logs)

        self.fleet = SessionHostFleet(
            self, "SessionHosts",
            vpc=self.vpc,
            client_security_group=self.lambda_security_group,
            source_dir=self.source_dir,
            prefix=self.prefix,
            tables={table.table_name: table for table in self.fleet_tables()},
            events_queue=self.data.queues[resources.EVENT_QUEUE.key],
            internal_secret=self.secrets.rotated["InternalSecret"],
            settings=FleetSettings.from_context(self.node),
            python_version=runtime.python_version(),
            log_retention=days,
        )
        self._share_buckets_with_the_hosts()
        nag.acknowledge_grants(self.fleet, self.fleet_tables(), self.data.buckets.values())
        self.monitoring = Monitoring(
            self, "Monitoring", stage=stage, prefix=self.prefix, data=self.data, app=self.app,
            fleet=self.fleet, alarm_email=self.settings.alarm_email)

    def fleet_tables(self) -> list[Any]:
        return [self.data.tables[spec.key] for spec in HOST_TABLES]

    # -- the functions ------------------------------------------------------------------------

    def _bucket_environment(self) -> dict[str, str]:
        """``WAGATE_MEDIA_BUCKET`` (and one such variable per declared bucket) -> its name."""
        return {
            f"WAGATE_{spec.key.upper().replace('-', '_')}_BUCKET":
                self.data.buckets[spec.key].bucket_name
            for spec in resources.BUCKETS
        }

    def _stage_config(self) -> dict[str, Any]:
        """What wins over .chalice/config.json (top level and ``stages.<stage>``)."""
        environment = {
            "WAGATE_PREFIX": self.prefix,
            **self.secrets.environment,
            "WAGATE_ENABLE_SANDBOX_API": "false",
            "WAGATE_SCHEDULER_ROLE_ARN": self.data.scheduler_role.role_arn,
            "WAGATE_SCHEDULE_DLQ_ARN": self.data.schedule_dlq.queue_arn,
            "WAGATE_PUSH_PROVIDER": "fcm" if self.settings.fcm_project_id else "off",
            **self._bucket_environment(),
        }
        if self.settings.fcm_project_id:
            environment["WAGATE_FCM_PROJECT_ID"] = self.settings.fcm_project_id
        if self.settings.domain_name:
            environment["WAGATE_DIALECT_DOMAIN"] = self.settings.domain_name
        return {
            "environment_variables": environment,
            # Every function in the private subnets, behind the lambda SG (the hosts' only
            # allowed client). chalice writes these CDK tokens into its SAM template verbatim;
            # they resolve to Refs when the template is synthesized.
            "subnet_ids": self.vpc.select_subnets(
                subnet_type=PRIVATE.subnet_type).subnet_ids,
            "security_group_ids": [self.lambda_security_group.security_group_id],
        }

    def _grant_functions(self) -> None:
        """Least privilege for the role all Chalice functions share: the grants land in
        AWS::IAM::Policy resources naming each table, queue, bucket and secret."""
        role = self.app.role
        for table in self.data.tables.values():
            table.grant_read_write_data(role)
        for queue in self.data.queues.values():
            queue.grant_send_messages(role)
            queue.grant_consume_messages(role)
        for dlq in self.data.dlqs.values():  # the operators' dead-letter routes list and redrive
            dlq.grant_consume_messages(role)
        for bucket in self.data.buckets.values():
            bucket.grant_read_write(role)
        self.secrets.grant_read(role)
        self.data.grant_schedules(self, role, self.prefix)
        nag.acknowledge_grants(self.app.construct, self.data.tables.values(),
                               self.data.buckets.values())
        for spec in resources.SCHEDULE_GROUPS:
            nag.acknowledge(
                self.app.construct,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:"
                f"<AWS::AccountId>:schedule/{spec.physical_name(self.prefix)}/*]",
                "the one-time schedules of this stage's own schedule group")

    def _share_buckets_with_the_hosts(self) -> None:
        """The session hosts read media to send and write media they receive."""
        for name, value in self._bucket_environment().items():
            self.fleet.container.add_environment(name, value)
        for bucket in self.data.buckets.values():
            bucket.grant_read_write(self.fleet.task_definition.task_role)


def build_app(
    stage: str | None = None,
    outdir: str | os.PathLike[str] | None = None,
    source_dir: Path = REPO_ROOT,
) -> tuple[cdk.App, WagateStack]:
    """A CDK app holding the stack of one stage, with cdk-nag's checks (call ``app.synth()``).

    The stage is ``stage``, else the ``stage`` context value, else ``$WAGATE_STAGE``, else
    ``dev``. Without ``outdir`` the app writes to ``$CDK_OUTDIR`` (set by the CDK CLI) or a
    temporary directory.
    """
    runtime.check_interpreter()
    options: dict[str, Any] = {"context": {**FEATURE_FLAGS, **nag.REPORT_CONTEXT}}
    if outdir is not None:
        options["outdir"] = str(outdir)
    app = cdk.App(**options)
    stage = stage or app.node.try_get_context("stage") or os.environ.get("WAGATE_STAGE") or "dev"
    stack = WagateStack(app, stage, source_dir=source_dir,
                        description=f"wagate WhatsApp gateway ({stage})")
    cdk.Tags.of(stack).add("app", "wagate")
    cdk.Tags.of(stack).add("stage", stage)
    nag.add_checks(app)
    return app, stack
