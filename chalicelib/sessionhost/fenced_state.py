"""Session auth state on the shared file system (EFS), fenced by the lease's token.

Every lease holder works in a directory of its own fence, so a stale host (one that lost the
lease and does not know yet) writes where nobody reads again::

    <state>/<tenant>/<session>/FENCE                       highest fence taken (only raised)
    <state>/<tenant>/<session>/FENCE.lock                  serializes raising it
    <state>/<tenant>/<session>/epoch-<E>/fence-<N>/        auth files of the holder of fence N
    <state>/<tenant>/<session>/epoch-<E>/fence-<N>.seed-*  a seed being copied (never read)

Taking fence N raises ``FENCE`` to N and seeds ``fence-N`` from the newest lower fence
directory of the epoch (SQLite files through sqlite3's backup API, so a copy taken while a
stale host writes is a consistent database; other files as they are), copied under a temporary
name and renamed into place. A host that reads a ``FENCE`` above its own lets the session go
without asking DynamoDB. Engine-agnostic: engines only see ``auth_dir``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("wagate.host")

MARKER = "FENCE"
MARKER_LOCK = "FENCE.lock"
SQLITE_SUFFIXES = (".sqlite3", ".sqlite", ".db")
SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")  # a backup copy holds what they hold
LOCK_WAIT_S = 5.0  # raising the marker waits this long for another host's raise
BACKUP_WAIT_S = 15.0  # a SQLite copy waits this long for a writer's lock
_FENCE_DIR = re.compile(r"fence-(\d+)")
_SEED_DIR = re.compile(r"fence-(\d+)\.seed-[0-9a-f]+")
_EPOCH_DIR = re.compile(r"epoch-(\d+)")
_raising = threading.Lock()  # flock excludes other hosts; this, other threads of this one


class Superseded(Exception):
    """A higher fence took the session: this holder is stale."""


class StateUnavailable(Exception):
    """The state volume failed, or another host kept the marker or a database locked."""


@dataclass(frozen=True)
class Slot:
    """Where the holder of ``fence`` keeps a session's auth state in auth epoch ``epoch``."""

    session_dir: Path
    epoch: int
    fence: int

    @classmethod
    def of(cls, state_dir: Path, tenant_id: str, session_id: str, epoch: int,
           fence: int) -> Slot:
        return cls(state_dir / tenant_id / session_id, epoch, fence)

    @property
    def epoch_dir(self) -> Path:
        return self.session_dir / f"epoch-{self.epoch}"

    @property
    def auth_dir(self) -> Path:
        return self.epoch_dir / f"fence-{self.fence}"


def marker(session_dir: Path) -> int:
    """The highest fence any host took of the session (0: none yet, or unreadable)."""
    try:
        return int((session_dir / MARKER).read_text().strip() or 0)
    except FileNotFoundError:
        return 0
    except (OSError, ValueError) as exc:
        log.warning("fence marker of %s unreadable: %s", session_dir, exc)
        return 0


def superseded(slot: Slot) -> bool:
    return marker(slot.session_dir) > slot.fence


