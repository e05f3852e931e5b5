"""The optional custom domain (context ``domainName`` and ``certificateArn``).

``https://<domain>/`` serves the whole API (``/v1``, ``/compat/<name>/...``, ``/docs``,
``/console``). Each product dialect also gets a host of its own, ``https://<name>.<domain>/``,
where its customers keep the product's exact paths from the root: those hosts go to a small REST
API (``/`` and ``/{proxy+}``) whose function (``app.py: dialect_edge``) turns the request into
the main API's ``/compat/<name>/...`` and answers it with the same app. The certificate (ACM,
in the stack's region) must cover ``<domain>`` and ``*.<domain>``; the DNS records (CNAME or
alias to each output's regional domain name) are the operator's (docs/operations.md).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from chalicelib.api.dialects import NAMES
from infra.api import (
    ACCESS_LOG_FORMAT,
    THROTTLE_BURST,
    THROTTLE_RATE,
    add_gateway_responses,
)
from infra.nag import acknowledge

EDGE_STAGE = "api"


class CustomDomain(Construct):
    """The domain of the main API and one host per dialect."""

    def __init__(self, scope: Construct, construct_id: str, *, domain_name: str,
                 certificate_arn: str, rest_api_id: str,
                 dialect_function_arn: str, access_logs: logs.ILogGroup) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.main = self._domain("Main", domain_name, certificate_arn)
        # "RestAPI.Stage" is SAM's reference to the stage it makes for the Chalice API (and so
        # orders the mapping after it).
        mapping = apigateway.CfnBasePathMapping(
            self, "MainMapping", domain_name=domain_name, rest_api_id=rest_api_id,
            stage=cdk.Fn.ref("RestAPI.Stage"))
        mapping.add_resource_dependency(self.main)
        acknowledge(mapping, "CloudFormation-Validate::F1020",
                    "RestAPI.Stage is the Serverless transform's reference to the stage of "
                    "chalice's API; it exists once the transform has run")

        self.edge = apigateway.RestApi(
            self, "DialectEdge",
            rest_api_name=f"{stack.stack_name}-dialects",
            description="A host per product dialect: its exact paths from the root",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,  # the stack's ApiGatewayAccount sets it for the region
            deploy_options=apigateway.StageOptions(
                stage_name=EDGE_STAGE,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
                throttling_rate_limit=THROTTLE_RATE, throttling_burst_limit=THROTTLE_BURST,
                metrics_enabled=True))
        integration = apigateway.Integration(
            type=apigateway.IntegrationType.AWS_PROXY, integration_http_method="POST",
            uri=f"arn:{stack.partition}:apigateway:{stack.region}:lambda:path/2015-03-31/"
                f"functions/{dialect_function_arn}/invocations")
        self.edge.root.add_method("ANY", integration)
        self.edge.root.add_proxy(default_integration=integration, any_method=True)
        lambda_.CfnPermission(self, "EdgeInvoke", action="lambda:InvokeFunction",
                              function_name=dialect_function_arn,
                              principal="apigateway.amazonaws.com",
                              source_arn=self.edge.arn_for_execute_api())
        add_gateway_responses(stack, "DialectGatewayResponse", self.edge.rest_api_id)
        self._accept_edge_findings()

        self.hosts: dict[str, apigateway.CfnDomainName] = {}
        for name in NAMES:
            host = f"{name}.{domain_name}"
            self.hosts[name] = self._domain(name.capitalize(), host, certificate_arn)
            apigateway.CfnBasePathMapping(
                self, f"{name.capitalize()}Mapping", domain_name=host,
                rest_api_id=self.edge.rest_api_id,
                stage=self.edge.deployment_stage.stage_name).add_resource_dependency(self.hosts[name])

    def _domain(self, construct_id: str, name: str, certificate_arn: str
                ) -> apigateway.CfnDomainName:
        domain = apigateway.CfnDomainName(
            self, construct_id, domain_name=name, regional_certificate_arn=certificate_arn,
            endpoint_configuration=apigateway.CfnDomainName.EndpointConfigurationProperty(
                types=["REGIONAL"]),
            security_policy="TLS_1_2")
        cdk.CfnOutput(self, f"{construct_id}Target", value=domain.attr_regional_domain_name,
                      description=f"CNAME {name} to this")
        return domain

    def _accept_edge_findings(self) -> None:
        reasons = {
            "AwsSolutions-APIG2": "the app validates every request and answers 4xx in the "
                                  "product's own error shape, which API Gateway cannot",
            "AwsSolutions-APIG3": "WAF is the operator's choice (docs/operations.md): it costs "
                                  "per rule and per request",
            "AwsSolutions-APIG4": "each request carries the product's own API key header, "
                                  "which the app authenticates (tenant keys, scopes)",
            "AwsSolutions-COG4": "tenants authenticate with their API keys, not Cognito",
            "AwsSolutions-APIG6": "access logs are on; execution logs would copy message "
                                  "bodies into CloudWatch",
            "Serverless-APIGWXrayEnabled": "tracing is not enabled on the API (cost); the "
                                           "request id ties access logs to function logs",
        }
        for rule, reason in reasons.items():
            acknowledge(self.edge, rule, reason)
