"""The media bucket in the synthesized stack: built from ``resources.BUCKETS``, private,
encrypted, TLS-only, expiring, retained, named to the functions and the hosts, and readable and
writable by both. Same synthesis as ``test_synth.py`` (the session fixture in ``conftest.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import resources
from tests.infra.conftest import get_att_arn, granted, logical_ids, only_id, role_statements

READ_WRITE = ("s3:GetObject*", "s3:PutObject", "s3:DeleteObject*", "s3:List*")


def _resources(template_json: dict[str, Any]) -> dict[str, Any]:
    return template_json["Resources"]


def _bucket_id(template_json: dict[str, Any]) -> str:
    (found,) = (b for b in logical_ids(template_json, "AWS::S3::Bucket")
                if b.startswith("MediaBucket"))
    return found


def _bucket(template_json: dict[str, Any]) -> dict[str, Any]:
    return _resources(template_json)[_bucket_id(template_json)]


def _objects(bucket_id: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [get_att_arn(bucket_id), "/*"]]}


def _task_role_id(template_json: dict[str, Any]) -> str:
    task = _resources(template_json)[only_id(template_json, "AWS::ECS::TaskDefinition")]
    return task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]


def test_one_bucket_per_declaration_and_one_for_access_logs(
    template_json: dict[str, Any],
) -> None:
    assert len(list(logical_ids(template_json, "AWS::S3::Bucket"))) == len(resources.BUCKETS) + 1
    assert resources.MEDIA in resources.BUCKETS
    assert _bucket_id(template_json).startswith("MediaBucket")


def test_bucket_is_private_encrypted_and_retained(template_json: dict[str, Any]) -> None:
    bucket = _bucket(template_json)
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    assert "BucketName" not in properties  # CloudFormation picks a globally unique name
    logs = properties["LoggingConfiguration"]  # server access logs, to the access-log bucket
    assert logs["DestinationBucketName"]["Ref"].startswith("AccessLogBucket")


def test_objects_expire_as_declared(template_json: dict[str, Any]) -> None:
    rules = _bucket(template_json)["Properties"]["LifecycleConfiguration"]["Rules"]
    assert all(rule["Status"] == "Enabled" for rule in rules)
    assert [rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule] == [
        resources.MEDIA.expire_days]
    assert any(rule.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1}
               for rule in rules)


def test_bucket_policy_refuses_plain_http_and_old_tls(template_json: dict[str, Any]) -> None:
    bucket_id = _bucket_id(template_json)
    (policy_id,) = (
        logical_id for logical_id in logical_ids(template_json, "AWS::S3::BucketPolicy")
        if _resources(template_json)[logical_id]["Properties"]["Bucket"] == {"Ref": bucket_id}
    )
    statements = _resources(template_json)[policy_id]["Properties"]["PolicyDocument"]["Statement"]
    denies = [s for s in statements if s["Effect"] == "Deny" and s["Action"] == "s3:*"]
    conditions = [s["Condition"] for s in denies]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
    for statement in denies:
        assert statement["Principal"] == {"AWS": "*"}
        assert get_att_arn(bucket_id) in statement["Resource"]
        assert _objects(bucket_id) in statement["Resource"]
    assert not [s for s in statements if s["Effect"] == "Allow"]


def test_every_function_gets_the_bucket_name(template_json: dict[str, Any]) -> None:
    bucket_ref = {"Ref": _bucket_id(template_json)}
    functions = list(logical_ids(template_json, "AWS::Serverless::Function"))
    assert functions
    for function_id in functions:
        variables = _resources(template_json)[function_id]["Properties"]["Environment"][
            "Variables"]
        assert variables["WAGATE_MEDIA_BUCKET"] == bucket_ref, function_id


def test_the_session_hosts_get_the_bucket_name(template_json: dict[str, Any]) -> None:
    task = _resources(template_json)[only_id(template_json, "AWS::ECS::TaskDefinition")]
    (container,) = task["Properties"]["ContainerDefinitions"]
    variables = {item["Name"]: item["Value"] for item in container["Environment"]}
    assert variables["WAGATE_MEDIA_BUCKET"] == {"Ref": _bucket_id(template_json)}


@pytest.mark.parametrize("role", ["lambda", "task"])
def test_functions_and_hosts_read_and_write_media(template_json: dict[str, Any],
                                                  role: str) -> None:
    role_id = "DefaultRole" if role == "lambda" else _task_role_id(template_json)
    statements = role_statements(template_json, role_id)
    bucket_id = _bucket_id(template_json)
    for action in READ_WRITE:
        assert granted(statements, action, _objects(bucket_id)), action
    assert granted(statements, "s3:List*", get_att_arn(bucket_id))
    assert not any("s3:*" in str(s["Action"]) for s in statements if s["Effect"] == "Allow")
