"""Keyword bots: AWS calls the event worker's ``bots`` consumer makes per inbound message, with
N bots stored (N = 0, 1, 10, 50), when no bot matches and when one reply bot matches.

    .venv/bin/python bench/bots.py

In-process on moto; the consumer is called with a ``message.received`` event as the event
worker calls it (the event store's once-per-consumer bookkeeping is the worker's, not counted
here). A reply is accepted and queued, not sent (the send worker's calls are the send path's).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._env import BENCH_ENV

os.environ.update(BENCH_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws

from bench._support import owner_world, show
from chalicelib.domain import clock, ids
from chalicelib.domain.events import message_received
from chalicelib.domain.messages import Direction, Message, MessageStatus

BOT_COUNTS = (0, 1, 10, 50)
SENDER = "4915112345678@s.whatsapp.net"


def inbound(session_id: str, text: str) -> Message:
    now = clock.now_iso()
    return Message(id=ids.new_id(), tenant_id="bench", session_id=session_id,
                   direction=Direction.INBOUND, chat=SENDER, text=text, sender=SENDER,
                   status=MessageStatus.RECEIVED, created_at=now, updated_at=now,
                   **{"from": SENDER})



def main() -> None:
    with mock_aws():
        world = owner_world("bots:write")
        calls, c, owner, session = world.calls, world.container, world.owner, world.session
        stored = 0
        # Warm, as a running worker is (queue URLs cached): one match of a bot deleted after.
        warm = c.bot_service.create(owner, {
            "name": "warm", "match": "exact", "keywords": ["warm"],
            "action": {"type": "reply", "draft": {"type": "text", "body": {"text": "hi"}}}})
        c.bot_service.on_message(message_received(inbound(session.id, "warm")))
        c.bot_service.delete(owner, warm.id)
        print("AWS calls of the bots consumer per inbound message (N bots stored, warm):")
        for n in BOT_COUNTS:
            while stored < n:
                c.bot_service.create(owner, {
                    "name": f"b{stored}", "match": "exact", "keywords": [f"kw{stored}"],
                    "action": {"type": "reply", "draft": {"type": "text",
                                                          "body": {"text": "hi {{name}}"}}}})
                stored += 1
            calls.take()
            c.bot_service.on_message(message_received(inbound(session.id, "nothing")))
            no_match = calls.take()
            line = f"  N={n:>2}: no match {show(no_match)}"
            if n:
                c.bot_service.on_message(message_received(inbound(session.id, "kw0")))
                line += f"; one reply bot matches {show(calls.take())}"
            print(line)


if __name__ == "__main__":
    main()
