"""Check the synthesized CDK stack against ``chalicelib.resources``: tables, queues, the Chalice
app and its IAM. The one synthesis is the session fixture in ``conftest.py``; the fleet (VPC,
ECS, EFS, autoscaling) is checked in ``test_fleet.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from chalicelib import resources
from infra.api import GATEWAY_RESPONSES
from tests.infra.conftest import (
    PREFIX,
    get_att_arn,
    granted,
    logical_ids,
    queue_id,
    sqs_consumers,
    table_id,
)
from tests.infra.conftest import role_statements as _role_statements

SECRET_ENV = ("WAGATE_JWT_SECRET_ARN", "WAGATE_INTERNAL_SECRET_ARN", "WAGATE_OTP_PEPPER_ARN")


def _key_schema(pk: str, sk: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk, "KeyType": "HASH"}]
    if sk:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
    return schema


def _default_role_statements(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of the IAM policies the stack attaches to chalice's DefaultRole."""
    return _role_statements(template_json, "DefaultRole")


# -- tables -------------------------------------------------------------------------------------


def test_one_table_per_declaration(template: Template) -> None:
    template.resource_count_is("AWS::DynamoDB::Table", len(resources.TABLES))


@pytest.mark.parametrize("spec", resources.TABLES, ids=lambda spec: spec.key)
def test_table_matches_declaration(
    template: Template, template_json: dict[str, Any], spec: resources.Table
) -> None:
    indexes = [
        {
            "IndexName": index.name,
            "KeySchema": _key_schema(index.pk, index.sk),
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.include)}
            if index.include else {"ProjectionType": "ALL"},
        }
        for index in spec.indexes
    ]
    ttl = {"AttributeName": spec.ttl_attribute, "Enabled": True} if spec.ttl_attribute else None
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "TableName": spec.physical_name(PREFIX),
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": _key_schema(spec.pk, spec.sk),
                "GlobalSecondaryIndexes": indexes or Match.absent(),
                "TimeToLiveSpecification": ttl or Match.absent(),
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "DeletionProtectionEnabled": True,  # production
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    table = table_id(template_json, spec)
    definitions = template_json["Resources"][table]["Properties"]["AttributeDefinitions"]
    key_names = {spec.pk, spec.sk} | {i.pk for i in spec.indexes} | {i.sk for i in spec.indexes}
    assert sorted(definitions, key=lambda d: d["AttributeName"]) == [
        {"AttributeName": name, "AttributeType": "S"} for name in sorted(key_names - {None})
    ]


# -- queues -------------------------------------------------------------------------------------


def test_one_queue_and_one_dlq_per_declaration(template: Template) -> None:
    # ... and the one-time schedules' dead-letter queue.
    template.resource_count_is("AWS::SQS::Queue", 2 * len(resources.QUEUES) + 1)


@pytest.mark.parametrize("spec", resources.QUEUES, ids=lambda spec: spec.key)
def test_queue_and_dlq_match_declaration(
    template: Template, template_json: dict[str, Any], spec: resources.Queue
) -> None:
    dlq_id = queue_id(template_json, spec.dlq_physical_name(PREFIX))
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": spec.dlq_physical_name(PREFIX),
            "MessageRetentionPeriod": spec.dlq_retention_seconds,
            "RedrivePolicy": Match.absent(),
        },
    )
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": spec.physical_name(PREFIX),
            "VisibilityTimeout": spec.visibility_timeout,
            "MessageRetentionPeriod": spec.retention_seconds,
            "RedrivePolicy": {
                "deadLetterTargetArn": get_att_arn(dlq_id),
                "maxReceiveCount": spec.max_receive_count,
            },
        },
    )


# -- the Chalice app ----------------------------------------------------------------------------


def test_the_sam_template_is_included(template: Template, template_json: dict[str, Any]) -> None:
    assert template_json.get("Transform") == "AWS::Serverless-2016-10-31"
    template.resource_count_is("AWS::Serverless::Api", 1)
    template.has_resource_properties("AWS::Serverless::Function", {"Handler": "app.app"})


@pytest.mark.parametrize("spec", resources.QUEUES, ids=lambda spec: spec.key)
def test_every_declared_queue_has_one_consumer_with_partial_batch_responses(
    template_json: dict[str, Any], spec: resources.Queue
) -> None:
    queue = queue_id(template_json, spec.physical_name(PREFIX))
    (consumer,) = sqs_consumers(template_json).get(queue, [])
    function_id, event = consumer
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["BatchSize"] == spec.batch_size
    # Lambda refuses an SQS trigger whose visibility timeout is shorter than the function's.
    function = template_json["Resources"][function_id]
    assert function["Properties"]["Timeout"] <= spec.visibility_timeout


def test_sqs_events_consume_only_declared_queues(template_json: dict[str, Any]) -> None:
    """No handler listens on a DLQ or on a queue the declaration does not know."""
    declared = {queue_id(template_json, spec.physical_name(PREFIX)) for spec in resources.QUEUES}
    assert set(sqs_consumers(template_json)) == declared


