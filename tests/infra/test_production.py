"""The production stack (issue 15) on the synthesized template: every component, the edge in our
envelope and a host per dialect, secrets and their rotation, cdk-nag with nothing unacknowledged,
alarms and the dashboard, the runtime and architecture, and deploying with make. Same synthesis
as the other infra tests (``conftest.py``: every optional context value on)."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from chalicelib import metrics, resources
from chalicelib.api.dialects import NAMES
from infra import runtime
from infra.data import table
from infra.network import INTERFACE_ENDPOINTS
from infra.secrets import SECRETS
from tests.infra.conftest import CONTEXT, PREFIX, REPO_ROOT, Synth, logical_ids, queue_id

FUNCTIONS = {"APIHandler", "SendWorkerHigh", "SendWorker", "SendWorkerBulk", "EventWorker",
             "WebhookWorker", "CampaignTick", "Reconcile", "RotateSecret", "DialectEdge",
             "CreateAdmin"}


def _resources(template_json: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {logical_id: template_json["Resources"][logical_id]
            for logical_id in logical_ids(template_json, kind)}


def _functions(template_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in
            _resources(template_json, "AWS::Serverless::Function").items()}


# -- 1. every component -------------------------------------------------------------------------


def test_every_worker_is_its_own_function_and_the_reconciler_runs_each_minute(
    template_json: dict[str, Any],
) -> None:
    functions = _functions(template_json)
    assert set(functions) == FUNCTIONS
    (schedule,) = functions["Reconcile"]["Events"].values()
    assert schedule["Type"] == "Schedule"
    assert schedule["Properties"]["Schedule"] == "rate(1 minute)"


def test_aws_calls_need_no_nat_gateway_and_endpoints_for_each_service(
    template_json: dict[str, Any],
) -> None:
    endpoints = [e["Properties"] for e in
                 _resources(template_json, "AWS::EC2::VPCEndpoint").values()]
    services = {json.dumps(e["ServiceName"]): e for e in endpoints}
    gateways = [e for e in endpoints if e.get("VpcEndpointType") == "Gateway"]
    assert len(gateways) == 2 and all("RouteTableIds" in e for e in gateways)
    assert any("dynamodb" in name for name in services) and any(".s3" in name or "s3\"" in name
                                                               for name in services)
    interfaces = [e for e in endpoints if e.get("VpcEndpointType") == "Interface"]
    assert len(interfaces) == len(INTERFACE_ENDPOINTS) == 5
    names = " ".join(json.dumps(e["ServiceName"]) for e in interfaces)
    for service in ("sqs", "secretsmanager", "logs", "ecr.api", "ecr.dkr"):
        assert f".{service}" in names, service
    assert all(e["PrivateDnsEnabled"] is True for e in interfaces)


def test_the_vpc_keeps_flow_logs_in_the_access_log_bucket(template_json: dict[str, Any]) -> None:
    (flow,) = (r["Properties"] for r in _resources(template_json, "AWS::EC2::FlowLog").values())
    assert flow["LogDestinationType"] == "s3" and flow["TrafficType"] == "ALL"
    assert "AccessLogBucket" in json.dumps(flow["LogDestination"])


def test_outside_production_the_tables_go_with_the_stack() -> None:
    """``make destroy`` of a dev stage removes its tables; prod keeps them (test_synth)."""
    stack = cdk.Stack(cdk.App(), "dev")
    table(stack, resources.MESSAGES, "wagate-dev", production=False)
    (found,) = Template.from_stack(stack).find_resources("AWS::DynamoDB::Table").values()
    assert found["DeletionPolicy"] == "Delete"
    assert found["Properties"]["DeletionProtectionEnabled"] is False
    assert found["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True}


def _asset_dir(synth: Synth, logical_id: str, template_json: dict[str, Any]) -> Path:
    """The staged directory or zip of the asset a resource's code points at."""
    key = json.dumps(template_json["Resources"][logical_id]["Properties"])
    for asset_hash, asset in synth.assets["files"].items():
        if asset_hash in key:
            return synth.outdir / asset["source"]["path"]
    raise AssertionError(f"no asset of {logical_id}")


