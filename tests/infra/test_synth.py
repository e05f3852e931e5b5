"""Synthesize the CDK stack once and check it against ``chalicelib.resources``.

The synthesis runs ``infra/app.py`` in a child process, exactly as ``make synth`` does: the
Chalice construct imports ``app.py`` with the stage's environment, which must not leak into the
other tests' process (env vars, cached settings, blueprints bound to another app object).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from chalicelib import resources

INFRA_DIR = Path(__file__).resolve().parents[2] / "infra"
STAGE = "test"  # not the default "dev", so a prefix mix-up shows
PREFIX = f"wagate-{STAGE}"
# SQS handler function resource (chalice names it after the handler) -> queue key it consumes.
SQS_HANDLERS = {
    "SendWorker": "outbound",
    "EventWorker": "events",
    "WebhookRetryWorker": "webhook-retries",
}
SECRET_ENV = ("WAGATE_JWT_SECRET_ARN", "WAGATE_INTERNAL_SECRET_ARN")


@pytest.fixture(scope="module")
def template_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The synthesized CloudFormation template of the test stage."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "WAGATE_STAGE": STAGE}
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    done = subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRA_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"synth failed:\n{done.stdout}\n{done.stderr}"
    (template_file,) = outdir.glob("*.template.json")
    template = json.loads(template_file.read_text())
    assert template["Description"] == f"wagate WhatsApp gateway ({STAGE})"
    return template


@pytest.fixture(scope="module")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)


def _logical_ids(template_json: dict[str, Any], resource_type: str) -> Iterator[str]:
    for logical_id, resource in template_json["Resources"].items():
        if resource["Type"] == resource_type:
            yield logical_id


def _id_by_name(template_json: dict[str, Any], resource_type: str, key: str, name: str) -> str:
    """The logical id of the one resource of ``resource_type`` whose ``key`` is ``name``."""
    (found,) = (
        logical_id
        for logical_id in _logical_ids(template_json, resource_type)
        if template_json["Resources"][logical_id]["Properties"].get(key) == name
    )
    return found


def _table_id(template_json: dict[str, Any], spec: resources.Table) -> str:
    return _id_by_name(
        template_json, "AWS::DynamoDB::Table", "TableName", spec.physical_name(PREFIX)
    )


def _queue_id(template_json: dict[str, Any], name: str) -> str:
    return _id_by_name(template_json, "AWS::SQS::Queue", "QueueName", name)


def _key_schema(pk: str, sk: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk, "KeyType": "HASH"}]
    if sk:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
    return schema


def _default_role_statements(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of the IAM policies the stack attaches to chalice's DefaultRole."""
    statements: list[dict[str, Any]] = []
    for logical_id in _logical_ids(template_json, "AWS::IAM::Policy"):
        properties = template_json["Resources"][logical_id]["Properties"]
        if "DefaultRole" in json.dumps(properties.get("Roles", [])):
            statements.extend(properties["PolicyDocument"]["Statement"])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _granted(statements: list[dict[str, Any]], action: str, resource: Any) -> bool:
    """Whether one Allow statement grants ``action`` on ``resource``."""
    return any(
        statement["Effect"] == "Allow"
        and action in _as_list(statement["Action"])
        and resource in _as_list(statement["Resource"])
        for statement in statements
    )


def _get_att_arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


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
            "Projection": {"ProjectionType": "ALL"},
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
                "PointInTimeRecoverySpecification": {
                    "PointInTimeRecoveryEnabled": spec.point_in_time_recovery
                },
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    table_id = _table_id(template_json, spec)
    definitions = template_json["Resources"][table_id]["Properties"]["AttributeDefinitions"]
    key_names = {spec.pk, spec.sk} | {i.pk for i in spec.indexes} | {i.sk for i in spec.indexes}
    assert sorted(definitions, key=lambda d: d["AttributeName"]) == [
        {"AttributeName": name, "AttributeType": "S"} for name in sorted(key_names - {None})
    ]


# -- queues -------------------------------------------------------------------------------------


def test_one_queue_and_one_dlq_per_declaration(template: Template) -> None:
    template.resource_count_is("AWS::SQS::Queue", 2 * len(resources.QUEUES))


