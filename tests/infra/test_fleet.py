"""The session-host fleet in the synthesized stack: VPC, security groups, the Chalice functions in
the VPC, ECS on Fargate, EFS, autoscaling, IAM, and the image asset. Same synthesis as
``test_synth.py`` (the session fixture in ``conftest.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from chalicelib import resources
from infra.fleet import FleetSettings
from tests.infra import dockerfile_text as df
from tests.infra.conftest import (
    PREFIX,
    REPO_ROOT,
    Synth,
    get_att_arn,
    get_att_group_id,
    granted,
    logical_ids,
    only_id,
    queue_id,
    role_statements,
    table_id,
)

HOST_TABLES = (resources.SESSIONS, resources.MESSAGES, resources.HOSTS, resources.CONTACTS,
               resources.CHATS, resources.SANDBOX_RECIPIENTS)
HOST_PORT = 8100


def _resources(template_json: dict[str, Any]) -> dict[str, Any]:
    return template_json["Resources"]


def _service(template_json: dict[str, Any]) -> dict[str, Any]:
    return _resources(template_json)[only_id(template_json, "AWS::ECS::Service")]


def _container(template_json: dict[str, Any]) -> dict[str, Any]:
    task = _resources(template_json)[only_id(template_json, "AWS::ECS::TaskDefinition")]
    (container,) = task["Properties"]["ContainerDefinitions"]
    return container


def _task_role_id(template_json: dict[str, Any]) -> str:
    task = _resources(template_json)[only_id(template_json, "AWS::ECS::TaskDefinition")]
    role_arn = task["Properties"]["TaskRoleArn"]
    return role_arn["Fn::GetAtt"][0]


def _sg_id(template_json: dict[str, Any], description_start: str) -> str:
    (found,) = (
        logical_id
        for logical_id in logical_ids(template_json, "AWS::EC2::SecurityGroup")
        if _resources(template_json)[logical_id]["Properties"]["GroupDescription"].startswith(
            description_start
        )
    )
    return found


def _lambda_sg(template_json: dict[str, Any]) -> str:
    return _sg_id(template_json, f"{PREFIX} Lambda functions")


def _hosts_sg(template_json: dict[str, Any]) -> str:
    return _sg_id(template_json, f"{PREFIX} session hosts")


def _efs_sg(template_json: dict[str, Any]) -> str:
    return _sg_id(template_json, f"{PREFIX} session state (EFS)")


def _ingress_rules(template_json: dict[str, Any], sg_id: str) -> list[dict[str, Any]]:
    """Every ingress rule of a security group: inline ones and AWS::EC2::SecurityGroupIngress."""
    rules = list(_resources(template_json)[sg_id]["Properties"].get("SecurityGroupIngress", []))
    for logical_id in logical_ids(template_json, "AWS::EC2::SecurityGroupIngress"):
        properties = _resources(template_json)[logical_id]["Properties"]
        if properties["GroupId"] == get_att_group_id(sg_id):
            rules.append({k: v for k, v in properties.items() if k != "GroupId"})
    return rules


def _private_subnets(template_json: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"Ref": logical_id}
        for logical_id in logical_ids(template_json, "AWS::EC2::Subnet")
        if not _resources(template_json)[logical_id]["Properties"]["MapPublicIpOnLaunch"]
    ]


# -- network ------------------------------------------------------------------------------------


def test_vpc_has_two_azs_public_and_private_subnets_and_one_nat(
    template: Template, template_json: dict[str, Any]
) -> None:
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    subnets = [
        _resources(template_json)[i]["Properties"]
        for i in logical_ids(template_json, "AWS::EC2::Subnet")
    ]
    public = [s for s in subnets if s["MapPublicIpOnLaunch"]]
    private = [s for s in subnets if not s["MapPublicIpOnLaunch"]]
    assert len(public) == len(private) == 2
    for group in (public, private):
        azs = [json.dumps(s["AvailabilityZone"], sort_keys=True) for s in group]
        assert len(set(azs)) == 2, "one subnet of each kind per AZ"
    # every private subnet's default route goes to the one NAT gateway
    nat = only_id(template_json, "AWS::EC2::NatGateway")
    nat_routes = [
        route
        for route_id in logical_ids(template_json, "AWS::EC2::Route")
        if (route := _resources(template_json)[route_id]["Properties"]).get("NatGatewayId")
    ]
    assert len(nat_routes) == 2
    assert all(route["NatGatewayId"] == {"Ref": nat} for route in nat_routes)


@pytest.mark.parametrize("service", ["dynamodb", "s3"])
def test_gateway_endpoints(template_json: dict[str, Any], service: str) -> None:
    endpoints = [
        _resources(template_json)[i]["Properties"]
        for i in logical_ids(template_json, "AWS::EC2::VPCEndpoint")
    ]
    (endpoint,) = (e for e in endpoints if f".{service}" in json.dumps(e["ServiceName"]))
    assert endpoint["VpcEndpointType"] == "Gateway"
    # on every route table, the private ones (functions and hosts) included
    route_tables = [{"Ref": i} for i in logical_ids(template_json, "AWS::EC2::RouteTable")]
    assert sorted(endpoint["RouteTableIds"], key=json.dumps) == sorted(route_tables, key=json.dumps)


# -- security groups ----------------------------------------------------------------------------


def test_hosts_accept_only_the_internal_port_from_the_lambda_sg(
    template_json: dict[str, Any],
) -> None:
    (rule,) = _ingress_rules(template_json, _hosts_sg(template_json))
    assert rule["IpProtocol"] == "tcp"
    assert rule["FromPort"] == rule["ToPort"] == HOST_PORT
    assert rule["SourceSecurityGroupId"] == get_att_group_id(_lambda_sg(template_json))
    assert "CidrIp" not in rule and "CidrIpv6" not in rule


def test_efs_accepts_only_nfs_from_the_hosts_sg(template_json: dict[str, Any]) -> None:
    (rule,) = _ingress_rules(template_json, _efs_sg(template_json))
    assert rule["IpProtocol"] == "tcp"
    assert rule["FromPort"] == rule["ToPort"] == 2049
    assert rule["SourceSecurityGroupId"] == get_att_group_id(_hosts_sg(template_json))
    assert "CidrIp" not in rule and "CidrIpv6" not in rule
    for mount_target in logical_ids(template_json, "AWS::EFS::MountTarget"):
        properties = _resources(template_json)[mount_target]["Properties"]
        assert properties["SecurityGroups"] == [get_att_group_id(_efs_sg(template_json))]


def test_lambda_sg_accepts_nothing(template_json: dict[str, Any]) -> None:
    assert _ingress_rules(template_json, _lambda_sg(template_json)) == []


def test_every_chalice_function_runs_in_the_private_subnets_with_the_lambda_sg(
    template_json: dict[str, Any],
) -> None:
    functions = list(logical_ids(template_json, "AWS::Serverless::Function"))
    assert {"APIHandler", "SendWorker", "EventWorker", "WebhookWorker"} <= set(functions)
    for function_id in functions:
        vpc_config = _resources(template_json)[function_id]["Properties"]["VpcConfig"]
        assert vpc_config["SecurityGroupIds"] == [get_att_group_id(_lambda_sg(template_json))]
        assert sorted(vpc_config["SubnetIds"], key=json.dumps) == sorted(
            _private_subnets(template_json), key=json.dumps
        )


def test_lambda_role_can_manage_its_enis_and_read_its_queues_from_the_start(
    template_json: dict[str, Any],
) -> None:
    """On the role resource itself: the functions and their SQS mappings are created only after
    it exists (later AWS::IAM::Policy resources may not be attached yet)."""
    role = _resources(template_json)["DefaultRole"]["Properties"]
    assert role["ManagedPolicyArns"] == []  # no AWS managed policy: logs go to one group only
    (policy,) = role["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    enis = next(s for s in statements if "ec2:CreateNetworkInterface" in s["Action"])
    assert enis["Resource"] == "*"  # EC2 has no resource-level permissions for these
    queues = next(s for s in statements if "sqs:ReceiveMessage" in s["Action"])
    assert len(queues["Resource"]) == len(resources.QUEUES)
    logs_ = next(s for s in statements if "logs:PutLogEvents" in s["Action"])
    assert logs_["Resource"]["Fn::GetAtt"][0].startswith("FunctionLogs")


# -- ECS ----------------------------------------------------------------------------------------


def test_one_cluster_and_one_fargate_service(template: Template) -> None:
    template.resource_count_is("AWS::ECS::Cluster", 1)
    template.resource_count_is("AWS::ECS::Service", 1)
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "LaunchType": "FARGATE",
            "Cluster": {"Ref": Match.string_like_regexp("Cluster")},
        },
    )


def test_service_deploys_safely(template_json: dict[str, Any]) -> None:
    service = _service(template_json)["Properties"]
    deployment = service["DeploymentConfiguration"]
    assert deployment["MinimumHealthyPercent"] == 100
    assert deployment["MaximumPercent"] == 200
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    # autoscaling owns the count: a deploy must not reset it (new services start with 1 task)
    assert "DesiredCount" not in service


def test_service_runs_in_the_private_subnets_behind_the_hosts_sg(
    template_json: dict[str, Any],
) -> None:
    network = _service(template_json)["Properties"]["NetworkConfiguration"][
        "AwsvpcConfiguration"
    ]
    assert network["AssignPublicIp"] == "DISABLED"
    assert network["SecurityGroups"] == [get_att_group_id(_hosts_sg(template_json))]
    assert sorted(network["Subnets"], key=json.dumps) == sorted(
        _private_subnets(template_json), key=json.dumps
    )


def test_service_waits_for_efs_mount_targets_and_the_nat_route(
    template_json: dict[str, Any],
) -> None:
    depends_on = set(_service(template_json)["DependsOn"])
    assert set(logical_ids(template_json, "AWS::EFS::MountTarget")) <= depends_on
    nat_routes = {
        route_id
        for route_id in logical_ids(template_json, "AWS::EC2::Route")
        if "NatGatewayId" in _resources(template_json)[route_id]["Properties"]
    }
    assert nat_routes <= depends_on


def test_task_size_and_platform(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "Cpu": "512",
            "Memory": "1024",
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
        },
    )


def test_container_health_check_stop_timeout_and_port(template_json: dict[str, Any]) -> None:
    container = _container(template_json)
    assert container["Essential"] is True
    assert container["StopTimeout"] == 120
    assert container["PortMappings"] == [
        {"ContainerPort": HOST_PORT, "Protocol": "tcp", "Name": "internal"}
    ]
    health = container["HealthCheck"]
    assert health["Command"][:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{HOST_PORT}/internal/health" in health["Command"][3]
    assert health["StartPeriod"] >= 30 and health["Retries"] >= 2
    # the same probe as the image's own HEALTHCHECK (which ECS ignores)
    (image_check,) = df.arguments_of("HEALTHCHECK")
    assert df.exec_form(image_check.partition(" CMD ")[2]) == health["Command"][1:]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_container_environment(template_json: dict[str, Any]) -> None:
    variables = {item["Name"]: item["Value"] for item in _container(template_json)["Environment"]}
    internal_secret = _internal_secret_id(template_json)
    assert variables == {
        "WAGATE_PREFIX": PREFIX,
        "WAGATE_HOST_PORT": str(HOST_PORT),
        "WAGATE_HOST_BIND": "0.0.0.0",
        "WAGATE_HOST_CAPACITY": "200",
        "WAGATE_STATE_DIR": "/mnt/state",
        "WAGATE_INTERNAL_SECRET_ARN": {"Ref": internal_secret},
        "NEONIZE_BOT_TAG": "off",
        "AWS_DEFAULT_REGION": {"Ref": "AWS::Region"},
        "WAGATE_MEDIA_BUCKET": {"Ref": _media_bucket_id(template_json)},
    }
    assert "Secrets" not in _container(template_json)  # the host fetches the secret itself


def test_state_volume_is_the_efs_access_point_mounted_at_mnt_state(
    template_json: dict[str, Any],
) -> None:
    task = _resources(template_json)[only_id(template_json, "AWS::ECS::TaskDefinition")]
    (volume,) = task["Properties"]["Volumes"]
    assert volume["EFSVolumeConfiguration"] == {
        "FilesystemId": {"Ref": only_id(template_json, "AWS::EFS::FileSystem")},
        "TransitEncryption": "ENABLED",
        "AuthorizationConfig": {
            "AccessPointId": {"Ref": only_id(template_json, "AWS::EFS::AccessPoint")},
            "IAM": "ENABLED",
        },
    }
    assert _container(template_json)["MountPoints"] == [
        {"ContainerPath": "/mnt/state", "SourceVolume": volume["Name"], "ReadOnly": False}
    ]


def test_efs_is_encrypted_retained_and_owned_by_the_image_user(
    template: Template, template_json: dict[str, Any]
) -> None:
    template.has_resource(
        "AWS::EFS::FileSystem",
        {
            "Properties": {"Encrypted": True},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    access_point = _resources(template_json)[only_id(template_json, "AWS::EFS::AccessPoint")]
    properties = access_point["Properties"]
    # the uid/gid of the Dockerfile's USER (ARG defaults), so files are the host process's own
    uid, _, gid = df.expand(df.arguments_of("USER")[-1]).partition(":")
    assert properties["PosixUser"] == {"Uid": uid, "Gid": gid}
    assert properties["RootDirectory"] == {
        "Path": "/wagate-state",
        "CreationInfo": {"OwnerUid": uid, "OwnerGid": gid, "Permissions": "750"},
    }


# -- autoscaling --------------------------------------------------------------------------------


def test_scalable_target_bounds_the_service(template_json: dict[str, Any]) -> None:
    target = _resources(template_json)[
        only_id(template_json, "AWS::ApplicationAutoScaling::ScalableTarget")
    ]["Properties"]
    assert target["MinCapacity"] == 1
    assert target["MaxCapacity"] == 20
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    service_id = only_id(template_json, "AWS::ECS::Service")
    assert {"Fn::GetAtt": [service_id, "Name"]} in target["ResourceId"]["Fn::Join"][1]


def test_target_tracking_on_sessions_per_host(template_json: dict[str, Any]) -> None:
    policy = _resources(template_json)[
        only_id(template_json, "AWS::ApplicationAutoScaling::ScalingPolicy")
    ]["Properties"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["ScalingTargetId"] == {
        "Ref": only_id(template_json, "AWS::ApplicationAutoScaling::ScalableTarget")
    }
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == 70
    assert config["CustomizedMetricSpecification"] == {
        "Namespace": "wagate",
        "MetricName": "SessionsPerHostPct",
        "Dimensions": [{"Name": "Prefix", "Value": PREFIX}],
        "Statistic": "Average",
    }
    assert config["ScaleInCooldown"] > config["ScaleOutCooldown"]


# -- IAM ----------------------------------------------------------------------------------------


def _media_bucket_id(template_json: dict[str, Any]) -> str:
    (found,) = (b for b in logical_ids(template_json, "AWS::S3::Bucket")
                if b.startswith("MediaBucket"))
    return found


def _internal_secret_id(template_json: dict[str, Any]) -> str:
    (found,) = (
        logical_id
        for logical_id in logical_ids(template_json, "AWS::SecretsManager::Secret")
        if "internal host API"
        in _resources(template_json)[logical_id]["Properties"]["Description"]
    )
    return found


def test_task_role_reads_and_writes_only_the_host_tables(template_json: dict[str, Any]) -> None:
    statements = role_statements(template_json, _task_role_id(template_json))
    for spec in resources.TABLES:
        table = get_att_arn(table_id(template_json, spec))
        for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                       "dynamodb:Query", "dynamodb:DeleteItem"):
            assert granted(statements, action, table) == (spec in HOST_TABLES), (spec, action)
        if spec in HOST_TABLES and spec.indexes:
            index_arn = {"Fn::Join": ["", [table, "/index/*"]]}
            assert granted(statements, "dynamodb:Query", index_arn), spec.key


def test_task_role_sends_only_to_the_events_queue(template_json: dict[str, Any]) -> None:
    statements = role_statements(template_json, _task_role_id(template_json))
    for spec in resources.QUEUES:
        queue = get_att_arn(queue_id(template_json, spec.physical_name(PREFIX)))
        assert granted(statements, "sqs:SendMessage", queue) == (spec == resources.EVENT_QUEUE)
        assert granted(statements, "sqs:GetQueueUrl", queue) == (spec == resources.EVENT_QUEUE)
        assert not granted(statements, "sqs:ReceiveMessage", queue)


@pytest.mark.parametrize("role", ["task", "lambda"])
def test_internal_secret_is_readable_by_the_hosts_and_the_functions(
    template_json: dict[str, Any], role: str
) -> None:
    role_id = _task_role_id(template_json) if role == "task" else "DefaultRole"
    statements = role_statements(template_json, role_id)
    secret = {"Ref": _internal_secret_id(template_json)}
    assert granted(statements, "secretsmanager:GetSecretValue", secret)


def test_task_role_cannot_read_the_jwt_key(template_json: dict[str, Any]) -> None:
    statements = role_statements(template_json, _task_role_id(template_json))
    for secret_id in logical_ids(template_json, "AWS::SecretsManager::Secret"):
        if secret_id != _internal_secret_id(template_json):
            assert not granted(statements, "secretsmanager:GetSecretValue", {"Ref": secret_id})


def test_task_role_mounts_and_writes_the_file_system(template_json: dict[str, Any]) -> None:
    statements = role_statements(template_json, _task_role_id(template_json))
    file_system = get_att_arn(only_id(template_json, "AWS::EFS::FileSystem"))
    for action in ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"):
        assert granted(statements, action, file_system), action
    assert not granted(statements, "elasticfilesystem:ClientRootAccess", file_system)


# -- the image asset ----------------------------------------------------------------------------


def test_synth_never_ran_docker(synth: Synth) -> None:
    assert synth.docker_calls == []


def test_image_asset_builds_the_session_host_dockerfile(synth: Synth) -> None:
    (image,) = synth.assets["dockerImages"].values()
    assert image["source"]["dockerFile"] == "infra/session_host/Dockerfile"
    assert image["source"]["platform"] == "linux/amd64"
    container_image = json.dumps(_container(synth.template)["Image"])
    assert image["destinations"]
    for destination in image["destinations"].values():
        assert destination["imageTag"] in container_image


def test_image_build_context_holds_only_what_the_image_needs(synth: Synth) -> None:
    (image,) = synth.assets["dockerImages"].values()
    context = synth.outdir / image["source"]["directory"]
    staged = {p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file()}
    expected = {"infra/session_host/Dockerfile"} | {
        p.relative_to(REPO_ROOT).as_posix()
        for p in (REPO_ROOT / "chalicelib").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    requirements = Path("infra/session_host/requirements.txt")
    if (REPO_ROOT / requirements).exists():
        expected.add(requirements.as_posix())
    assert staged == expected


# -- sizing from the CDK context (no synthesis) -------------------------------------------------


def test_fleet_settings_come_from_the_context() -> None:
    assert FleetSettings.from_context(cdk.App().node) == FleetSettings()
    context = {  # the CLI (-c key=value) passes strings
        "host_min_tasks": "2",
        "host_max_tasks": "40",
        "host_capacity": "150",
        "host_cpu": 1024,
        "host_memory_mib": "2048",
        "host_cpu_architecture": "arm64",
    }
    assert FleetSettings.from_context(cdk.App(context=context).node) == FleetSettings(
        min_tasks=2, max_tasks=40, capacity=150, cpu=1024, memory_mib=2048,
        cpu_architecture="arm64",
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"min_tasks": 0},
        {"min_tasks": 5, "max_tasks": 4},
        {"capacity": 0},
        {"cpu_architecture": "mips"},
    ],
)
def test_fleet_settings_refuse_nonsense(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="host_"):
        FleetSettings(**bad)