def test_the_app_code_carries_the_console_and_no_dependencies(
    synth: Synth, template_json: dict[str, Any],
) -> None:
    code = _asset_dir(synth, "APIHandler", template_json)
    names = set(zipfile.ZipFile(code).namelist())
    assert "app.py" in names
    assert "chalicelib/api/static/console/index.html" in names
    assert any(name.startswith("chalicelib/api/static/console/") and name.endswith(".js")
               for name in names)
    assert not any(name.startswith(("pydantic/", "pydantic_core/", "__pycache__"))
                   or "/__pycache__/" in name for name in names)


# -- 2. the edge --------------------------------------------------------------------------------


def test_the_main_api_logs_access_and_throttles_by_default(template_json: dict[str, Any]) -> None:
    (api,) = (r["Properties"] for r in _resources(template_json,
                                                  "AWS::Serverless::Api").values())
    assert api["Name"] == f"wagate-{PREFIX.removeprefix('wagate-')}"
    fields = json.loads(api["AccessLogSetting"]["Format"])
    assert {"request_id", "status", "latency_ms", "path"} <= set(fields)
    (settings,) = api["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    (account,) = _resources(template_json, "AWS::ApiGateway::Account").values()
    assert "CloudWatchRoleArn" in account["Properties"]


def test_the_custom_domain_serves_the_api_and_a_host_per_dialect(
    template_json: dict[str, Any],
) -> None:
    domains = {d["Properties"]["DomainName"]: d["Properties"] for d in
               _resources(template_json, "AWS::ApiGateway::DomainName").values()}
    domain = CONTEXT["domainName"]
    assert set(domains) == {domain, *(f"{name}.{domain}" for name in NAMES)}
    for properties in domains.values():
        assert properties["RegionalCertificateArn"] == CONTEXT["certificateArn"]
        assert properties["SecurityPolicy"] == "TLS_1_2"
    mappings = [m["Properties"] for m in
                _resources(template_json, "AWS::ApiGateway::BasePathMapping").values()]
    main = next(m for m in mappings if m["DomainName"] == domain)
    assert main["RestApiId"] == {"Ref": "RestAPI"} and "BasePath" not in main
    (edge_id,) = logical_ids(template_json, "AWS::ApiGateway::RestApi")
    assert sum(m["RestApiId"] == {"Ref": edge_id} for m in mappings) == len(NAMES)
    # The edge API sends every path to the dialect_edge function, with our gateway responses.
    methods = [m["Properties"] for m in _resources(template_json, "AWS::ApiGateway::Method")
               .values()]
    assert len(methods) == 2
    assert all("DialectEdge" in json.dumps(m["Integration"]["Uri"]) for m in methods)
    responses = [r["Properties"] for r in
                 _resources(template_json, "AWS::ApiGateway::GatewayResponse").values()
                 if r["Properties"]["RestApiId"] == {"Ref": edge_id}]
    assert {r["ResponseType"] for r in responses} >= {"MISSING_AUTHENTICATION_TOKEN",
                                                      "THROTTLED", "INTEGRATION_TIMEOUT"}
    variables = _functions(template_json)["DialectEdge"]["Environment"]["Variables"]
    assert variables["WAGATE_DIALECT_DOMAIN"] == domain
    outputs = json.dumps(template_json["Outputs"])
    assert outputs.count("RegionalDomainName") == len(NAMES) + 1


# -- 3. secrets ---------------------------------------------------------------------------------


def test_secrets_are_generated_rotated_and_only_their_arns_reach_the_functions(
    template_json: dict[str, Any],
) -> None:
    secrets = _resources(template_json, "AWS::SecretsManager::Secret")
    generated = {k for k, v in secrets.items() if "GenerateSecretString" in v["Properties"]
                 and not k.startswith("FcmCredentials")}  # Google's key: the operator's
    assert len(generated) == len(SECRETS) == 3
    assert all("SecretString" not in v["Properties"] for v in secrets.values())
    schedules = [s["Properties"] for s in
                 _resources(template_json, "AWS::SecretsManager::RotationSchedule").values()]
    assert {s["SecretId"]["Ref"] for s in schedules} == generated
    for schedule in schedules:
        assert schedule["RotationLambdaARN"] == {"Fn::GetAtt": ["RotateSecret", "Arn"]}
        assert schedule["RotateImmediatelyOnUpdate"] is False
        # over the longest life of what is signed (a login token: 12 h; a sealed text: 14 d)
        assert schedule["RotationRules"]["AutomaticallyAfterDays"] >= 7
    for function in _functions(template_json).values():
        for name, value in function["Environment"]["Variables"].items():
            if "SECRET" in name or "PEPPER" in name or "CREDENTIALS" in name:
                assert name.endswith("_ARN") and value["Ref"] in secrets, name
    fcm = _functions(template_json)["APIHandler"]["Environment"]["Variables"]
    assert fcm["WAGATE_PUSH_PROVIDER"] == "fcm"
    assert fcm["WAGATE_FCM_PROJECT_ID"] == CONTEXT["fcmProjectId"]


def test_only_the_rotation_function_may_write_the_secrets(template_json: dict[str, Any]) -> None:
    writes = {"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"}
    writers = []
    for policy in _resources(template_json, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) \
                else [statement["Action"]]
            if writes & set(actions):
                writers.extend(json.dumps(r) for r in policy["Properties"]["Roles"])
    assert writers and all("RotationRole" in role for role in writers)
    (permission,) = (p["Properties"] for p in
                     _resources(template_json, "AWS::Lambda::Permission").values()
                     if p["Properties"]["Principal"] == "secretsmanager.amazonaws.com")
    assert permission["FunctionName"] == {"Fn::GetAtt": ["RotateSecret", "Arn"]}


# -- 4. cdk-nag ---------------------------------------------------------------------------------


def test_cdk_nag_finds_nothing_unacknowledged(synth: Synth) -> None:
    """Synthesis fails on any finding; the report lists only the packs that found one."""
    report = json.loads((synth.outdir / "policy-validation-report.json").read_text())
    assert [p["violations"] for p in report["pluginReports"]
            if p["summary"]["pluginName"] != "CloudFormation Validate"] == []
    assert "cdk-nag AwsSolutions, Serverless: 0 unacknowledged findings" in synth.output


def test_cdk_nag_fails_a_synthesis_with_a_finding(tmp_path: Path) -> None:
    from aws_cdk import aws_s3 as s3

    from infra import nag

    app = cdk.App(outdir=str(tmp_path), context=nag.REPORT_CONTEXT)
    s3.Bucket(cdk.Stack(app, "s"), "Plain")  # no access logs, no TLS-only policy
    nag.add_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / nag.REPORT_FILE).read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def test_every_acknowledgment_says_why() -> None:
    """Acknowledgments go through ``infra.nag.acknowledge``, which wants a reason."""
    from infra.nag import acknowledge

    with pytest.raises(ValueError, match="say why"):
        acknowledge(cdk.Stack(cdk.App(), "s"), "AwsSolutions-S1", "because")
    sources = "".join(p.read_text() for p in (REPO_ROOT / "infra").glob("*.py"))
    assert "Validations.of" in (REPO_ROOT / "infra" / "nag.py").read_text()
    assert sources.count("Validations.of") == 2  # add_checks and acknowledge only


