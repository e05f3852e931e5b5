"""Campaigns: AWS calls to create and start a 10,000-recipient campaign through the upload path,
and to release it (the campaign ticks), by API and per released recipient.

    .venv/bin/python bench/campaigns.py

In-process on moto, the services called as the API routes and the tick worker call them:
- create: ``uploads.create`` (``POST /v1/campaigns/uploads``), the client's PUT of the CSV
  (straight to S3 through the presigned URL: not the gateway's, not counted),
  ``campaign_service.create`` with the ``upload_id``, then ``act(..., "start")`` (reads the
  CSV, stores the recipients); the issue's aim is at most 500 calls for create and start;
- release: ``campaign_service.tick`` with the campaign's tick id, interval 0-0 so every slot
  is due at once, until all recipients are released (MAX_SLOTS a tick). The send worker is
  not run: its calls are the send path's (bench/send_path.py). The bulk queue is emptied
  between ticks, uncounted (moto's SQS slows quadratically with the records it holds).
"""

from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update(BENCH_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws

from bench._support import owner_world, queue_url, show
from chalicelib import resources
from chalicelib.adapters import aws
from chalicelib.domain.campaigns import MAX_SLOTS, Interval
from chalicelib.domain.sessions import not_ready
from chalicelib.services.campaigns import NewCampaign
from chalicelib.services.messaging import Draft

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "10000"))
MAX_TICKS = RECIPIENTS // MAX_SLOTS + 10



def csv(count: int) -> bytes:
    rows = [f"+1415555{i:04d},Name {i}" for i in range(count)]
    return ("phone,name\n" + "\n".join(rows) + "\n").encode()


def empty(url: str) -> None:
    """Receive and delete the records of the queue at ``url`` (one tick's at most)."""
    sqs = aws.client("sqs")
    for _ in range(MAX_SLOTS // 10 + 10):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages")
        if not messages:
            return
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(messages)])


def main() -> None:
    with mock_aws():
        world = owner_world("campaigns:write")
        calls, c, owner, session = world.calls, world.container, world.owner, world.session
        assert not_ready(session) is None
        calls.take()

        upload = c.uploads.create(owner)
        upload_calls = calls.take()
        c.upload_store._s3.put_object(  # the client's PUT through the presigned URL
            Bucket=c.upload_store.bucket, Key=f"uploads/bench/{upload.upload.id}.csv",
            Body=csv(RECIPIENTS), ContentType="text/csv")
        calls.take()
        campaign = c.campaign_service.create(owner, NewCampaign(
            name="bench", session_ids=[session.id], upload_id=upload.upload.id,
            message=Draft(session_id="", to="", type="text", body={"text": "Hi {{name}}"}),
            interval=Interval(min_s=0, max_s=0)))
        create_calls = calls.take()
        started = c.campaign_service.act(owner, campaign.id, "start")
        start_calls = calls.take()
        total = upload_calls + create_calls + start_calls
        print(f"AWS calls to create and start a {RECIPIENTS:,}-recipient campaign "
              f"(upload path; {started.total:,} recipients stored):")
        print(f"  POST /v1/campaigns/uploads: {show(upload_calls)}")
        print(f"  create with upload_id:      {show(create_calls)}")
        print(f"  start (reads the CSV):      {show(start_calls)}")
        print(f"  total: {sum(total.values())} (aim: at most 500)")

        bulk = queue_url(resources.OUTBOUND_BULK.physical_name(c.settings.prefix))
        calls.take()
        released_calls: collections.Counter[str] = collections.Counter()
        ticks = 0
        print(f"AWS calls per tick (interval 0-0, at most {MAX_SLOTS} released a tick; the "
              "send worker not run):")
        current = started
        while current.released < current.total and ticks < MAX_TICKS:
            before = current.released
            c.campaign_service.tick("bench", current.id, current.tick_id)
            tick_calls = calls.take()
            current = c.campaigns.get("bench", current.id)
            assert current is not None
            empty(bulk)
            calls.take()
            released_calls += tick_calls
            ticks += 1
            if ticks <= 2 or current.released == current.total:
                print(f"  tick {ticks:>2}: released {current.released - before:>3}, "
                      f"{show(tick_calls)}")
            elif ticks == 3:
                print("  …")
        per = sum(released_calls.values()) / max(1, current.released)
        print(f"  {ticks} ticks released {current.released:,}: "
              f"{show(released_calls)}")
        print(f"  per released recipient: {per:.3f} calls")


if __name__ == "__main__":
    main()
