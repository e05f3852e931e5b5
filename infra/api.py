"""The Chalice app on Lambda and API Gateway.

``chalice package`` builds the functions and the REST API from ``app.py`` (a staged copy of the
app's own code, without its dependencies: those come in the layer built by ``infra/runtime.py``).
Then every function gets the declared runtime and architecture, the layer, JSON logs in one log
group, the VPC; the chalice role is narrowed to what the functions do; the SQS handlers are wired
to this stack's queues; API Gateway's own errors answer in our envelope; the stage writes access
logs and has default throttling.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from chalice.app import BaseEventSourceConfig, SQSEventConfig
from chalice.cdk import Chalice
from chalice.utils import to_cfn_resource_name
from constructs import Node

from chalicelib import resources
from infra.data import pascal
from infra.nag import acknowledge
from infra.network import VPC_FUNCTION_ACTIONS

DEFAULT_REGION = "us-east-1"
# The cap on concurrent invocations of the bulk lane's worker (CDK context key, default): the
# SQS event source mapping's ScalingConfig.MaximumConcurrency (2..1000), so campaigns cannot take
# the account's whole Lambda concurrency from the high and normal lanes.
BULK_MAX_CONCURRENCY_KEY = "bulk_max_concurrency"
DEFAULT_BULK_MAX_CONCURRENCY = 5
# The stage's default throttle (requests per second, burst); per-tenant limits are the app's.
THROTTLE_RATE, THROTTLE_BURST = 500, 1000
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
# The access log line of each API request (JSON; $context variables of API Gateway).
ACCESS_LOG_FORMAT = json.dumps({
    "request_id": "$context.requestId", "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod", "path": "$context.path", "status": "$context.status",
    "latency_ms": "$context.responseLatency",
    "integration_latency_ms": "$context.integrationLatency",
    "error": "$context.error.message", "domain": "$context.domainName",
})
# What goes into the staged copy that chalice packages: the app's own code, nothing else.
_APP_FILES = ("app.py", ".chalice/config.json")
_APP_DIRS = ("chalicelib",)


def bulk_max_concurrency(node: Node) -> int:
    """``bulk_max_concurrency`` from the CDK context (``-c bulk_max_concurrency=10``), else 5."""
    raw = node.try_get_context(BULK_MAX_CONCURRENCY_KEY)
    value = DEFAULT_BULK_MAX_CONCURRENCY if raw is None else int(raw)
    if not 2 <= value <= 1000:  # the range Lambda accepts for MaximumConcurrency
        raise ValueError(f"{BULK_MAX_CONCURRENCY_KEY} must be within 2..1000, got {value}")
    return value


def stage_source(source_dir: Path, into: Path) -> None:
    """Copy the app's code into ``into`` with an empty requirements.txt (the layer has them)."""
    for name in _APP_FILES:
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source_dir / name, into / name)
    for name in _APP_DIRS:
        shutil.copytree(source_dir / name, into / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (into / "requirements.txt").write_text("")


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


class ChaliceApp:
    """The packaged app: ``construct`` (chalice's), its SAM template and function ids."""

    def __init__(self, stack: Stack, source_dir: Path, stage_config: dict[str, Any]) -> None:
        self.stack = stack
        with tempfile.TemporaryDirectory(prefix="wagate-chalice-") as workdir:
            staged = Path(workdir) / "app"
            stage_source(source_dir, staged)
            # The SAM template is read and the zips are staged into the cloud assembly while
            # the construct is built, so the working directory can go right after.
            with _chalice_packaging(Path(workdir)):
                self.construct = Chalice(stack, "Api", source_dir=str(staged),
                                         stage_config={**stage_config, "automatic_layer": False})
            (sam_file,) = Path(workdir).glob("chalice.out/*/sam.json")
            self.sam_template: dict[str, Any] = json.loads(sam_file.read_text())
            self.event_sources = self._event_sources(staged)
        self.function_ids = sorted(
            logical_id for logical_id, resource in self.sam_template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function")
        self.role = self.construct.get_role("DefaultRole")
        self.api_name = stack.stack_name  # not chalice's app name: stages share an account
        self.rest_api_id = self.construct.get_resource("RestAPI").ref

    @staticmethod
    def _event_sources(staged: Path) -> list[BaseEventSourceConfig]:
        """The event sources of the app module that ``chalice package`` just imported."""
        module = sys.modules.get("app")
        module_file = getattr(module, "__file__", None)
        if module_file is None or Path(module_file).resolve() != (staged / "app.py").resolve():
            raise RuntimeError(f"chalice did not load {staged / 'app.py'} as 'app'")
        return list(module.app.event_sources)

    def function(self, logical_id: str) -> Any:
        """The SAM function resource (CfnInclude's L1) with this logical id."""
        return self.construct.get_resource(logical_id)

    def function_arn(self, logical_id: str) -> str:
        return self.function(logical_id).get_att("Arn").to_string()

    # -- every function ---------------------------------------------------------------------

    def harden_functions(self, *, runtime: str, architecture: str,
                         layer: lambda_.ILayerVersion, log_group: logs.ILogGroup) -> None:
        """The declared runtime and architecture, the dependency layer, JSON logs."""
        for logical_id in self.function_ids:
            function = self.function(logical_id)
            function.add_property_override("Runtime", runtime)
            function.add_property_override("Architectures", [architecture])
            function.add_property_override("Layers", [layer.layer_version_arn])
            function.add_property_override("LoggingConfig", {
                "LogFormat": "JSON", "LogGroup": log_group.log_group_name,
                "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"})

    def narrow_default_role(self, log_group: logs.ILogGroup, queue_arns: list[str]) -> None:
        """Replace chalice's generated policy (logs anywhere, every queue) and the AWS managed
        VPC policy with what the functions need before any grant: writing to their log group,
        the network interfaces of a VPC function and reading their queues (Lambda checks these
        when it creates the functions and their SQS mappings, so they sit on the role itself,
        not in a later AWS::IAM::Policy)."""
        cfn_role = self.construct.get_resource("DefaultRole")
        cfn_role.managed_policy_arns = []
        cfn_role.policies = [iam.CfnRole.PolicyProperty(
            policy_name="DefaultRolePolicy",
            policy_document={"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": log_group.log_group_arn},
                {"Effect": "Allow", "Resource": "*", "Action": VPC_FUNCTION_ACTIONS},
                {"Effect": "Allow", "Resource": queue_arns, "Action": [
                    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                    "sqs:ChangeMessageVisibility"]},
            ]})]
        acknowledge(self.construct, "AwsSolutions-IAM5[Resource::*]",
                    "EC2's network-interface actions a VPC function needs have no "
                    "resource-level permissions")
        acknowledge(self.construct, "Serverless-LambdaStarPermissions",
                    "the one wildcard is EC2's network-interface actions (no resource-level "
                    "permissions); every other grant names its table, queue, bucket or secret")

    # -- SQS handlers -------------------------------------------------------------------------

    def wire_sqs_handlers(self, prefix: str, queues: dict[str, Any], node: Node) -> None:
        """Point each SQS handler at its CDK queue and turn on partial batch responses; cap the
        bulk lane's concurrency.

        Chalice names the function resource after the handler (``send_worker`` ->
        ``SendWorker``) and its SAM event ``<Function>SqsEventSource``; it does not set
        ``FunctionResponseTypes`` (aws/chalice#2029).

        The bulk cap is the event source's ``MaximumConcurrency``, not the function's reserved
        concurrency: the event source mapping does not see reserved concurrency, so it would
        keep polling, get throttled, and every throttled batch would count as a receive towards
        the DLQ's ``max_receive_count``; a reservation also takes concurrency from the account.
        """
        by_name = {spec.physical_name(prefix): spec for spec in resources.QUEUES}
        for source in self.event_sources:
            if not isinstance(source, SQSEventConfig):
                continue
            spec = by_name.get(source.queue or "")
            if spec is None:
                raise RuntimeError(
                    f"SQS handler {source.name!r} listens on {source.queue or source.queue_arn!r}, "
                    f"which is not a queue declared in chalicelib/resources.py for prefix "
                    f"{prefix!r} (was app.py imported with another WAGATE_PREFIX?)")
            function_id = to_cfn_resource_name(source.name)
            event_id = to_cfn_resource_name(f"{source.name}-sqs-event-source")
            # Read the events from chalice's own template: jsii cannot read SAM event unions back.
            sam_function = self.sam_template["Resources"].get(function_id, {})
            events = sam_function.get("Properties", {}).get("Events", {})
            if event_id not in events:
                raise RuntimeError(f"{function_id} has no SAM event {event_id}: {list(events)}")
            function = self.function(function_id)
            properties = f"Events.{event_id}.Properties"
            function.add_property_override(f"{properties}.Queue", queues[spec.key].queue_arn)
            function.add_property_override(f"{properties}.FunctionResponseTypes",
                                           ["ReportBatchItemFailures"])
            if spec is resources.OUTBOUND_BULK:
                function.add_property_override(f"{properties}.ScalingConfig.MaximumConcurrency",
                                               bulk_max_concurrency(node))

    # -- API Gateway --------------------------------------------------------------------------

    def gateway_responses(self) -> None:
        """API Gateway's own errors in our envelope, with our security headers and the request
        id (never its 403 ``{"message": "Missing Authentication Token"}``)."""
        add_gateway_responses(self.stack, "GatewayResponse", self.rest_api_id)

    def api_stage(self, access_logs: logs.ILogGroup) -> None:
        """Access logs (JSON) and the stage's default throttle."""
        api = self.construct.get_resource("RestAPI")
        api.add_property_override("Name", self.api_name)
        api.add_property_override("AccessLogSetting", {
            "DestinationArn": access_logs.log_group_arn, "Format": ACCESS_LOG_FORMAT})
        api.add_property_override("MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True,
            "ThrottlingRateLimit": THROTTLE_RATE, "ThrottlingBurstLimit": THROTTLE_BURST}])


