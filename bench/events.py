"""Events and webhook deliveries: DynamoDB writes and AWS calls per delivered event, calls to fan
one event out to N subscriptions, and how fast a backlog drains after a receiver comes back.

    .venv/bin/python bench/events.py [--backlog 1000]

Everything runs in-process on moto, the workers fed Lambda-shaped events by the local Lambda
runtime (``chalicelib/devstack/runtime.py``), delivering to a loopback receiver that verifies
every signature. Prints:
- (a) DynamoDB writes per delivered event (one subscription, the receiver answers 2xx the first
  time), by operation and table, and the AWS calls of the event worker and of the delivery
  worker per event (the queue polling Lambda's event source mapping does is shown apart);
- (b) the event worker's AWS calls to fan one event out to N = 1, 10, 50, 100 subscriptions;
- (c) the time for a backlog of events (1,000) to drain after the receiver comes back: it
  answered 500 while they were published, fanned out and tried once; from its recovery, the
  runtime's pollers work the queues until every event has been 2xx'd once per ``webhook-id``.
  The retry schedule is shortened (every retry 1 s later) so the bench measures the drain,
  not the waiting. Its throughput is also given as a ratio to bare PutItem calls on the same
  moto in the same run.
"""

from __future__ import annotations

import argparse
import collections
import logging
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update({
    **BENCH_ENV, "WAGATE_ALLOW_PRIVATE_WEBHOOKS": "true",
    "WAGATE_WEBHOOK_RETRY_SCHEDULE": ",".join(["1"] * 12),  # short: see (c)
})
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws

from app import app
from bench._support import Calls, bench_owner, drain, queue_url, show, without_poller
from chalicelib import bootstrap, resources
from chalicelib.adapters import aws
from chalicelib.adapters.provision import provision
from chalicelib.devstack.embedded_aws import serialize_in_process_moto
from chalicelib.devstack.launch import wait_until
from chalicelib.devstack.listen import WebhookReceiver
from chalicelib.devstack.runtime import LocalLambdaRuntime
from chalicelib.domain import clock
from chalicelib.domain.events import Event, EventType, MessageStatusData
from chalicelib.domain.webhooks import DeliveryStatus

RETRY_SCHEDULE = os.environ["WAGATE_WEBHOOK_RETRY_SCHEDULE"]
FAN_OUT = (1, 10, 50, 100)
DRAIN_TIMEOUT_S = 600  # a bound, not a target


def event(tenant_id: str, n: int) -> Event:
    """A ``message.status`` event, the most frequent kind."""
    data = MessageStatusData(message_id=f"MSG{n:023d}", chat="14155552671@s.whatsapp.net",
                             status="delivered", at=clock.now_iso())
    return Event.new(EventType.MESSAGE_STATUS, tenant_id, "ses_bench",
                     data.model_dump(mode="json"))



def writes_per_event(runtime: LocalLambdaRuntime, calls: Calls, receiver: WebhookReceiver,
                     events: int, report: bool = True) -> None:
    """(a): ``events`` events published at once to one subscription that answers 2xx."""
    c = bootstrap.container()
    for n in range(events):
        c.events.publish(event("writes", n))
    calls.take()
    drain(runtime, resources.EVENT_QUEUE)
    worker, worker_writes, _ = calls.take_all()
    drain(runtime, resources.WEBHOOK_DELIVERIES)
    delivery, delivery_writes, _ = calls.take_all()
    assert len({r["id"] for r in receiver.received}) >= events
    if not report:
        return
    writes = worker_writes + delivery_writes
    label = "one event" if events == 1 else f"{events} events at once, per event"
    print(f"  {label}:")
    print(f"    DynamoDB writes per delivered event:  {show(writes, events)}")
    print(f"    event worker AWS calls:               {show(without_poller(worker), events)}")
    print(f"    delivery worker AWS calls:            {show(without_poller(delivery), events)}")
    poller = (worker - without_poller(worker)) + (delivery - without_poller(delivery))
    print(f"    + queue polling (event source mapping): {show(poller, events)}")


class Sink(WebhookReceiver):
    """A loopback receiver that answers 204 to every POST (no verification)."""

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        return 204


def fan_out(runtime: LocalLambdaRuntime, calls: Calls, receiver: Sink) -> None:
    """(b): one event to N subscriptions of one tenant."""
    c = bootstrap.container()
    for n in FAN_OUT:
        tenant = f"fan{n}"
        for _ in range(n):
            c.subscription_service.create(bench_owner(tenant_id=tenant), receiver.url)
        c.events.publish(event(tenant, n))
        calls.take()
        drain(runtime, resources.EVENT_QUEUE)
        worker = without_poller(calls.take())
        drain(runtime, resources.WEBHOOK_DELIVERIES)
        delivery = without_poller(calls.take())
        print(f"  N = {n:3d}: event worker {sum(worker.values()):3d} AWS calls "
              f"({', '.join(f'{k} {v}' for k, v in sorted(worker.items()))}); "
              f"{math.ceil(n / 10)} batch(es) of 10 first attempts; "
              f"then the delivery worker {sum(delivery.values()) / n:g} calls per delivery")


