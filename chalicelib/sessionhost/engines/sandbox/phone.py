"""The sandbox's play-the-phone operations: the live channel's ``sandbox.*`` operations,
performed by the fake network's phone side."""

from __future__ import annotations

from chalicelib.domain.jids import parse_jid
from chalicelib.domain.live.sandbox import (
    Change,
    Drop,
    Inbound,
    Link,
    Played,
    Pushback,
    Scan,
)
from chalicelib.sessionhost.engines.base import EngineSession
from chalicelib.sessionhost.engines.sandbox.core import SandboxCore


class PhonePlays(SandboxCore):
    def sandbox_scan(self, session: EngineSession, op: Scan) -> Played:
        return Played(phone=self.scan(session, op.phone))

    def sandbox_link(self, session: EngineSession, op: Link) -> Played:
        return Played(phone=self.link(session, op.code))

    def sandbox_inbound(self, session: EngineSession, op: Inbound) -> Played:
        return Played(engine_message_id=self.inbound(
            session, parse_jid(op.sender, "from"), op.text, op.push_name))

    def sandbox_change(self, session: EngineSession, op: Change) -> Played:
        self.change(session, parse_jid(op.sender, "from"), op.kind, op.engine_message_id,
                    op.text)
        return Played()

    def sandbox_drop(self, session: EngineSession, op: Drop) -> Played:
        self.drop(session, logged_out=op.logged_out, refuse_reconnects=op.refuse_reconnects)
        return Played()

    def sandbox_pushback(self, session: EngineSession, op: Pushback) -> Played:
        self.push_back(session, op.error, op.sends)
        return Played()
