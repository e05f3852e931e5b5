"""The outbound lanes, EventBridge Scheduler and the reconciler in the synthesized stack: one
schedule group per ``resources.SCHEDULE_GROUPS`` entry, the role the schedules run as, what the
Chalice functions may do with both, the three send workers and the reconcile schedule. Same
synthesis as ``test_synth.py`` (the session fixture in ``conftest.py``).
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest

from chalicelib import resources
from infra.api import (
    BULK_MAX_CONCURRENCY_KEY,
    DEFAULT_BULK_MAX_CONCURRENCY,
    bulk_max_concurrency,
)
from tests.infra.conftest import (
    PREFIX,
    as_list,
    get_att_arn,
    id_by_name,
    logical_ids,
    only_id,
    queue_id,
    role_statements,
    sqs_consumers,
)

SCHEDULER = "scheduler.amazonaws.com"


def _resources(template_json: dict[str, Any]) -> dict[str, Any]:
    return template_json["Resources"]


def _functions(template_json: dict[str, Any]) -> list[str]:
    functions = list(logical_ids(template_json, "AWS::Serverless::Function"))
    assert functions
    return functions


def _group_id(template_json: dict[str, Any], spec: resources.ScheduleGroup) -> str:
    return id_by_name(
        template_json, "AWS::Scheduler::ScheduleGroup", "Name", spec.physical_name(PREFIX)
    )


def _scheduler_role_id(template_json: dict[str, Any]) -> str:
    (found,) = (
        logical_id
        for logical_id in logical_ids(template_json, "AWS::IAM::Role")
        if SCHEDULER in json.dumps(
            _resources(template_json)[logical_id]["Properties"]["AssumeRolePolicyDocument"]
        )
    )
    return found


def _lane_queue_arns(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        get_att_arn(queue_id(template_json, spec.physical_name(PREFIX)))
        for spec in resources.OUTBOUND_LANES.values()
    ]


def _schedules_arn(spec: resources.ScheduleGroup) -> dict[str, Any]:
    """``arn:<partition>:scheduler:<region>:<account>:schedule/<group>/*`` as CDK writes it."""
    return {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":scheduler:", {"Ref": "AWS::Region"}, ":",
        {"Ref": "AWS::AccountId"}, f":schedule/{spec.physical_name(PREFIX)}/*",
    ]]}


def _lambda_role_statements(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    """The DefaultRole's statements: the stack's AWS::IAM::Policy ones and chalice's inline."""
    statements = role_statements(template_json, "DefaultRole")
    for policy in _resources(template_json)["DefaultRole"]["Properties"].get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    return statements


def _lane_consumer(template_json: dict[str, Any], spec: resources.Queue) -> tuple[str, Any]:
    (consumer,) = sqs_consumers(template_json)[queue_id(template_json, spec.physical_name(PREFIX))]
    return consumer


# -- schedule groups ----------------------------------------------------------------------------


def test_one_schedule_group_per_declaration(template_json: dict[str, Any]) -> None:
    groups = list(logical_ids(template_json, "AWS::Scheduler::ScheduleGroup"))
    assert len(groups) == len(resources.SCHEDULE_GROUPS) >= 1
    assert resources.MESSAGE_SCHEDULES in resources.SCHEDULE_GROUPS


@pytest.mark.parametrize("spec", resources.SCHEDULE_GROUPS, ids=lambda spec: spec.key)
def test_schedule_group_is_named_from_the_declaration_and_retained(
    template_json: dict[str, Any], spec: resources.ScheduleGroup
) -> None:
    group = _resources(template_json)[_group_id(template_json, spec)]
    # Deleting a group deletes its schedules: the messages still waiting for their time.
    assert group["DeletionPolicy"] == "Retain" and group["UpdateReplacePolicy"] == "Retain"


# -- the role the schedules run as --------------------------------------------------------------


def test_scheduler_role_trusts_only_scheduler_from_this_account_and_our_groups(
    template_json: dict[str, Any],
) -> None:
    role = _resources(template_json)[_scheduler_role_id(template_json)]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"Service": SCHEDULER}
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": [
            get_att_arn(_group_id(template_json, spec)) for spec in resources.SCHEDULE_GROUPS
        ]
    }
    assert "ManagedPolicyArns" not in role and "Policies" not in role


def test_scheduler_role_may_only_send_to_the_lanes_and_the_schedules_dlq(
    template_json: dict[str, Any],
) -> None:
    statements = role_statements(template_json, _scheduler_role_id(template_json))
    assert statements
    targets: list[Any] = []
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert as_list(statement["Action"]) == ["sqs:SendMessage"]
        assert "Condition" not in statement
        targets.extend(as_list(statement["Resource"]))
    lanes = _lane_queue_arns(template_json)
    assert len(lanes) == 3
    dlq = get_att_arn(queue_id(template_json, f"{PREFIX}-schedules-dlq"))
    assert sorted(targets, key=json.dumps) == sorted([*lanes, dlq], key=json.dumps)


def test_every_function_gets_the_scheduler_role_and_dlq_arns(
    template_json: dict[str, Any],
) -> None:
    role_arn = get_att_arn(_scheduler_role_id(template_json))
    dlq = get_att_arn(queue_id(template_json, f"{PREFIX}-schedules-dlq"))
    for function_id in _functions(template_json):
        variables = _resources(template_json)[function_id]["Properties"]["Environment"][
            "Variables"]
        assert variables["WAGATE_SCHEDULER_ROLE_ARN"] == role_arn, function_id
        assert variables["WAGATE_SCHEDULE_DLQ_ARN"] == dlq, function_id


# -- what the functions may do with them --------------------------------------------------------


def test_lambda_role_creates_and_deletes_schedules_in_our_groups_only(
    template_json: dict[str, Any],
) -> None:
    scheduling = [
        statement
        for statement in _lambda_role_statements(template_json)
        if any(action.startswith("scheduler:") for action in as_list(statement["Action"]))
    ]
    (statement,) = scheduling
    assert statement["Effect"] == "Allow"
    assert sorted(as_list(statement["Action"])) == [
        "scheduler:CreateSchedule", "scheduler:DeleteSchedule"]
    assert as_list(statement["Resource"]) == [
        _schedules_arn(spec) for spec in resources.SCHEDULE_GROUPS
    ]


def test_lambda_role_passes_only_the_scheduler_role_and_only_to_scheduler(
    template_json: dict[str, Any],
) -> None:
    passing = [
        statement
        for statement in _lambda_role_statements(template_json)
        if any(action in ("iam:PassRole", "iam:*", "*") for action in as_list(statement["Action"]))
    ]
    (statement,) = passing
    assert statement["Effect"] == "Allow"
    assert as_list(statement["Resource"]) == [get_att_arn(_scheduler_role_id(template_json))]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": SCHEDULER}}


def test_the_session_hosts_cannot_schedule(template_json: dict[str, Any]) -> None:
    task = _resources(template_json)[only_id(template_json, "AWS::ECS::TaskDefinition")]
    statements = role_statements(template_json, task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0])
    assert statements
    actions = [action for statement in statements for action in as_list(statement["Action"])]
    assert not [a for a in actions if a.startswith("scheduler:") or a.startswith("iam:")]


# -- the three outbound lanes -------------------------------------------------------------------


def test_the_lanes_are_three_declared_queues() -> None:
    assert set(resources.OUTBOUND_LANES) == {"high", "normal", "bulk"}
    assert all(spec in resources.QUEUES for spec in resources.OUTBOUND_LANES.values())


@pytest.mark.parametrize("lane", resources.OUTBOUND_LANES)
def test_each_lane_has_its_own_send_worker(template_json: dict[str, Any], lane: str) -> None:
    spec = resources.OUTBOUND_LANES[lane]
    function_id, event = _lane_consumer(template_json, spec)
    assert _resources(template_json)[function_id]["Properties"]["Handler"].startswith(
        "app.send_worker")
    assert event["Properties"]["Queue"] == get_att_arn(
        queue_id(template_json, spec.physical_name(PREFIX)))
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    others = {
        _lane_consumer(template_json, other)[0]
        for other in resources.OUTBOUND_LANES.values() if other is not spec
    }
    assert function_id not in others  # a lane never shares its worker


@pytest.mark.parametrize("lane", resources.OUTBOUND_LANES)
def test_only_the_bulk_lane_is_capped(template_json: dict[str, Any], lane: str) -> None:
    """The bulk worker's event source invokes at most ``bulk_max_concurrency`` copies, so a
    campaign cannot take the account's Lambda concurrency from the other lanes."""
    _, event = _lane_consumer(template_json, resources.OUTBOUND_LANES[lane])
    scaling = event["Properties"].get("ScalingConfig")
    if lane == "bulk":
        assert scaling == {"MaximumConcurrency": DEFAULT_BULK_MAX_CONCURRENCY}
    else:
        assert scaling is None


def test_no_function_reserves_concurrency(template_json: dict[str, Any]) -> None:
    """The cap is the event source's MaximumConcurrency: a reservation would make the event
    source's surplus batches throttle (and count towards the DLQ) and take account concurrency."""
    for function_id in _functions(template_json):
        properties = _resources(template_json)[function_id]["Properties"]
        assert "ReservedConcurrentExecutions" not in properties, function_id


def test_bulk_max_concurrency_comes_from_the_context() -> None:
    assert bulk_max_concurrency(cdk.App().node) == DEFAULT_BULK_MAX_CONCURRENCY == 5
    app = cdk.App(context={BULK_MAX_CONCURRENCY_KEY: "12"})  # -c passes strings
    assert bulk_max_concurrency(app.node) == 12


@pytest.mark.parametrize("bad", [1, 1001])
def test_bulk_max_concurrency_refuses_what_lambda_refuses(bad: int) -> None:
    with pytest.raises(ValueError, match=BULK_MAX_CONCURRENCY_KEY):
        bulk_max_concurrency(cdk.App(context={BULK_MAX_CONCURRENCY_KEY: bad}).node)


# -- the reconciler -----------------------------------------------------------------------------


def test_reconcile_runs_every_minute(template_json: dict[str, Any]) -> None:
    """Chalice writes ``@app.schedule`` as a SAM ``Schedule`` event; the SAM transform turns it
    into an AWS::Events::Rule and the permission to invoke the function at deploy time."""
    scheduled = [
        (function_id, event)
        for function_id in _functions(template_json)
        for event in _resources(template_json)[function_id]["Properties"]
        .get("Events", {}).values()
        if event["Type"] == "Schedule"
    ]
    assert len(scheduled) == 1, scheduled
    ((function_id, event),) = scheduled
    assert _resources(template_json)[function_id]["Properties"]["Handler"] == "app.reconcile"
    assert event["Properties"]["Schedule"] == "rate(1 minute)"
    assert template_json["Transform"] == "AWS::Serverless-2016-10-31"
