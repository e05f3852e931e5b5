"""What a takeover costs on the state volume with fenced auth state.

    .venv/bin/python bench/fenced_state.py [--size-mb 1 4 16] [--repeats 7] [--dir PATH]

Builds a neonize-like auth database (whatsmeow's tables: device, identity keys, pre-keys,
Signal sessions, sender keys, app-state keys and MACs, contacts) of about the given sizes and
a sandbox JSON file, then prints, per size, the median of the repeats:
- take: raise the FENCE marker and seed a new fence directory from the previous one (sqlite3
  backup for the database, plain copy for the rest, renamed into place): ms and bytes copied;
- the same while a stale host commits to the source database every 2 ms;
- a plain file copy of the database (the floor the backup is compared with);
and, once: raising the marker, the heartbeat's marker check, and pruning (settle).
``--dir`` runs it on another file system (e.g. an EFS mount); the default is a temp dir.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.sessionhost import fenced_state
from chalicelib.sessionhost.fenced_state import Slot

SCHEMA = """
CREATE TABLE whatsmeow_device (jid TEXT PRIMARY KEY, registration_id INTEGER, noise_key BLOB,
    identity_key BLOB, signed_pre_key BLOB, adv_account_sig BLOB, push_name TEXT);
CREATE TABLE whatsmeow_identity_keys (our_jid TEXT, their_id TEXT, identity BLOB,
    PRIMARY KEY (our_jid, their_id));
CREATE TABLE whatsmeow_pre_keys (jid TEXT, key_id INTEGER, key BLOB, uploaded INTEGER,
    PRIMARY KEY (jid, key_id));
CREATE TABLE whatsmeow_sessions (our_jid TEXT, their_id TEXT, session BLOB,
    PRIMARY KEY (our_jid, their_id));
CREATE TABLE whatsmeow_sender_keys (our_jid TEXT, chat_id TEXT, sender_id TEXT,
    sender_key BLOB, PRIMARY KEY (our_jid, chat_id, sender_id));
CREATE TABLE whatsmeow_app_state_sync_keys (jid TEXT, key_id BLOB, key_data BLOB,
    timestamp INTEGER, fingerprint BLOB, PRIMARY KEY (jid, key_id));
CREATE TABLE whatsmeow_app_state_mutation_macs (jid TEXT, name TEXT, version INTEGER,
    index_mac BLOB, value_mac BLOB, PRIMARY KEY (jid, name, version, index_mac));
CREATE TABLE whatsmeow_contacts (our_jid TEXT, their_jid TEXT, first_name TEXT,
    full_name TEXT, push_name TEXT, PRIMARY KEY (our_jid, their_jid));
"""
ME = "14155550100@s.whatsapp.net"


def build_database(path: Path, size_mb: float) -> None:
    """A whatsmeow-shaped store: 812 pre-keys, then contacts with their identity key and a
    Signal session (~1.5 KB each), sender keys and app-state MACs until ``size_mb``."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    rnd = os.urandom
    db.execute("INSERT INTO whatsmeow_device VALUES (?, 1, ?, ?, ?, ?, 'Shop')",
               (ME, rnd(32), rnd(32), rnd(100), rnd(200)))
    db.executemany("INSERT INTO whatsmeow_pre_keys VALUES (?, ?, ?, 1)",
                   ((ME, i, rnd(32)) for i in range(812)))
    db.executemany("INSERT INTO whatsmeow_app_state_sync_keys VALUES (?, ?, ?, 0, ?)",
                   ((ME, rnd(6), rnd(160), rnd(20)) for _ in range(40)))
    contact = 0
    while path.stat().st_size < size_mb * 1_000_000:
        rows = range(contact, contact + 200)
        db.executemany("INSERT INTO whatsmeow_identity_keys VALUES (?, ?, ?)",
                       ((ME, f"{n}:0@s.whatsapp.net", rnd(32)) for n in rows))
        db.executemany("INSERT INTO whatsmeow_sessions VALUES (?, ?, ?)",
                       ((ME, f"{n}.0", rnd(1500)) for n in rows))
        db.executemany("INSERT INTO whatsmeow_contacts VALUES (?, ?, 'A', 'A B', 'ab')",
                       ((ME, f"{n}@s.whatsapp.net") for n in rows))
        db.executemany("INSERT INTO whatsmeow_sender_keys VALUES (?, ?, ?, ?)",
                       ((ME, f"{n}@g.us", f"{n}.0", rnd(300)) for n in rows[:20]))
        db.executemany("INSERT INTO whatsmeow_app_state_mutation_macs VALUES "
                       "(?, 'regular', ?, ?, ?)", ((ME, n, rnd(32), rnd(32)) for n in rows))
        db.commit()
        contact += 200
    db.close()


class StaleWriter(threading.Thread):
    """A stale host's engine: a Signal session updated every 2 ms."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.stop, self.commits = path, threading.Event(), 0

    def run(self) -> None:
        db = sqlite3.connect(self.path, timeout=30)
        while not self.stop.wait(0.002):
            with db:
                db.execute("UPDATE whatsmeow_sessions SET session = ? WHERE their_id = ?",
                           (os.urandom(1500), f"{self.commits % 200}.0"))
            self.commits += 1
        db.close()


def median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_size(root: Path, size_mb: float, repeats: int) -> None:
    session_dir = root / f"size-{size_mb}" / "s"
    source = Slot(session_dir, 0, 1)
    fenced_state.take(source)
    build_database(source.auth_dir / "neonize.sqlite3", size_mb)
    (source.auth_dir / "sandbox-auth.json").write_text('{"phone": "+14155550100"}')
    db_bytes = (source.auth_dir / "neonize.sqlite3").stat().st_size
    fence = iter(range(2, 10_000))
    copied: list[int] = []

    def take() -> None:
        slot = Slot(session_dir, 0, next(fence))
        copied.append(fenced_state.take(slot))
        shutil.rmtree(slot.auth_dir)  # the next take seeds from the same source again

    quiet = median_ms(take, repeats)
    writer = StaleWriter(source.auth_dir / "neonize.sqlite3")
    writer.start()
    try:
        busy = median_ms(take, repeats)
    finally:
        writer.stop.set()
        writer.join(30)
    plain = median_ms(lambda: shutil.copyfile(source.auth_dir / "neonize.sqlite3",
                                              root / "plain.sqlite3"), repeats)
    print(f"{db_bytes / 1e6:6.2f} MB database: take {quiet:7.1f} ms, "
          f"{statistics.median(copied) / 1e6:.2f} MB copied; while a stale host writes "
          f"{busy:7.1f} ms ({writer.commits} commits meanwhile); plain copy {plain:6.1f} ms")


def bench_marker(root: Path, repeats: int) -> None:
    session_dir = root / "marker" / "s"
    fences = iter(range(1, 100_000))
    n = max(repeats * 100, 500)
    raise_ms = median_ms(lambda: fenced_state.raise_marker(session_dir, next(fences)), n)
    slot = Slot(session_dir, 0, 1)
    check_ms = median_ms(lambda: fenced_state.superseded(slot), n)
    held = Slot(session_dir, 0, next(fences))
    fenced_state.take(held)
    settle_ms = median_ms(lambda: fenced_state.settle(held), repeats)
    print(f"marker: raise {raise_ms * 1000:.0f} us, heartbeat check {check_ms * 1000:.0f} us "
          f"per session; settle {settle_ms:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fenced-state-", dir=args.dir))
    try:
        print(f"state volume: {root} ({args.repeats} repeats, medians)")
        for size in args.size_mb:
            bench_size(root, size, args.repeats)
        bench_marker(root, args.repeats)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