def add_gateway_responses(stack: Stack, prefix: str, rest_api_id: str) -> None:
    """``GATEWAY_RESPONSES`` on one REST API."""
    headers = {
        "gatewayresponse.header.Content-Type": "'application/json'",
        "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
        "gatewayresponse.header.Cache-Control": "'no-store'",
        "gatewayresponse.header.X-Request-Id": "context.requestId",
    }
    for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
        body = json.dumps({"error": {"code": code, "message": message, "details": []}})
        apigateway.CfnGatewayResponse(
            stack, f"{prefix}{pascal(response_type.lower())}", rest_api_id=rest_api_id,
            response_type=response_type, status_code=status, response_parameters=headers,
            response_templates={"application/json": body})


def api_gateway_logging_role(stack: Stack) -> None:
    """The region's API Gateway account setting: the role it writes access logs with (one per
    account and region; context ``apiGatewayAccountRole=false`` when the account has one)."""
    if str(stack.node.try_get_context("apiGatewayAccountRole")).lower() == "false":
        return
    role = iam.Role(
        stack, "ApiGatewayLogsRole",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
            "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
    acknowledge(role, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "AWS's own policy for API Gateway's account-level logging role")
    apigateway.CfnAccount(stack, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)


_RETENTION = {7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS,
              30: logs.RetentionDays.ONE_MONTH, 60: logs.RetentionDays.TWO_MONTHS,
              90: logs.RetentionDays.THREE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS,
              365: logs.RetentionDays.ONE_YEAR}


def retention(days: int) -> logs.RetentionDays:
    """The log retention of ``logRetentionDays`` (one of ``_RETENTION``'s day counts)."""
    if days not in _RETENTION:
        raise ValueError(f"logRetentionDays must be one of {sorted(_RETENTION)}, got {days}")
    return _RETENTION[days]
