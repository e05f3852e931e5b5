"""The gateway's declared AWS resources in a fresh moto mock, fast.

``provision`` (what ``make run`` does) makes about fifty API calls, the largest part of a
test's setup. The first test of a pytest worker provisions through the API; the tables and
queues it made are kept, and every later test gets fresh copies of them (empty, as
provisioned), then the bucket and schedule groups through the API (a few calls, and S3
keeps bucket names outside its backend)."""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.sqs.models import Queue, sqs_backends

from chalicelib import bootstrap
from chalicelib.adapters import aws as aws_clients
from chalicelib.adapters.provision import provision, provision_buckets, provision_schedule_groups

# (region, prefix) -> the tables and queues the first provision made there
_kept: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Queue]]] = {}


def provision_fresh(region: str) -> None:
    dynamodb = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
    sqs = sqs_backends[DEFAULT_ACCOUNT_ID][region]
    prefix = bootstrap.container().settings.prefix
    kept = _kept.get((region, prefix))
    if kept is not None:
        dynamodb.tables = copy.deepcopy(kept[0])
        sqs.queues = _fresh_queues(kept[1])
        provision_buckets(aws_clients.client("s3"), prefix)
        provision_schedule_groups(aws_clients.client("scheduler"), prefix)
        return
    provision(aws_clients.client("dynamodb"), aws_clients.client("sqs"), prefix,
              aws_clients.client("s3"), aws_clients.client("scheduler"))
    _kept[region, prefix] = copy.deepcopy(dynamodb.tables), _fresh_queues(sqs.queues)


def _fresh_queues(queues: dict[str, Queue]) -> dict[str, Queue]:
    """Empty copies of ``queues``, each dead-letter queue pointing at its copy."""
    clones: dict[str, Queue] = {}
    for name, queue in queues.items():
        clone = copy.copy(queue)
        clone._messages = []
        clone._pending_messages = set()
        clone.deleted_messages = set()
        clone._messages_lock = threading.Condition()
        clone.tags = dict(queue.tags)
        clone.permissions = copy.deepcopy(queue.permissions)
        clone.lambda_event_source_mappings = {}
        clone.redrive_policy = copy.deepcopy(queue.redrive_policy)
        clones[name] = clone
    for clone in clones.values():
        if clone.dead_letter_queue is not None:
            clone.dead_letter_queue = clones[clone.dead_letter_queue.name]
    return clones