def test_functions_get_the_stage_environment(template_json: dict[str, Any]) -> None:
    secret_ids = {logical_id for logical_id in logical_ids(template_json,
                                                           "AWS::SecretsManager::Secret")
                  if not logical_id.startswith("FcmCredentials")}
    assert len(secret_ids) == 3
    for function_id in logical_ids(template_json, "AWS::Serverless::Function"):
        variables = template_json["Resources"][function_id]["Properties"]["Environment"][
            "Variables"
        ]
        assert variables["WAGATE_PREFIX"] == PREFIX
        assert variables["WAGATE_ENABLE_SANDBOX_API"] == "false"
        assert {variables[name]["Ref"] for name in SECRET_ENV} == secret_ids
        role = template_json["Resources"][function_id]["Properties"]["Role"]
        if function_id == "RotateSecret":  # the only one that may write the secrets
            assert role["Fn::GetAtt"][0].startswith("RotationRole")
        else:
            assert role == get_att_arn("DefaultRole")


# -- IAM ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", resources.TABLES, ids=lambda spec: spec.key)
def test_default_role_reads_and_writes_every_table(
    template_json: dict[str, Any], spec: resources.Table
) -> None:
    statements = _default_role_statements(template_json)
    table = table_id(template_json, spec)
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"):
        assert granted(statements, action, get_att_arn(table)), action
    if spec.indexes:
        index_arn = {"Fn::Join": ["", [get_att_arn(table), "/index/*"]]}
        assert granted(statements, "dynamodb:Query", index_arn)


@pytest.mark.parametrize("spec", resources.QUEUES, ids=lambda spec: spec.key)
def test_default_role_sends_and_consumes_every_queue(
    template_json: dict[str, Any], spec: resources.Queue
) -> None:
    statements = _default_role_statements(template_json)
    queue = queue_id(template_json, spec.physical_name(PREFIX))
    for action in ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"):
        assert granted(statements, action, get_att_arn(queue)), action


def test_default_role_reads_both_secrets(template_json: dict[str, Any]) -> None:
    statements = _default_role_statements(template_json)
    for secret_id in logical_ids(template_json, "AWS::SecretsManager::Secret"):
        assert granted(statements, "secretsmanager:GetSecretValue", {"Ref": secret_id})


# -- API Gateway's own answers ------------------------------------------------------------------


@pytest.mark.parametrize("response_type", sorted(GATEWAY_RESPONSES))
def test_gateway_responses_are_in_our_envelope(template_json: dict[str, Any],
                                               response_type: str) -> None:
    (response,) = [r["Properties"] for r in template_json["Resources"].values()
                   if r["Type"] == "AWS::ApiGateway::GatewayResponse"
                   and r["Properties"]["ResponseType"] == response_type
                   and r["Properties"]["RestApiId"] == {"Ref": "RestAPI"}]
    status, code, _ = GATEWAY_RESPONSES[response_type]
    assert response.get("StatusCode") == status
    assert response["RestApiId"] == {"Ref": "RestAPI"}
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "details"}
    headers = response["ResponseParameters"]
    assert headers["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"
    assert headers["gatewayresponse.header.X-Request-Id"] == "context.requestId"


def test_unknown_routes_reach_the_app_catch_all(template_json: dict[str, Any]) -> None:
    """The greedy route is deployed, so an unknown path is the app's 404 in our envelope."""
    (api,) = [r for r in template_json["Resources"].values()
              if r["Type"] == "AWS::Serverless::Api"]
    paths = api["Properties"]["DefinitionBody"]["paths"]
    assert "/{proxy+}" in paths
    assert len(paths) < 300  # API Gateway's default resource quota


def _resources(paths: list[str]) -> set[str]:
    """API Gateway's resources for these paths: one per distinct path prefix."""
    found = set()
    for path in paths:
        parts = path.strip("/").split("/")
        found.update("/" + "/".join(parts[:n]) for n in range(1, len(parts) + 1))
    return found


def test_each_dialect_is_one_greedy_resource_and_the_api_stays_under_300(
        template_json: dict[str, Any]) -> None:
    from chalicelib.api.dialects import NAMES

    (api,) = [r for r in template_json["Resources"].values()
              if r["Type"] == "AWS::Serverless::Api"]
    paths = list(api["Properties"]["DefinitionBody"]["paths"])
    compat = sorted(p for p in paths if p.startswith("/compat/"))
    assert compat == sorted(f"/compat/{name}/{{proxy+}}" for name in NAMES)
    for path in compat:
        methods = api["Properties"]["DefinitionBody"]["paths"][path]
        assert {"get", "post", "put", "patch", "delete"} <= set(methods)
    dialects = _resources(compat)
    assert len(dialects) == 1 + 2 * len(NAMES)  # /compat, and /<name> + {proxy+} each
    assert len(_resources(paths)) < 300, len(_resources(paths))
