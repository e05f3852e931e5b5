"""cdk-nag: the AwsSolutions and Serverless rule packs run on every synthesis, and the few
findings we accept are acknowledged in code, each with its reason, on the construct it is about.

An unacknowledged finding fails the synthesis (CDK's policy validation); the report is written to
``policy-validation-report.json`` in the cloud assembly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct

# Write the validation report as JSON too (tests read it).
REPORT_CONTEXT = {"@aws-cdk/core:validationReportJson": True}
REPORT_FILE = "policy-validation-report.json"


PACKS = ("AwsSolutions", "Serverless")


def unacknowledged(outdir: str) -> int:
    """The findings of our packs in a synthesized assembly's report (synthesis fails first)."""
    report = json.loads((Path(outdir) / REPORT_FILE).read_text())
    return sum(len(p["violations"]) for p in report["pluginReports"]
               if p["summary"]["pluginName"] in PACKS)


def add_checks(app: cdk.App) -> None:
    """Run both packs on everything in ``app`` when it is synthesized."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept the finding ``rule`` (``AwsSolutions-IAM5[Action::s3:List*]`` for one finding of a
    granular rule) on ``scope`` and everything under it, for ``reason``."""
    if len(reason) < 20:
        raise ValueError(f"say why {rule} is acceptable here, in a sentence")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def acknowledge_grants(scope: IConstruct, tables: Iterable[dynamodb.Table],
                       buckets: Iterable[s3.Bucket]) -> None:
    """The wildcards CDK's ``grant_read_write_data`` and ``grant_read_write`` write: a table's
    indexes (``<table>/index/*``) and a bucket's objects (``<bucket>/*``, ``s3:GetObject*``...),
    each still naming one table or bucket of this stack."""
    stack = cdk.Stack.of(scope)
    for table in tables:
        logical_id = stack.get_logical_id(table.node.default_child)  # type: ignore[arg-type]
        acknowledge(scope, f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/index/*]",
                    "queries on this table's own indexes (the table is named)")
    for bucket in buckets:
        logical_id = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
        acknowledge(scope, f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/*]",
                    "the objects of this one bucket (media per tenant and message)")
    for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*",
                   "s3:Abort*"):
        acknowledge(scope, f"AwsSolutions-IAM5[Action::{action}]",
                    "CDK's read-write grant on the media bucket only (its ARN is named)")
