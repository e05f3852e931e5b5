"""Synthesize the CDK stack once for every infra test module, and helpers to read the template.

The synthesis runs ``infra/app.py`` in a child process, exactly as ``make synth`` does: the
Chalice construct imports ``app.py`` with the stage's environment, which must not leak into the
other tests' process (env vars, cached settings, blueprints bound to another app object). The
fixture is session-scoped and xdist workers share one synthesis through a file lock.

A fake ``docker`` is first on the child's PATH (and is ``$CDK_DOCKER``): it records any call, so
a test can prove that synthesis (which stages the session-host image's build context) never
needs Docker.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
STAGE = "test"  # not the default "dev", so a prefix mix-up shows
PREFIX = f"wagate-{STAGE}"
# Every optional part on: production retention, alarm email, custom domain, FCM push.
CONTEXT = {
    "production": "true",
    "alarmEmail": "ops@example.com",
    "domainName": "wa.example.com",
    "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d",
    "fcmProjectId": "demo-project",
}

_FAKE_DOCKER = """#!/bin/sh
echo "$0 $*" >> "{log}"
echo "synth must not run docker" >&2
exit 1
"""


@dataclass(frozen=True)
class Synth:
    outdir: Path
    template: dict[str, Any]
    docker_calls: list[str]
    output: str

    @property
    def assets(self) -> dict[str, Any]:
        (assets_file,) = self.outdir.glob("*.assets.json")
        return json.loads(assets_file.read_text())


def _synthesize(root: Path) -> None:
    """Run ``infra/app.py`` into ``root/cdk.out`` and keep its output beside it."""
    outdir, fake_bin = root / "cdk.out", root / "fake-docker"
    outdir.mkdir()
    fake_bin.mkdir()
    docker = fake_bin / "docker"
    docker.write_text(_FAKE_DOCKER.format(log=fake_bin / "calls.log"))
    docker.chmod(0o755)
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "WAGATE_STAGE": STAGE,
        "PATH": f"{fake_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DOCKER": str(docker),
        "CDK_CONTEXT_JSON": json.dumps(CONTEXT),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
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
    (root / "output.txt").write_text(f"{done.returncode}\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The cloud assembly of the test stage, synthesized once per test run: the first xdist
    worker to ask synthesizes under a lock in the run's shared temporary directory, the others
    read what it wrote."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base is popen-gw<N> inside the run's own directory.
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "infra-synth"
    root.mkdir(exist_ok=True)
    with (root.parent / "infra-synth.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "output.txt").exists():
            _synthesize(root)
    code, _, output = (root / "output.txt").read_text().partition("\n")
    assert code == "0", f"synth failed:\n{output}"
    outdir = root / "cdk.out"
    (template_file,) = outdir.glob("*.template.json")
    template = json.loads(template_file.read_text())
    assert template["Description"] == f"wagate WhatsApp gateway ({STAGE})"
    docker_log = root / "fake-docker" / "calls.log"
    calls = docker_log.read_text().splitlines() if docker_log.exists() else []
    return Synth(outdir=outdir, template=template, docker_calls=calls, output=output)


@pytest.fixture(scope="session")
def template_json(synth: Synth) -> dict[str, Any]:
    """The synthesized CloudFormation template of the test stage."""
    return synth.template


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)


# -- reading the template -----------------------------------------------------------------------


def logical_ids(template_json: dict[str, Any], resource_type: str) -> Iterator[str]:
    for logical_id, resource in template_json["Resources"].items():
        if resource["Type"] == resource_type:
            yield logical_id


def only_id(template_json: dict[str, Any], resource_type: str) -> str:
    """The logical id of the one resource of ``resource_type``."""
    (found,) = logical_ids(template_json, resource_type)
    return found


def id_by_name(template_json: dict[str, Any], resource_type: str, key: str, name: str) -> str:
    """The logical id of the one resource of ``resource_type`` whose ``key`` is ``name``."""
    (found,) = (
        logical_id
        for logical_id in logical_ids(template_json, resource_type)
        if template_json["Resources"][logical_id]["Properties"].get(key) == name
    )
    return found


def table_id(template_json: dict[str, Any], table: Any) -> str:
    return id_by_name(
        template_json, "AWS::DynamoDB::Table", "TableName", table.physical_name(PREFIX)
    )


def queue_id(template_json: dict[str, Any], name: str) -> str:
    return id_by_name(template_json, "AWS::SQS::Queue", "QueueName", name)


def role_statements(template_json: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement of the AWS::IAM::Policy resources attached to the role ``role_id``.

    CDK's own roles are listed as ``{"Ref": id}``; chalice's role is imported by ARN, so the
    policy names it by picking the name out of ``{"Fn::GetAtt": [id, "Arn"]}``.
    """
    arn = json.dumps(get_att_arn(role_id))
    statements: list[dict[str, Any]] = []
    for logical_id in logical_ids(template_json, "AWS::IAM::Policy"):
        properties = template_json["Resources"][logical_id]["Properties"]
        roles = properties.get("Roles", [])
        if {"Ref": role_id} in roles or arn in json.dumps(roles):
            statements.extend(properties["PolicyDocument"]["Statement"])
    return statements


def sqs_consumers(template_json: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Queue logical id -> the (function logical id, SAM SQS event) pairs that consume it."""
    consumers: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for function_id in logical_ids(template_json, "AWS::Serverless::Function"):
        events = template_json["Resources"][function_id]["Properties"].get("Events", {})
        for event in events.values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]
                assert isinstance(queue, dict) and list(queue) == ["Fn::GetAtt"], queue
                consumers.setdefault(queue["Fn::GetAtt"][0], []).append((function_id, event))
    return consumers


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted(statements: list[dict[str, Any]], action: str, resource: Any) -> bool:
    """Whether one Allow statement grants ``action`` on ``resource``."""
    return any(
        statement["Effect"] == "Allow"
        and action in as_list(statement["Action"])
        and resource in as_list(statement["Resource"])
        for statement in statements
    )


def get_att_arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def get_att_group_id(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "GroupId"]}