# -- 5. alarms and the dashboard ----------------------------------------------------------------


def _alarms(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["Properties"] for a in _resources(template_json, "AWS::CloudWatch::Alarm").values()]


def _alarm_on(template_json: dict[str, Any], metric: str, **dimension: Any) -> dict[str, Any]:
    for alarm in _alarms(template_json):
        if alarm.get("MetricName") != metric:
            continue
        dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
        if all(dims.get(k) == v for k, v in dimension.items()):
            return alarm
    raise AssertionError(f"no alarm on {metric} {dimension}")


def test_every_alarm_goes_to_the_encrypted_topic_that_emails_the_operator(
    template_json: dict[str, Any],
) -> None:
    (topic_id,) = logical_ids(template_json, "AWS::SNS::Topic")
    topic = template_json["Resources"][topic_id]["Properties"]
    assert "KmsMasterKeyId" in topic
    (subscription,) = (s["Properties"] for s in
                       _resources(template_json, "AWS::SNS::Subscription").values())
    assert subscription == {**subscription, "Protocol": "email",
                            "Endpoint": CONTEXT["alarmEmail"], "TopicArn": {"Ref": topic_id}}
    for alarm in _alarms(template_json):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], alarm["AlarmDescription"]


def test_dead_letters_and_waiting_messages_alarm_per_queue(template_json: dict[str, Any]) -> None:
    for spec in resources.QUEUES:
        dlq = {"Fn::GetAtt": [queue_id(template_json, spec.dlq_physical_name(PREFIX)),
                              "QueueName"]}
        alarm = _alarm_on(template_json, "ApproximateNumberOfMessagesVisible", QueueName=dlq)
        assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
        queue = {"Fn::GetAtt": [queue_id(template_json, spec.physical_name(PREFIX)),
                                "QueueName"]}
        assert _alarm_on(template_json, "ApproximateAgeOfOldestMessage", QueueName=queue)
    schedules = {"Fn::GetAtt": [queue_id(template_json, f"{PREFIX}-schedules-dlq"),
                                "QueueName"]}
    assert _alarm_on(template_json, "ApproximateNumberOfMessagesVisible", QueueName=schedules)