@pytest.mark.parametrize("spec", resources.QUEUES, ids=lambda spec: spec.key)
def test_queue_and_dlq_match_declaration(
    template: Template, template_json: dict[str, Any], spec: resources.Queue
) -> None:
    dlq_id = _queue_id(template_json, spec.dlq_physical_name(PREFIX))
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
                "deadLetterTargetArn": _get_att_arn(dlq_id),
                "maxReceiveCount": spec.max_receive_count,
            },
        },
    )


# -- the Chalice app ----------------------------------------------------------------------------


def test_the_sam_template_is_included(template: Template, template_json: dict[str, Any]) -> None:
    assert template_json.get("Transform") == "AWS::Serverless-2016-10-31"
    template.resource_count_is("AWS::Serverless::Api", 1)
    template.has_resource_properties("AWS::Serverless::Function", {"Handler": "app.app"})


@pytest.mark.parametrize("function_id", SQS_HANDLERS)
def test_sqs_handler_consumes_its_cdk_queue_with_partial_batch_responses(
    template_json: dict[str, Any], function_id: str
) -> None:
    spec = next(q for q in resources.QUEUES if q.key == SQS_HANDLERS[function_id])
    queue_id = _queue_id(template_json, spec.physical_name(PREFIX))
    function = template_json["Resources"][function_id]
    assert function["Type"] == "AWS::Serverless::Function"
    event = function["Properties"]["Events"][f"{function_id}SqsEventSource"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == _get_att_arn(queue_id)
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["BatchSize"] == spec.batch_size
    # Lambda refuses an SQS trigger whose visibility timeout is shorter than the function's.
    assert function["Properties"]["Timeout"] <= spec.visibility_timeout


def test_every_sqs_event_reports_batch_item_failures(template_json: dict[str, Any]) -> None:
    sqs_events = [
        event
        for function_id in _logical_ids(template_json, "AWS::Serverless::Function")
        for event in template_json["Resources"][function_id]["Properties"]
        .get("Events", {})
        .values()
        if event["Type"] == "SQS"
    ]
    assert len(sqs_events) >= len(SQS_HANDLERS)
    for event in sqs_events:
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert "Fn::GetAtt" in event["Properties"]["Queue"]


def test_functions_get_the_stage_environment(template_json: dict[str, Any]) -> None:
    secret_ids = set(_logical_ids(template_json, "AWS::SecretsManager::Secret"))
    assert len(secret_ids) == 2
    for function_id in _logical_ids(template_json, "AWS::Serverless::Function"):
        variables = template_json["Resources"][function_id]["Properties"]["Environment"][
            "Variables"
        ]
        assert variables["WAGATE_PREFIX"] == PREFIX
        assert variables["WAGATE_ENABLE_SANDBOX_API"] == "false"
        assert {variables[name]["Ref"] for name in SECRET_ENV} == secret_ids
        assert template_json["Resources"][function_id]["Properties"]["Role"] == _get_att_arn(
            "DefaultRole"
        )


# -- IAM ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", resources.TABLES, ids=lambda spec: spec.key)
def test_default_role_reads_and_writes_every_table(
    template_json: dict[str, Any], spec: resources.Table
) -> None:
    statements = _default_role_statements(template_json)
    table_id = _table_id(template_json, spec)
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"):
        assert _granted(statements, action, _get_att_arn(table_id)), action
    if spec.indexes:
        index_arn = {"Fn::Join": ["", [_get_att_arn(table_id), "/index/*"]]}
        assert _granted(statements, "dynamodb:Query", index_arn)


@pytest.mark.parametrize("spec", resources.QUEUES, ids=lambda spec: spec.key)
def test_default_role_sends_and_consumes_every_queue(
    template_json: dict[str, Any], spec: resources.Queue
) -> None:
    statements = _default_role_statements(template_json)
    queue_id = _queue_id(template_json, spec.physical_name(PREFIX))
    for action in ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"):
        assert _granted(statements, action, _get_att_arn(queue_id)), action


def test_default_role_reads_both_secrets(template_json: dict[str, Any]) -> None:
    statements = _default_role_statements(template_json)
    for secret_id in _logical_ids(template_json, "AWS::SecretsManager::Secret"):
        assert _granted(statements, "secretsmanager:GetSecretValue", {"Ref": secret_id})
