"""Auth state fenced on the shared volume: a takeover sees the holder's state, a stale host's
later writes land where nobody reads, a higher fence marker stops a stale host without
DynamoDB, seeds of a SQLite file being written are consistent, the marker never goes down."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.bootstrap import container
from chalicelib.domain.errors import SessionUnavailable
from chalicelib.domain.sessions import SessionStatus
from chalicelib.sessionhost import fenced_state
from chalicelib.sessionhost.engines.sandbox.core import AUTH_FILE
from chalicelib.sessionhost.fenced_state import Slot, Superseded
from tests.conftest import RunningHost, Tenant, start_host, wait_for


def _status(tenant: Tenant, sid: str) -> str:
    return tenant.call("GET", f"/v1/sessions/{sid}").json["status"]


def _working(tenant: Tenant) -> str:
    sid = tenant.call("POST", "/v1/sessions", {"name": "shop"}).json["id"]
    wait_for(lambda: _status(tenant, sid) == "SCAN_QR")
    tenant.call("POST", f"/v1/sandbox/sessions/{sid}/scan", {"phone": "+14155550100"})
    wait_for(lambda: _status(tenant, sid) == "WORKING")
    return sid


def _held_by(tenant: Tenant, sid: str, host: RunningHost) -> bool:
    return container().sessions.get(tenant.id, sid).owner == host.host.host_id \
        and _status(tenant, sid) == "WORKING"


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


class _Renews:
    """A host's view of DynamoDB that (wrongly) renews every lease: a host cut off from the
    truth, e.g. by a stale replica or a clock that says its lease still runs."""

    def __init__(self, sessions: Any) -> None:
        self._sessions = sessions

    def renew(self, *args: Any) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sessions, name)


@pytest.fixture
def two_hosts(aws: None, tmp_path: Path):
    a = start_host(tmp_path / "state", "host-a")
    b = start_host(tmp_path / "state", "host-b")
    yield a, b
    for h in (a, b):
        h.host.kill()
        h.stop()


def test_a_takeover_sees_the_holders_state_and_a_stale_host_writes_where_nobody_reads(
        acme: Tenant, two_hosts, monkeypatch: pytest.MonkeyPatch):
    a, b = two_hosts
    b.host.draining = True  # the session goes to host-a first
    sid = _working(acme)
    b.host.draining = False
    key = (acme.id, sid)
    a_dir = a.host._running[key].ref.auth_dir
    assert json.loads((a_dir / AUTH_FILE).read_text()) == {"phone": "+14155550100"}
    # host-a is cut off: its lease runs out and it does not know.
    container().sessions.host_update(acme.id, sid, "host-a", 1, lease_until_ms=0)
    b.host.start_session(acme.id, sid)
    wait_for(lambda: _held_by(acme, sid, b))  # host-a's pairing carried over: no new QR
    b_dir = b.host._running[key].ref.auth_dir
    assert b_dir != a_dir
    before = _files(b_dir)
    assert json.loads(before[AUTH_FILE]) == {"phone": "+14155550100"}

    # host-a's engine goes on writing its auth state: host-b's files do not change.
    (a_dir / AUTH_FILE).write_text(json.dumps({"phone": "+14155559999"}))
    (a_dir / "pre-keys").write_bytes(b"stale")
    assert _files(b_dir) == before

    # host-a's next heartbeat reads the higher fence on the volume and lets the session go,
    # though its DynamoDB view would renew the lease.
    monkeypatch.setattr(a.host, "_sessions", _Renews(a.host._sessions))
    a.host.heartbeat()
    assert a.host.session_count == 0 and key not in a.engine._connections
    assert _held_by(acme, sid, b)


def test_a_phone_logout_after_a_takeover_needs_a_new_pairing(acme: Tenant, two_hosts):
    a, b = two_hosts
    b.host.draining = True
    sid = _working(acme)
    b.host.draining = False
    a.host.drain()
    b.host.adopt()
    wait_for(lambda: _held_by(acme, sid, b))
    b.host.heartbeat()  # established: host-a's fence stays as the previous one
    dropped = acme.call("POST", f"/v1/sandbox/sessions/{sid}/drop", {"logged_out": True})
    assert dropped.json["status"] == "STOPPED"
    acme.call("POST", f"/v1/sessions/{sid}/start", {})
    # Neither the unlinked fence's state nor the one before it comes back.
    wait_for(lambda: _status(acme, sid) == "SCAN_QR")


def test_restarts_reuse_the_newest_state_and_keep_two_fences_and_one_epoch(
        acme: Tenant, host: RunningHost, tmp_path: Path):
    sid = _working(acme)
    session_dir = tmp_path / "state" / acme.id / sid
    for _ in range(4):
        acme.call("POST", f"/v1/sessions/{sid}/restart", {})
        wait_for(lambda: _status(acme, sid) == "WORKING")  # from its auth state, no QR
        host.host.heartbeat()
    fence = container().sessions.get(acme.id, sid).fence
    assert fence == 5
    assert sorted(p.name for p in (session_dir / "epoch-0").iterdir()) == ["fence-4", "fence-5"]
    assert fenced_state.marker(session_dir) == 5

    acme.call("POST", f"/v1/sessions/{sid}/logout", {})
    acme.call("POST", f"/v1/sessions/{sid}/start", {})
    wait_for(lambda: _status(acme, sid) == "SCAN_QR")
    host.host.heartbeat()
    assert sorted(p.name for p in session_dir.iterdir() if p.is_dir()) == ["epoch-1"]
    assert [p.name for p in (session_dir / "epoch-1").iterdir()] == ["fence-6"]
    assert not any((session_dir / "epoch-1" / "fence-6").iterdir())


def test_a_host_that_cannot_write_the_state_volume_lets_the_session_go(acme: Tenant,
                                                                        tmp_path: Path):
    sid = acme.call("POST", "/v1/sessions", {"name": "shop", "start": False}).json["id"]
    container().sessions.set_desired(acme.id, sid, SessionStatus.STARTING, None, running=True)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / acme.id).write_text("not a directory")  # the volume refuses
    running = start_host(tmp_path / "state")
    try:
        with pytest.raises(SessionUnavailable) as refused:
            running.host.start_session(acme.id, sid)
        assert refused.value.code == "auth_state_unavailable"
        assert running.host.session_count == 0
        assert container().sessions.get(acme.id, sid).owner is None  # another host may try
    finally:
        running.host.kill()
        running.stop()


def test_a_host_superseded_before_it_seeds_takes_nothing(tmp_path: Path):
    late = Slot(tmp_path / "t" / "s", 0, 1)
    fenced_state.take(Slot(tmp_path / "t" / "s", 0, 2))
    with pytest.raises(Superseded):
        fenced_state.take(late)
    assert not late.auth_dir.exists()
    assert fenced_state.marker(late.session_dir) == 2


def test_the_layout_before_fencing_seeds_the_first_fence_then_goes(tmp_path: Path):
    epoch_dir = tmp_path / "t" / "s" / "epoch-0"
    epoch_dir.mkdir(parents=True)
    (epoch_dir / AUTH_FILE).write_text('{"phone": "+14155550100"}')
    with sqlite3.connect(epoch_dir / "neonize.sqlite3") as db:
        db.execute("CREATE TABLE device (jid TEXT)")
        db.execute("INSERT INTO device VALUES ('14155550100@s.whatsapp.net')")
    db.close()
    first = Slot(tmp_path / "t" / "s", 0, 7)
    fenced_state.take(first)
    with sqlite3.connect(first.auth_dir / "neonize.sqlite3") as copy:
        assert copy.execute("SELECT jid FROM device").fetchall() == [
            ("14155550100@s.whatsapp.net",)]
    copy.close()
    assert (first.auth_dir / AUTH_FILE).read_text() == '{"phone": "+14155550100"}'
    fenced_state.settle(first)  # still the only copy besides the old files: they stay
    assert (epoch_dir / AUTH_FILE).exists()
    second = Slot(tmp_path / "t" / "s", 0, 8)
    fenced_state.take(second)
    fenced_state.settle(second)
    assert sorted(p.name for p in epoch_dir.iterdir()) == ["fence-7", "fence-8"]


class _Writer(threading.Thread):
    """A stale host's engine: commits to its SQLite auth file every few milliseconds (a busy
    whatsmeow store); each transaction adds a key and counts it, so a consistent copy has
    ``counted == rows``."""

    def __init__(self, db: Path, journal: str) -> None:
        super().__init__(daemon=True)
        self.db, self.journal = db, journal
        self.committed = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None
        conn = sqlite3.connect(db)
        conn.execute(f"PRAGMA journal_mode={journal}")
        conn.executescript("CREATE TABLE keys (id INTEGER PRIMARY KEY, key BLOB);"
                           "CREATE TABLE meta (counted INTEGER); INSERT INTO meta VALUES (0);")
        conn.close()

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self.db, timeout=30)
            conn.execute("PRAGMA wal_autocheckpoint=0")  # WAL: the rows stay in the -wal file
            while not self.stop.wait(0.002):
                with conn:
                    conn.execute("INSERT INTO keys (key) VALUES (randomblob(2048))")
                    conn.execute("UPDATE meta SET counted = counted + 1")
                self.committed += 1
            conn.close()
        except BaseException as exc:  # handed to the test thread
            self.error = exc


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_a_seed_of_a_sqlite_file_being_written_is_a_consistent_database(tmp_path: Path,
                                                                         journal: str):
    session_dir = tmp_path / "t" / "s"
    stale = Slot(session_dir, 0, 1)
    fenced_state.take(stale)
    writer = _Writer(stale.auth_dir / "neonize.sqlite3", journal)
    writer.start()
    try:
        wait_for(lambda: writer.committed >= 20 or writer.error)
        for fence in range(2, 8):
            taker = Slot(session_dir, 0, fence)
            at_least = writer.committed
            fenced_state.take(taker)
            names = sorted(p.name for p in taker.auth_dir.iterdir())
            assert names == ["neonize.sqlite3"]  # no -wal/-journal beside the copy
            copy = sqlite3.connect(taker.auth_dir / "neonize.sqlite3")
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            counted = copy.execute("SELECT counted FROM meta").fetchone()[0]
            rows = copy.execute("SELECT count(*) FROM keys").fetchone()[0]
            copy.close()
            assert counted == rows >= at_least
            shutil.rmtree(taker.auth_dir)  # the next taker seeds from the written file again
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None


class FencedStateMachine(RuleBasedStateMachine):
    """Any interleaving of takeovers: hosts claim fences (as DynamoDB hands them out), take
    the state late or never, crash mid-seed, write, heartbeat and prune. The marker never goes
    down, at most one host goes on as holder, and the newest holder's state carries every
    write of a holder that was current and none of a stale one."""

    HOSTS = ("h1", "h2", "h3", "h4")

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp())
        self.session_dir = self.root / "t" / "s"
        self.next_fence = 1
        self.claimed: dict[str, int] = {}  # claimed, not yet taken on the volume
        self.holding: dict[str, int] = {}  # took it and has not seen a higher marker
        self.expected: dict[int, list[str]] = {}  # the lines each fence's directory holds
        self.taken = 0  # the highest fence taken
        self.seen_marker = 0
        self.writes = 0

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _slot(self, fence: int) -> Slot:
        return Slot(self.session_dir, 0, fence)

    @rule(host=st.sampled_from(HOSTS))
    def claim(self, host: str) -> None:
        self.claimed[host] = self.next_fence
        self.next_fence += 1

    @precondition(lambda self: self.claimed)
    @rule(data=st.data())
    def take(self, data: st.DataObject) -> None:
        host = data.draw(st.sampled_from(sorted(self.claimed)))
        fence = self.claimed.pop(host)
        lower = [f for f in self.expected if f < fence]
        try:
            fenced_state.take(self._slot(fence))
        except Superseded:
            assert self.taken > fence
            return
        assert fence > self.taken
        self.taken = fence
        self.expected[fence] = list(self.expected[max(lower)]) if lower else []
        self.holding[host] = fence

    @precondition(lambda self: self.claimed)
    @rule(data=st.data())
    def crash_mid_seed(self, data: st.DataObject) -> None:
        """A host dies while seeding: a half-copied seed and a half-written marker remain."""
        host = data.draw(st.sampled_from(sorted(self.claimed)))
        fence = self.claimed.pop(host)
        seed = self.session_dir / "epoch-0" / f"fence-{fence}.seed-dead"
        seed.mkdir(parents=True, exist_ok=True)
        (seed / "auth").write_text("half\n")
        (self.session_dir / "FENCE.dead.tmp").write_text(str(fence + 1000))

    @precondition(lambda self: self.holding)
    @rule(data=st.data())
    def write(self, data: st.DataObject) -> None:
        host = data.draw(st.sampled_from(sorted(self.holding)))
        fence = self.holding[host]
        stale = fence < self.taken
        self.writes += 1
        line = f"{'stale' if stale else 'ok'}-{fence}-{self.writes}"
        directory = self._slot(fence).auth_dir
        directory.mkdir(parents=True, exist_ok=True)  # a pruned one comes back, unread
        with open(directory / "auth", "a") as out:
            out.write(line + "\n")
        if fence in self.expected:
            self.expected[fence].append(line)

    @precondition(lambda self: self.holding)
    @rule(data=st.data())
    def heartbeat(self, data: st.DataObject) -> None:
        host = data.draw(st.sampled_from(sorted(self.holding)))
        fence = self.holding[host]
        if fenced_state.superseded(self._slot(fence)):
            assert fence < self.taken
            del self.holding[host]
        else:
            assert fence == self.taken
            fenced_state.settle(self._slot(fence))
            previous = max((f for f in self.expected if f < fence), default=None)
            self.expected = {f: v for f, v in self.expected.items()
                             if previous is None or f >= previous}

    @invariant()
    def the_marker_never_goes_down_and_is_the_highest_fence_taken(self) -> None:
        marker = fenced_state.marker(self.session_dir)
        assert marker >= self.seen_marker
        assert marker == self.taken
        self.seen_marker = marker

    @invariant()
    def one_holder_goes_on(self) -> None:
        current = [h for h, f in self.holding.items()
                   if not fenced_state.superseded(self._slot(f))]
        assert len(current) <= 1

    @invariant()
    def the_newest_state_has_what_current_holders_wrote_and_nothing_stale(self) -> None:
        if not self.taken:
            return
        auth = self._slot(self.taken).auth_dir / "auth"
        lines = auth.read_text().split() if auth.exists() else []
        assert lines == self.expected[self.taken]
        assert not [line for line in lines if line.startswith("stale")]


TestFencedState = FencedStateMachine.TestCase
TestFencedState.settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                                    suppress_health_check=[HealthCheck.too_slow])


def _raise_many(session_dir: str, fences: list[int]) -> None:
    for fence in fences:
        fenced_state.raise_marker(Path(session_dir), fence)


def test_concurrent_raises_from_processes_and_threads_never_lower_the_marker(tmp_path: Path):
    session_dir = tmp_path / "t" / "s"
    plans = [list(range(start, 400, 7)) + list(range(start, 40, 3)) for start in range(1, 7)]
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_raise_many, args=(str(session_dir), plan))
                 for plan in plans[:3]]
    threads = [threading.Thread(target=_raise_many, args=(str(session_dir), plan))
               for plan in plans[3:]]
    seen = [0]
    for worker in (*processes, *threads):
        worker.start()
    while any(w.is_alive() for w in (*processes, *threads)):
        seen.append(fenced_state.marker(session_dir))
    for p in processes:
        p.join(30)
        assert p.exitcode == 0
    for t in threads:
        t.join(30)
    seen.append(fenced_state.marker(session_dir))
    assert seen == sorted(seen)
    assert seen[-1] == max(max(plan) for plan in plans)