def test_each_function_alarms_on_errors_and_throttles(template_json: dict[str, Any]) -> None:
    for function_id in FUNCTIONS:
        for metric in ("Errors", "Throttles"):
            alarm = _alarm_on(template_json, metric, FunctionName={"Ref": function_id})
            assert alarm["Namespace"] == "AWS/Lambda"


def test_the_api_the_hosts_and_the_app_have_their_alarms(template_json: dict[str, Any]) -> None:
    api = {"ApiName": f"wagate-{PREFIX.removeprefix('wagate-')}"}
    assert _alarm_on(template_json, "5XXError", **api)["Namespace"] == "AWS/ApiGateway"
    assert _alarm_on(template_json, "Latency", **api)["ExtendedStatistic"] == "p99"
    missing = [a for a in _alarms(template_json) if "Metrics" in a
               and any("RunningTaskCount" in json.dumps(m) for m in a["Metrics"])]
    assert len(missing) == 1
    for metric in (metrics.SESSIONS_FAILED, metrics.SESSIONS_DEAF, metrics.HOSTS_STALE,
                   metrics.WEBHOOK_DELIVERIES_FAILED, metrics.GOVERNOR_PAUSES):
        alarm = _alarm_on(template_json, metric.name, Prefix=PREFIX)
        assert alarm["Namespace"] == metrics.NAMESPACE


