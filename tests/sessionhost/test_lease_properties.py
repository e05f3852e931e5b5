"""Property test of leases: random claims, renewals, crashes, releases, clock skew and time
passing never give two hosts the right to write, and never accept a stale fencing token."""

from __future__ import annotations

import os

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from moto import mock_aws

from chalicelib import bootstrap
from chalicelib.adapters import aws
from chalicelib.adapters.provision import provision
from chalicelib.domain.errors import StaleFence
from chalicelib.domain.sessions import Session, SessionStatus

HOSTS = ("h1", "h2", "h3")
TTL_MS = 1_000
MAX_SKEW_MS = 300  # hosts' clocks disagree by up to this much
TENANT, SESSION = "t1", "s1"


class LeaseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._mock = mock_aws()
        self._mock.start()
        bootstrap.reset()
        c = bootstrap.container()
        provision(aws.client("dynamodb"), aws.client("sqs"), c.settings.prefix)
        self.repo = c.sessions
        self.repo.create(Session(id=SESSION, tenant_id=TENANT, name="s", engine="sandbox",
                                 status=SessionStatus.STARTING, created_at="x", updated_at="x"))
        self.now = 1_000_000  # true time, ms
        self.skew = dict.fromkeys(HOSTS, 0)
        self.held: dict[str, int] = {}  # host -> fence it believes it holds
        self.tokens: dict[str, list[int]] = {h: [] for h in HOSTS}  # every fence each ever held
        self.highest_fence = 0
        self.accepted: list[tuple[str, int]] = []  # (host, fence) of every accepted write

    def teardown(self) -> None:
        self._mock.stop()
        bootstrap.reset()

    def _clock(self, host: str) -> int:
        return self.now + self.skew[host]

    @rule(host=st.sampled_from(HOSTS))
    def claim(self, host: str) -> None:
        before = self.repo.get(TENANT, SESSION)
        fence = self.repo.claim(TENANT, SESSION, host, TTL_MS, self._clock(host))
        if fence is not None:
            assert before.owner in (None, host) or before.lease_until_ms < self._clock(host), \
                "a live lease was taken over: two owners"
            assert fence > self.highest_fence, "every takeover gets a larger fencing token"
            self.highest_fence = fence
            self.held[host] = fence  # the others may still believe they hold it
            self.tokens[host].append(fence)

    @rule(host=st.sampled_from(HOSTS))
    def renew(self, host: str) -> None:
        if host in self.held and not self.repo.renew(TENANT, SESSION, host, self.held[host],
                                                     TTL_MS, self._clock(host)):
            self.held.pop(host)  # it lost the lease: it must let go

    @rule(host=st.sampled_from(HOSTS), data=st.data())
    def write(self, host: str, data: st.DataObject) -> None:
        """A host writes with a token: the one it holds, one of an earlier lease of its (a
        late write from before a crash), or a made-up one."""
        token = data.draw(st.sampled_from([*self.tokens[host], 0, self.highest_fence + 1]))
        try:
            self.repo.host_update(TENANT, SESSION, host, token, status="WORKING")
        except StaleFence:
            return
        self.accepted.append((host, token))
        assert token == self.highest_fence, "a write with a stale token was accepted"
        assert self.repo.get(TENANT, SESSION).owner == host, "a non-owner wrote"

    @rule(host=st.sampled_from(HOSTS))
    def crash(self, host: str) -> None:
        self.held.pop(host, None)  # forgets everything; its lease lapses on its own

    @precondition(lambda self: bool(self.held))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        host = data.draw(st.sampled_from(sorted(self.held)))
        self.repo.release(TENANT, SESSION, host, self.held.pop(host))

    @rule(ms=st.integers(min_value=0, max_value=2 * TTL_MS))
    def time_passes(self, ms: int) -> None:
        self.now += ms

    @rule(host=st.sampled_from(HOSTS), skew=st.integers(-MAX_SKEW_MS, MAX_SKEW_MS))
    def clock_drifts(self, host: str, skew: int) -> None:
        self.skew[host] = skew

    @invariant()
    def at_most_one_owner(self) -> None:
        session = self.repo.get(TENANT, SESSION)
        writers = [h for h, f in self.held.items() if f == session.fence and h == session.owner]
        assert len(writers) <= 1
        assert session.fence == self.highest_fence

    @invariant()
    def accepted_writes_came_from_the_owner_of_their_time(self) -> None:
        fences = [f for _, f in self.accepted]
        assert fences == sorted(fences), "an older token wrote after a newer one"


os.environ.setdefault("WAGATE_PREFIX", "wagate-test")
TestLeases = LeaseMachine.TestCase
TestLeases.settings = settings(max_examples=40, stateful_step_count=25, deadline=None,
                               suppress_health_check=[HealthCheck.too_slow])
