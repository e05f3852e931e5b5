"""Dead letters for platform administrators: counted per queue, looked at without being
taken, and sent back onto their queue (none lost, none twice)."""

from __future__ import annotations

import json

from chalicelib import resources
from chalicelib.adapters import aws as aws_clients
from tests.conftest import Tenant, assert_error, call, queue_url, receive


def bury(queue: resources.Queue, *bodies: dict) -> None:
    """Records as if the queue's worker had given up on them."""
    sqs = aws_clients.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=queue_url(queue, dlq=True), MessageBody=json.dumps(body))


def counts(listing) -> dict[str, int]:
    return {q["queue"]: q["dead_letters"] for q in listing.json["queues"]}


def test_every_queue_is_counted(client, admin_token):
    bury(resources.EVENT_QUEUE, {"n": 1}, {"n": 2})
    listing = call(client, "GET", "/v1/admin/dead-letters", admin_token)
    assert listing.status_code == 200, listing.body
    assert counts(listing) == {q.key: 2 if q is resources.EVENT_QUEUE else 0
                               for q in resources.QUEUES}
    assert listing.json["items"] == []


def test_a_queues_dead_letters_are_shown_and_stay(client, admin_token):
    bury(resources.OUTBOUND, *({"n": n} for n in range(12)))
    bury(resources.EVENT_QUEUE, {"other": True})
    first = call(client, "GET", "/v1/admin/dead-letters?queue=outbound&limit=50", admin_token)
    assert first.status_code == 200, first.body
    assert counts(first) == {"outbound": 12}
    assert sorted(json.loads(d["body"])["n"] for d in first.json["items"]) == list(range(12))
    letter = first.json["items"][0]
    assert letter["sent_at"].endswith("Z") and letter["truncated"] is False
    again = call(client, "GET", "/v1/admin/dead-letters?queue=outbound&limit=5", admin_token)
    assert len(again.json["items"]) == 5
    assert counts(call(client, "GET", "/v1/admin/dead-letters?queue=outbound",
                       admin_token)) == {"outbound": 12}


def test_redrive_moves_them_back_onto_their_queue_once(client, admin_token):
    bodies = [{"n": n} for n in range(23)]
    bury(resources.WEBHOOK_DELIVERIES, *bodies)
    partial = call(client, "POST", "/v1/admin/dead-letters/webhook-deliveries/redrive",
                   admin_token, {"limit": 15})
    assert partial.status_code == 200, partial.body
    assert partial.json == {"queue": "webhook-deliveries", "moved": 15, "dead_letters": 8}
    rest = call(client, "POST", "/v1/admin/dead-letters/webhook-deliveries/redrive",
                admin_token, {})
    assert rest.json == {"queue": "webhook-deliveries", "moved": 8, "dead_letters": 0}
    moved = []
    while batch := receive(resources.WEBHOOK_DELIVERIES):
        moved += batch
        sqs = aws_clients.client("sqs")
        for record in batch:
            sqs.delete_message(QueueUrl=queue_url(resources.WEBHOOK_DELIVERIES),
                               ReceiptHandle=record["ReceiptHandle"])
    assert sorted(json.loads(r["Body"])["n"] for r in moved) == list(range(23))


def test_only_a_platform_admin_sees_or_moves_dead_letters(client, acme: Tenant):
    bury(resources.OUTBOUND, {"n": 1})
    key = acme.api_key(["sessions:read"])
    for credential in (acme.token, key):
        assert_error(call(client, "GET", "/v1/admin/dead-letters?queue=outbound", credential),
                     403)
        assert_error(call(client, "POST", "/v1/admin/dead-letters/outbound/redrive",
                          credential, {}), 403)
    assert len(receive(resources.OUTBOUND)) == 0


def test_unknown_queues_and_bad_limits_are_refused(client, admin_token):
    assert_error(call(client, "GET", "/v1/admin/dead-letters?queue=nope", admin_token), 404,
                 "queue_not_found")
    assert_error(call(client, "POST", "/v1/admin/dead-letters/nope/redrive", admin_token, {}),
                 404, "queue_not_found")
    for limit in (0, 1001, "many"):
        assert_error(call(client, "POST", "/v1/admin/dead-letters/outbound/redrive",
                          admin_token, {"limit": limit}), 422)
    assert_error(call(client, "GET", "/v1/admin/dead-letters?queue=outbound&limit=0",
                      admin_token), 422)
