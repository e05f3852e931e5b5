"""The session-host fleet: ECS Fargate service, EFS for auth state, autoscaling.

``SessionHostFleet`` is built by ``WagateStack`` inside the stack's VPC. The hosts run the image
of ``infra/session_host/Dockerfile`` (built by ``cdk deploy`` from the repository root; synth
only stages the build context and needs no Docker), listen on TCP 8100 for the Lambda functions'
internal API calls only, keep WhatsApp auth state on an encrypted EFS access point mounted at
``/mnt/state``, and scale on the ``wagate/SessionsPerHostPct`` metric they publish (EMF).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_efs as efs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct, Node

from chalicelib import metrics
from infra.nag import acknowledge

# The image (paths relative to the build context, which is the repository root).
DOCKERFILE = "infra/session_host/Dockerfile"
DOCKERIGNORE = "infra/session_host/Dockerfile.dockerignore"

# The image's non-root user (ARG WAGATE_UID / WAGATE_GID in the Dockerfile): the EFS access point
# makes every file operation run as this user and creates its root directory owned by it.
HOST_UID = 10001
HOST_GID = 10001
STATE_DIR = "/mnt/state"  # WAGATE_STATE_DIR inside the container
STATE_PATH = "/wagate-state"  # the access point's root directory on the file system

HOST_PORT = 8100
STOP_TIMEOUT_SECONDS = 120  # Fargate's maximum: time for a SIGTERMed host to release its leases
HEALTH_URL = f"http://127.0.0.1:{HOST_PORT}/internal/health"
HEALTH_COMMAND = [
    "CMD",
    "python",
    "-c",
    f"import urllib.request; urllib.request.urlopen('{HEALTH_URL}', timeout=3)",
]

# The hosts publish chalicelib.metrics.SESSIONS_PER_HOST_PCT (EMF, one value per host per minute:
# sessions / capacity * 100) with the one dimension Prefix; the fleet scales to keep it here.
TARGET_SESSIONS_PCT = 70

_ARCHITECTURES = {
    "x86_64": (ecs.CpuArchitecture.X86_64, ecr_assets.Platform.LINUX_AMD64),
    "arm64": (ecs.CpuArchitecture.ARM64, ecr_assets.Platform.LINUX_ARM64),
}


@dataclass(frozen=True)
class FleetSettings:
    """Sizing of the fleet; each field can be overridden by the CDK context key in its comment."""

    min_tasks: int = 1  # host_min_tasks
    max_tasks: int = 20  # host_max_tasks
    capacity: int = 200  # host_capacity: sessions one host takes (WAGATE_HOST_CAPACITY)
    cpu: int = 512  # host_cpu: Fargate CPU units (512 = 0.5 vCPU)
    memory_mib: int = 1024  # host_memory_mib
    cpu_architecture: str = "x86_64"  # host_cpu_architecture: x86_64 or arm64

    _CONTEXT_KEYS = {
        "min_tasks": "host_min_tasks",
        "max_tasks": "host_max_tasks",
        "capacity": "host_capacity",
        "cpu": "host_cpu",
        "memory_mib": "host_memory_mib",
        "cpu_architecture": "host_cpu_architecture",
    }

    @classmethod
    def from_context(cls, node: Node) -> FleetSettings:
        """Defaults, overridden by context values (``cdk synth -c host_max_tasks=40``)."""
        values: dict[str, Any] = {}
        for field_name, key in cls._CONTEXT_KEYS.items():
            raw = node.try_get_context(key)
            if raw is None:
                continue
            values[field_name] = str(raw) if field_name == "cpu_architecture" else int(raw)
        return cls(**values)

    def __post_init__(self) -> None:
        if not 1 <= self.min_tasks <= self.max_tasks:
            raise ValueError(
                f"need 1 <= host_min_tasks <= host_max_tasks, got {self.min_tasks}, "
                f"{self.max_tasks}"
            )
        if self.capacity < 1:
            raise ValueError(f"host_capacity must be positive, got {self.capacity}")
        if self.cpu_architecture not in _ARCHITECTURES:
            raise ValueError(
                f"host_cpu_architecture must be one of {sorted(_ARCHITECTURES)}, "
                f"got {self.cpu_architecture!r}"
            )


def build_context_excludes(source_dir: Path) -> list[str]:
    """The ignore patterns of the image's build context, from ``Dockerfile.dockerignore``.

    BuildKit reads that file for ``docker build -f infra/session_host/Dockerfile .``; the CDK
    asset needs the same patterns passed explicitly (it only reads a ``.dockerignore`` at the
    context root, and only re-includes a Dockerfile at the root).
    """
    lines = (source_dir / DOCKERIGNORE).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


class SessionHostFleet(Construct):
    """ECS cluster, EFS state, the session-host Fargate service and its autoscaling."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        client_security_group: ec2.ISecurityGroup,
        source_dir: Path,
        prefix: str,
        tables: Mapping[str, dynamodb.ITable],
        events_queue: sqs.IQueue,
        internal_secret: secretsmanager.ISecret,
        settings: FleetSettings,
        python_version: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        """Build the fleet.

        ``client_security_group`` is the only source allowed to reach the hosts' internal API
        (the Lambda functions'). ``tables`` are the ones the hosts read and write (sessions,
        messages, hosts); ``events_queue`` is where they publish events.
        """
        super().__init__(scope, construct_id)
        self.settings = settings
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED)  # task counts for the alarms

        self.security_group = ec2.SecurityGroup(
            self,
            "HostSecurityGroup",
            vpc=vpc,
            description=f"{prefix} session hosts: internal API from the Lambda functions only",
            allow_all_outbound=True,  # WhatsApp servers, AWS APIs, EFS
        )
        self.security_group.add_ingress_rule(
            client_security_group, ec2.Port.tcp(HOST_PORT), "internal API from the Lambdas"
        )

        self.state_security_group = ec2.SecurityGroup(
            self,
            "StateSecurityGroup",
            vpc=vpc,
            description=f"{prefix} session state (EFS): NFS from the session hosts only",
            allow_all_outbound=False,
        )
        self.state_security_group.add_ingress_rule(
            self.security_group, ec2.Port.tcp(2049), "NFS from the session hosts"
        )
        self.file_system = efs.FileSystem(
            self,
            "StateFileSystem",
            vpc=vpc,
            vpc_subnets=private,
            security_group=self.state_security_group,
            encrypted=True,
            # Small, bursty SQLite traffic: elastic throughput never runs out of burst credits.
            throughput_mode=efs.ThroughputMode.ELASTIC,
            performance_mode=efs.PerformanceMode.GENERAL_PURPOSE,
            enable_automatic_backups=True,  # losing it means re-pairing every WhatsApp number
            allow_anonymous_access=False,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.access_point = self.file_system.add_access_point(
            "StateAccessPoint",
            path=STATE_PATH,
            posix_user=efs.PosixUser(uid=str(HOST_UID), gid=str(HOST_GID)),
            create_acl=efs.Acl(owner_uid=str(HOST_UID), owner_gid=str(HOST_GID), permissions="750"),
        )

        cpu_architecture, platform = _ARCHITECTURES[settings.cpu_architecture]
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=settings.cpu,
            memory_limit_mib=settings.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=cpu_architecture,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            volumes=[
                ecs.Volume(
                    name="state",
                    efs_volume_configuration=ecs.EfsVolumeConfiguration(
                        file_system_id=self.file_system.file_system_id,
                        transit_encryption="ENABLED",
                        authorization_config=ecs.AuthorizationConfig(
                            access_point_id=self.access_point.access_point_id, iam="ENABLED"
                        ),
                    ),
                )
            ],
        )
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.container = self.task_definition.add_container(
            "SessionHost",
            image=ecs.ContainerImage.from_asset(
                str(source_dir),
                file=DOCKERFILE,
                exclude=build_context_excludes(source_dir),
                ignore_mode=IgnoreMode.DOCKER,
                platform=platform,
                build_args={"PYTHON_VERSION": python_version},
            ),
            essential=True,
            environment={
                "WAGATE_PREFIX": prefix,
                "WAGATE_HOST_PORT": str(HOST_PORT),
                "WAGATE_HOST_BIND": "0.0.0.0",
                "WAGATE_HOST_CAPACITY": str(settings.capacity),
                "WAGATE_STATE_DIR": STATE_DIR,
                "WAGATE_INTERNAL_SECRET_ARN": internal_secret.secret_arn,
                "NEONIZE_BOT_TAG": "off",
                "AWS_DEFAULT_REGION": Stack.of(self).region,
            },
            port_mappings=[
                ecs.PortMapping(
                    container_port=HOST_PORT, protocol=ecs.Protocol.TCP, name="internal"
                )
            ],
            health_check=ecs.HealthCheck(
                command=HEALTH_COMMAND,
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(60),
            ),
            stop_timeout=Duration.seconds(STOP_TIMEOUT_SECONDS),
            logging=ecs.LogDrivers.aws_logs(stream_prefix="host", log_group=self.log_group),
        )
        self.container.add_mount_points(
            ecs.MountPoint(container_path=STATE_DIR, source_volume="state", read_only=False)
        )

        task_role = self.task_definition.task_role
        for table in tables.values():
            table.grant_read_write_data(task_role)  # the table and its indexes
        events_queue.grant_send_messages(task_role)
        internal_secret.grant_read(task_role)
        self.file_system.grant_read_write(task_role)

        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            # No desired_count: autoscaling owns it. CloudFormation starts a new service with
            # one task and leaves the count alone on updates, so a deploy never scales the fleet
            # back to a fixed number (which would drain hosts and move their sessions).
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            vpc_subnets=private,
            security_groups=[self.security_group],
            assign_public_ip=False,
            platform_version=ecs.FargatePlatformVersion.LATEST,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        # On the first deploy the tasks must find the EFS mount targets and a route to the NAT
        # (ECR, Secrets Manager, WhatsApp); CloudFormation does not infer either dependency, and
        # early failed launches could trip the circuit breaker.
        self.service.node.add_dependency(self.file_system.mount_targets_available)
        self.service.node.add_dependency(
            vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
            .internet_connectivity_established
        )

        self.scaling = self.service.auto_scale_task_count(
            min_capacity=settings.min_tasks, max_capacity=settings.max_tasks
        )
        self.metric = cloudwatch.Metric(
            namespace=metrics.NAMESPACE,
            metric_name=metrics.SESSIONS_PER_HOST_PCT.name,
            dimensions_map={metrics.DIMENSION: prefix},
            statistic=cloudwatch.Stats.AVERAGE,
            period=Duration.minutes(1),
        )
        self.scaling.scale_to_track_custom_metric(
            "SessionsPerHost",
            metric=self.metric,
            target_value=TARGET_SESSIONS_PCT,
            # Out fast; in slowly: a removed host drains and its sessions reconnect elsewhere.
            scale_out_cooldown=Duration.minutes(2),
            scale_in_cooldown=Duration.minutes(15),
        )
        acknowledge(self.task_definition, "AwsSolutions-ECS2",
                    "the environment holds names, sizes and secret ARNs only; secret values "
                    "are read from Secrets Manager at run time")
        acknowledge(self.task_definition, "AwsSolutions-IAM5[Resource::*]",
                    "ecr:GetAuthorizationToken (the execution role's image pull) has no "
                    "resource-level permissions")
