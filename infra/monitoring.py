"""Alarms that wake someone, the topic they go to, and one dashboard of the golden signals.

Every alarm goes to one SNS topic (encrypted with its own KMS key, which CloudWatch may use);
``alarmEmail`` subscribes an address. The app's own metrics (``chalicelib/metrics.py``) come from
the functions' and hosts' EMF log lines, by the ``Prefix`` dimension.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from chalicelib import metrics, resources
from infra.data import pascal
from infra.nag import acknowledge

if TYPE_CHECKING:
    from infra.api import ChaliceApp
    from infra.data import DataStores
    from infra.fleet import SessionHostFleet

FIVE_MINUTES = Duration.minutes(5)
# Seconds the oldest message of a queue may wait before someone should look (campaign ticks and
# the bulk lane wait on purpose: campaigns pace their sends).
OLDEST_MESSAGE_S = {resources.OUTBOUND_HIGH.key: 60, resources.OUTBOUND.key: 300,
                    resources.OUTBOUND_BULK.key: 3600, resources.EVENT_QUEUE.key: 300,
                    resources.WEBHOOK_DELIVERIES.key: 900, resources.CAMPAIGN_TICKS.key: 3600}
API_P99_MS = 3000
API_5XX_PER_5_MIN = 5
LAMBDA_ERRORS_PER_5_MIN = 5
WEBHOOK_FAILURES_PER_15_MIN = 20


class Monitoring(Construct):
    """The alarm topic, the alarms and the dashboard of one stage."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str, prefix: str,
                 data: DataStores, app: ChaliceApp, fleet: SessionHostFleet,
                 alarm_email: str | None) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        key = kms.Key(self, "TopicKey", enable_key_rotation=True,
                      description=f"wagate {stage}: the alarm topic's messages",
                      removal_policy=RemovalPolicy.DESTROY)
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt",
                  "kms:GenerateDataKey*")
        self.topic = sns.Topic(self, "Alarms", display_name=f"wagate {stage} alarms",
                               master_key=key, enforce_ssl=True)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
            acknowledge(self.topic, "Serverless-SNSRedrivePolicy",
                        "an email subscription: SNS retries it, and every alarm also shows on "
                        "the dashboard and in the CloudWatch console")
        self.alarms: list[cloudwatch.Alarm] = []
        self.api_name = app.api_name
        self.functions = {logical_id: app.function(logical_id).ref
                          for logical_id in app.function_ids}

        self._queues(data)
        self._functions()
        self._api()
        self._fleet(fleet)
        self._app()
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"wagate-{stage}",
            default_interval=Duration.hours(3))
        self._dashboard(data, fleet)

    # -- metrics ------------------------------------------------------------------------------

    def app_metric(self, metric: metrics.Metric, statistic: str = "Sum",
                   period: Duration = FIVE_MINUTES) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace=metrics.NAMESPACE, metric_name=metric.name,
                                 dimensions_map={metrics.DIMENSION: self.prefix},
                                 statistic=statistic, period=period)

    def lambda_metric(self, name: str, function: str, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace="AWS/Lambda", metric_name=name,
                                 dimensions_map={"FunctionName": function},
                                 statistic=statistic, period=FIVE_MINUTES)

    def api_metric(self, name: str, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name=name,
                                 dimensions_map={"ApiName": self.api_name},
                                 statistic=statistic, period=FIVE_MINUTES)

    # -- alarms -------------------------------------------------------------------------------

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, threshold: float,
               description: str, periods: int = 1,
               comparison: cloudwatch.ComparisonOperator =
               cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self, construct_id, metric=metric, threshold=threshold, evaluation_periods=periods,
            comparison_operator=comparison, alarm_description=description,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def _queues(self, data: DataStores) -> None:
        dlqs = {**{f"{key}-dlq": dlq for key, dlq in data.dlqs.items()},
                "schedules-dlq": data.schedule_dlq}
        for name, dlq in dlqs.items():
            self._alarm(f"Dlq{pascal(name)}", dlq.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"), 0,
                f"{name}: messages gave up and wait in the dead-letter queue (redrive them: "
                f"docs/operations.md)")
        for key, queue in data.queues.items():
            self._alarm(f"Oldest{pascal(key)}", queue.metric_approximate_age_of_oldest_message(
                period=FIVE_MINUTES, statistic="Maximum"), OLDEST_MESSAGE_S[key],
                f"{key}: the oldest message waited over {OLDEST_MESSAGE_S[key]} s", periods=2)

    def _functions(self) -> None:
        for logical_id, name in self.functions.items():
            self._alarm(f"Errors{logical_id}", self.lambda_metric("Errors", name),
                        LAMBDA_ERRORS_PER_5_MIN, f"{logical_id}: more than "
                        f"{LAMBDA_ERRORS_PER_5_MIN} errors in 5 minutes")
            self._alarm(f"Throttles{logical_id}", self.lambda_metric("Throttles", name), 0,
                        f"{logical_id}: invocations throttled (account concurrency?)")

    def _api(self) -> None:
        self._alarm("Api5xx", self.api_metric("5XXError"), API_5XX_PER_5_MIN,
                    f"the API answered 5xx more than {API_5XX_PER_5_MIN} times in 5 minutes")
        self._alarm("ApiLatencyP99", self.api_metric("Latency", "p99"), API_P99_MS,
                    f"the API's p99 latency is over {API_P99_MS} ms", periods=3)

    def _fleet(self, fleet: SessionHostFleet) -> None:
        dimensions = {"ClusterName": fleet.cluster.cluster_name,
                      "ServiceName": fleet.service.service_name}
        running, desired = (
            cloudwatch.Metric(namespace="ECS/ContainerInsights", metric_name=name,
                              dimensions_map=dimensions, statistic="Average",
                              period=FIVE_MINUTES)
            for name in ("RunningTaskCount", "DesiredTaskCount"))
        self._alarm("HostsMissing", cloudwatch.MathExpression(
            expression="desired - running", using_metrics={"running": running,
                                                           "desired": desired},
            period=FIVE_MINUTES, label="session hosts missing"), 0,
            "fewer session hosts run than the service wants (failing health checks or "
            "launches)", periods=2)
        self._alarm("HostsStale", self.app_metric(metrics.HOSTS_STALE, "Maximum"), 0,
                    "a registered session host stopped its heartbeat", periods=2)

    def _app(self) -> None:
        self._alarm("SessionsFailed", self.app_metric(metrics.SESSIONS_FAILED, "Maximum"), 0,
                    "sessions are FAILED: see GET /v1/sessions?status=FAILED", periods=2)
        self._alarm("SessionsDeaf", self.app_metric(metrics.SESSIONS_DEAF, "Maximum"), 0,
                    "sessions look connected but their connection answers nothing", periods=2)
        self._alarm("WebhooksFailing",
                    self.app_metric(metrics.WEBHOOK_DELIVERIES_FAILED,
                                    period=Duration.minutes(15)),
                    WEBHOOK_FAILURES_PER_15_MIN, "webhook deliveries are failing")
        self._alarm("GovernorPauses", self.app_metric(metrics.GOVERNOR_PAUSES), 0,
                    "the send governor paused a session (WhatsApp pushed back)")

    # -- the dashboard ------------------------------------------------------------------------

    def _graph(self, title: str, metrics_: Iterable[cloudwatch.IMetric],
               width: int = 8) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=list(metrics_), width=width, height=6)

    def _dashboard(self, data: DataStores, fleet: SessionHostFleet) -> None:
        m = self.app_metric
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=4))
        self.dashboard.add_widgets(
            self._graph("API: requests and errors (traffic, errors)", [
                self.api_metric("Count"), self.api_metric("4XXError"),
                self.api_metric("5XXError")]),
            self._graph("API: latency p50 / p99 (ms)", [
                self.api_metric("Latency", "p50"), self.api_metric("Latency", "p99")]),
            self._graph("Messages: sent and failed", [
                m(metrics.MESSAGES_SENT), m(metrics.MESSAGES_FAILED)]))
        per_function = {
            title: [self.lambda_metric(name_, fn, statistic).with_(label=logical_id)
                    for logical_id, fn in self.functions.items()]
            for title, name_, statistic in (
                ("invocations", "Invocations", "Sum"), ("duration p99 (ms)", "Duration", "p99"),
                ("errors", "Errors", "Sum"), ("throttles", "Throttles", "Sum"))}
        titles = list(per_function)
        for left, right in (titles[:2], titles[2:]):
            self.dashboard.add_widgets(
                self._graph(f"Functions: {left}", per_function[left], width=12),
                self._graph(f"Functions: {right}", per_function[right], width=12))
        self.dashboard.add_widgets(
            self._graph("Queues: oldest message (s)", [
                q.metric_approximate_age_of_oldest_message(statistic="Maximum").with_(label=key)
                for key, q in data.queues.items()]),
            self._graph("Queues: waiting", [
                q.metric_approximate_number_of_messages_visible(statistic="Maximum").with_(
                    label=key) for key, q in data.queues.items()]),
            self._graph("Dead-letter queues", [
                q.metric_approximate_number_of_messages_visible(statistic="Maximum").with_(
                    label=key) for key, q in {**data.dlqs,
                                              "schedules": data.schedule_dlq}.items()]))
        self.dashboard.add_widgets(
            self._graph("Session hosts: CPU and memory (%)", [
                fleet.service.metric_cpu_utilization(), fleet.service.metric_memory_utilization()]),
            self._graph("Session hosts: load (sessions per host, %)", [
                m(metrics.SESSIONS_PER_HOST_PCT, "Average", Duration.minutes(1)),
                m(metrics.SESSIONS_PER_HOST_PCT, "Maximum", Duration.minutes(1))]),
            self._graph("Sessions: failed, deaf; hosts stale", [
                m(metrics.SESSIONS_FAILED, "Maximum"), m(metrics.SESSIONS_DEAF, "Maximum"),
                m(metrics.HOSTS_STALE, "Maximum")]))
        self.dashboard.add_widgets(
            self._graph("Webhooks: attempts and failures", [
                m(metrics.WEBHOOK_DELIVERIES), m(metrics.WEBHOOK_DELIVERIES_FAILED)]),
            self._graph("Governor pauses", [m(metrics.GOVERNOR_PAUSES)]),
            self._graph("DynamoDB: write units (busiest tables)", [
                data.tables[spec.key].metric_consumed_write_capacity_units(
                    period=FIVE_MINUTES).with_(label=spec.key)
                for spec in (resources.MESSAGES, resources.SESSIONS, resources.EVENTS,
                             resources.DELIVERIES)]))