def backlog(runtime: LocalLambdaRuntime, receiver: WebhookReceiver, count: int) -> None:
    """(c): ``count`` events fanned out and tried once while the receiver answers 500, then
    the receiver recovers and the runtime's pollers drain the retries."""
    c = bootstrap.container()
    subscription = c.subscription_service.create(bench_owner(tenant_id="backlog"), receiver.url)
    receiver.secret = subscription.secret
    receiver.received.clear()
    receiver.replies[:] = [500] * (count * 20)
    published = [event("backlog", n) for n in range(count)]
    for e in published:
        c.events.publish(e)
    drain(runtime, resources.EVENT_QUEUE)
    tried: set[str] = set()
    while len(tried) < count:  # every first attempt fails (and schedules its retry)
        if not drain(runtime, resources.WEBHOOK_DELIVERIES, max_records=10):
            time.sleep(0.1)
        tried = set(receiver.attempt_ids)
    failed_attempts = receiver.attempts
    receiver.replies.clear()
    recovered = time.perf_counter()
    runtime.start()
    try:
        wait_until(lambda: len({r["id"] for r in receiver.received}) >= count,
                   DRAIN_TIMEOUT_S, "every event to be delivered", interval=0.05)
        drained_s = time.perf_counter() - recovered
        wait_until(lambda: queue_empty(resources.WEBHOOK_DELIVERIES), 60,
                   "the deliveries queue to empty", interval=0.2)
    finally:
        runtime.stop(grace_s=10)
    per_id = collections.Counter(r["id"] for r in receiver.received)
    statuses = collections.Counter()
    cursor = None
    while True:
        page = c.deliveries.list("backlog", subscription.id, 100, cursor)
        statuses.update(d.status.value for d in page.items)
        if not (cursor := page.next_cursor):
            break

    table = aws.dynamodb().Table(resources.EVENTS.physical_name(c.settings.prefix))
    started = time.perf_counter()
    for i in range(count):
        table.put_item(Item={"pk": "floor", "sk": f"F#{i}", "v": i})
    floor_s = time.perf_counter() - started

    print(f"  retry schedule shortened to {RETRY_SCHEDULE} s (WAGATE_WEBHOOK_RETRY_SCHEDULE), "
          f"so the drain is not waiting on real delays")
    print(f"  outage: {count} events published and fanned out, {failed_attempts} attempts "
          f"answered 500")
    print(f"  after recovery: every event delivered in {drained_s:.1f} s "
          f"→ {count / drained_s:.1f} deliveries/s (one poller per queue, as make run)")
    print(f"  exactly once per webhook-id: {sorted(collections.Counter(per_id.values()).items())}"
          f" (times 2xx'd: number of ids); delivery log: {dict(statuses)}")
    print(f"  floor, bare PutItem on the same moto: {count / floor_s:.1f} /s "
          f"→ ratio {floor_s / drained_s:.3f}")
    assert set(per_id) == {e.id for e in published} and set(per_id.values()) == {1}
    assert statuses == {DeliveryStatus.SUCCEEDED.value: count}


def queue_empty(queue: resources.Queue) -> bool:
    url = queue_url(queue.physical_name(bootstrap.container().settings.prefix))
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    return all(value == "0" for value in attributes.values())


def main() -> None:
    serialize_in_process_moto()
    for name in ("wagate", "chalicelib"):  # one line per record and per failed attempt
        logging.getLogger(name).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlog", type=int, default=1000)
    args = parser.parse_args()
    with mock_aws():
        calls = Calls(os.environ["WAGATE_PREFIX"])
        calls.install()
        c = bootstrap.container()
        provision(aws.client("dynamodb"), aws.client("sqs"), c.settings.prefix,
                  aws.client("s3"), aws.client("scheduler"))
        runtime = LocalLambdaRuntime(app, aws.client("sqs"), "us-east-1")
        receiver = WebhookReceiver()
        try:
            subscription = c.subscription_service.create(bench_owner(tenant_id="writes"),
                                                         receiver.url)
            receiver.secret = subscription.secret
            writes_per_event(runtime, calls, receiver, 1, report=False)  # fills caches
            receiver.received.clear()
            print("(a) one subscription, the receiver answers 2xx the first time")
            writes_per_event(runtime, calls, receiver, 1)
            receiver.received.clear()
            writes_per_event(runtime, calls, receiver, 100)
            print("(b) fan one event out to N subscriptions (event worker, warm)")
            with Sink() as sink:  # N secrets: a receiver that 2xx's without verifying
                fan_out(runtime, calls, sink)
            print(f"(c) {args.backlog} backlogged events drain after the receiver comes back")
            backlog(runtime, receiver, args.backlog)
        finally:
            receiver.close()


if __name__ == "__main__":
    main()