def raise_marker(session_dir: Path, fence: int) -> int:
    """Raise the marker to ``fence`` unless it is higher already; the marker after. Raises are
    serialized (an flock beside it, which NFSv4 and so EFS honour, and a thread lock) and
    written to a temporary file renamed over it, so readers never see it torn or lower."""
    session_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + LOCK_WAIT_S
    if not _raising.acquire(timeout=LOCK_WAIT_S):
        raise TimeoutError(f"fence marker of {session_dir} busy")
    try:
        fd = os.open(session_dir / MARKER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _flock(fd, deadline, session_dir)
            current = marker(session_dir)
            if current >= fence:
                return current
            temp = session_dir / f"{MARKER}.{secrets.token_hex(4)}.tmp"
            with open(temp, "w") as out:
                out.write(f"{fence}\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, session_dir / MARKER)
            return fence
        finally:
            os.close(fd)  # closing drops the flock
    finally:
        _raising.release()


def _flock(fd: int, deadline: float, session_dir: Path) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"fence marker of {session_dir} busy") from None
            time.sleep(0.01)


def take(slot: Slot) -> int:
    """Make ``slot`` this holder's: raise the marker (Superseded when a higher fence holds it)
    and seed its directory from the newest lower one; the bytes copied."""
    try:
        return _take(slot)
    except (OSError, sqlite3.Error) as exc:
        raise StateUnavailable(f"auth state of fence {slot.fence}: {exc}") from exc


def _take(slot: Slot) -> int:
    if raise_marker(slot.session_dir, slot.fence) > slot.fence:
        raise Superseded(f"{slot.session_dir} is held with a fence above {slot.fence}")
    if slot.auth_dir.is_dir():
        return 0
    slot.epoch_dir.mkdir(parents=True, exist_ok=True)
    temp = slot.epoch_dir / f"fence-{slot.fence}.seed-{secrets.token_hex(4)}"
    temp.mkdir()
    try:
        source = _newest_below(slot)
        copied = 0
        if source is not None:
            copied = _copy(source, temp, files_only=source == slot.epoch_dir)
        os.rename(temp, slot.auth_dir)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    log.info("auth state %s seeded from %s (%d bytes)", slot.auth_dir,
             source.name if source else "nothing", copied)
    return copied


def settle(slot: Slot) -> None:
    """Once the holder is established: remove what no holder reads again — fence directories
    below the previous one (kept as a fallback), abandoned seeds, the files of the layout before
    fencing once a fence directory replaced them, and older auth epochs."""
    if superseded(slot):
        return
    fences = _entries(slot.epoch_dir)
    previous = max((n for n in fences if n < slot.fence), default=None)
    for n, path in fences.items():
        if previous is not None and n < previous:
            shutil.rmtree(path, ignore_errors=True)
    _remove_seeds(slot)
    if previous is not None:
        _remove_loose_files(slot.epoch_dir)
    for entry in _listing(slot.session_dir):
        found = _EPOCH_DIR.fullmatch(entry.name)
        if found and int(found.group(1)) < slot.epoch:
            shutil.rmtree(entry, ignore_errors=True)


def forget(slot: Slot) -> None:
    """After a logout: leave this holder's directory empty, the newest of the epoch, so the next
    holder starts unlinked, and remove every older one. A stale holder touches nothing."""
    if superseded(slot):
        return
    shutil.rmtree(slot.auth_dir, ignore_errors=True)
    slot.auth_dir.mkdir(parents=True, exist_ok=True)
    for n, path in _entries(slot.epoch_dir).items():
        if n < slot.fence:
            shutil.rmtree(path, ignore_errors=True)
    _remove_seeds(slot)
    _remove_loose_files(slot.epoch_dir)


def _listing(directory: Path) -> list[Path]:
    try:
        return list(directory.iterdir())
    except FileNotFoundError:
        return []


def _entries(epoch_dir: Path) -> dict[int, Path]:
    """The complete fence directories of an epoch, by fence."""
    found = {}
    for entry in _listing(epoch_dir):
        match = _FENCE_DIR.fullmatch(entry.name)
        if match and entry.is_dir():
            found[int(match.group(1))] = entry
    return found


def _newest_below(slot: Slot) -> Path | None:
    """The directory to seed from: the newest lower fence's, else the epoch directory itself
    when it holds files of the layout before fencing, else None (a new session)."""
    lower = [n for n in _entries(slot.epoch_dir) if n < slot.fence]
    if lower:
        return slot.epoch_dir / f"fence-{max(lower)}"
    if any(entry.is_file() for entry in _listing(slot.epoch_dir)):
        return slot.epoch_dir
    return None


def _remove_seeds(slot: Slot) -> None:
    """Seeds abandoned by a crash, up to this fence (a higher fence's may be in progress)."""
    for entry in _listing(slot.epoch_dir):
        match = _SEED_DIR.fullmatch(entry.name)
        if match and int(match.group(1)) <= slot.fence:
            shutil.rmtree(entry, ignore_errors=True)


def _remove_loose_files(epoch_dir: Path) -> None:
    for entry in _listing(epoch_dir):
        if entry.is_file():
            entry.unlink(missing_ok=True)


def _copy(source: Path, target: Path, files_only: bool = False) -> int:
    """Copy ``source`` into the existing ``target``; the bytes written."""
    copied = 0
    for entry in sorted(_listing(source)):
        destination = target / entry.name
        if entry.is_dir() and not files_only:
            destination.mkdir()
            copied += _copy(entry, destination)
        elif not entry.is_file() or _is_sidecar(entry):
            continue
        elif _is_sqlite(entry):
            copied += _backup(entry, destination)
        else:
            shutil.copyfile(entry, destination)
            _fsync(destination)
            copied += destination.stat().st_size
    return copied


def _is_sqlite(entry: Path) -> bool:
    if entry.suffix not in SQLITE_SUFFIXES:
        return False
    with open(entry, "rb") as head:
        return head.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _is_sidecar(entry: Path) -> bool:
    return any(entry.name.endswith(suffix + side) for suffix in SQLITE_SUFFIXES
               for side in SQLITE_SIDECARS)


def _backup(source: Path, destination: Path) -> int:
    """A consistent copy of a SQLite database that another process may be writing: sqlite3's
    online backup in one step, inside a read transaction (which SQLite's busy handler waits
    for while a writer commits, at most BACKUP_WAIT_S)."""
    deadline = time.monotonic() + BACKUP_WAIT_S

    def bounded(status: int, remaining: int, total: int) -> None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{source} stayed locked for {BACKUP_WAIT_S:.0f} s")

    src = sqlite3.connect(source, timeout=BACKUP_WAIT_S, isolation_level=None)
    try:
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the read lock
        dst = sqlite3.connect(destination)
        try:
            # A seed nobody reads until it is whole: no journal, one fsync at the end.
            dst.execute("PRAGMA journal_mode=OFF")
            dst.execute("PRAGMA synchronous=OFF")
            src.backup(dst, pages=-1, progress=bounded, sleep=0.01)
        finally:
            dst.close()
        src.execute("ROLLBACK")
    finally:
        src.close()
    _fsync(destination)
    return destination.stat().st_size


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