def test_one_dashboard_shows_the_golden_signals_of_each_component(
    template_json: dict[str, Any],
) -> None:
    (dashboard,) = _resources(template_json, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for namespace in ("AWS/ApiGateway", "AWS/Lambda", "AWS/SQS", "AWS/ECS", "AWS/DynamoDB",
                      metrics.NAMESPACE):
        assert namespace in body, namespace
    for metric in metrics.ALL:
        assert metric.name in body, metric.name
    for function_id in FUNCTIONS:
        assert function_id in body


def test_functions_log_json_to_one_group_with_retention(template_json: dict[str, Any]) -> None:
    (group_id,) = (g for g in logical_ids(template_json, "AWS::Logs::LogGroup")
                   if g.startswith("FunctionLogs"))
    group = template_json["Resources"][group_id]
    assert group["Properties"]["RetentionInDays"] == 30
    assert group["DeletionPolicy"] == "Retain"  # production
    for function in _functions(template_json).values():
        assert function["LoggingConfig"]["LogFormat"] == "JSON"
        assert function["LoggingConfig"]["LogGroup"] == {"Ref": group_id}


# -- 7. runtime ---------------------------------------------------------------------------------


def test_every_function_runs_the_declared_python_on_arm64_with_the_dependency_layer(
    synth: Synth, template_json: dict[str, Any],
) -> None:
    (layer_id,) = logical_ids(template_json, "AWS::Lambda::LayerVersion")
    layer = template_json["Resources"][layer_id]["Properties"]
    assert layer["CompatibleRuntimes"] == [runtime.lambda_runtime()]
    assert layer["CompatibleArchitectures"] == ["arm64"]
    for function in _functions(template_json).values():
        assert function["Runtime"] == runtime.lambda_runtime() == \
            f"python{(REPO_ROOT / '.python-version').read_text().strip()}"
        assert function["Architectures"] == ["arm64"]
        assert function["Layers"] == [{"Ref": layer_id}]
    libraries = list((_asset_dir(synth, layer_id, template_json) / "python").rglob("*.so"))
    assert libraries and all("x86_64" not in so.name for so in libraries)
    assert any("aarch64" in so.name for so in libraries)


def test_a_layer_falls_back_to_x86_64_when_a_dependency_has_no_arm64_wheel(
    tmp_path: Path,
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("somepkg==1.0\n")
    calls: list[str] = []

    def pip(args: Any) -> subprocess.CompletedProcess[str]:
        platform = args[args.index("--platform") + 1]
        calls.append(platform)
        if "aarch64" in platform:
            return subprocess.CompletedProcess(args, 1, "", "ERROR: No matching distribution")
        target = Path(args[args.index("--target") + 1])
        target.mkdir(parents=True)
        return subprocess.CompletedProcess(args, 0, "", "")

    layer = runtime.build_layer(requirements, version="3.11", cache=tmp_path / "cache", pip=pip)
    assert layer.architecture == "x86_64" and "No matching distribution" in layer.why
    again = runtime.build_layer(requirements, version="3.11", cache=tmp_path / "cache", pip=pip)
    assert again.directory == layer.directory
    assert calls == ["manylinux2014_aarch64", "manylinux2014_x86_64", "manylinux2014_aarch64"]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [layer.directory.name]


def test_synthesis_refuses_another_python_than_the_declared_one() -> None:
    with pytest.raises(RuntimeError, match=r"python-version declares 3\.99"):
        runtime.check_interpreter("3.99")


# -- 8. deploying -------------------------------------------------------------------------------


def test_make_deploy_and_destroy_pass_the_context_to_the_cdk_cli() -> None:
    done = subprocess.run(
        ["make", "-n", "deploy", "destroy", "STAGE=prod", "ALARM_EMAIL=ops@example.com",
         "DOMAIN_NAME=wa.example.com", "CERTIFICATE_ARN=arn:aws:acm:x", "VENV=.venv"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True)
    lines = [line for line in done.stdout.splitlines() if "aws-cdk" in line]
    assert len(lines) == 2
    deploy, destroy = lines
    for line, verb in ((deploy, " deploy "), (destroy, " destroy ")):
        assert line.startswith("cd infra && npx --yes aws-cdk@2") and verb in line
        for value in ("-c stage=prod", "-c alarmEmail=ops@example.com",
                      "-c domainName=wa.example.com", "-c certificateArn=arn:aws:acm:x"):
            assert value in line
    assert "fcmProjectId" not in deploy  # only what was given
