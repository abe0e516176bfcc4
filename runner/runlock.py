"""One `kubelab run` per learner and lab on this machine: a second one would apply, check and write progress
for the same namespace at the same time. An flock, so a process killed with -9 leaves no stale lock."""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.errors import LabError
from runner.progress import state_dir


def lock_path(learner: str | None, lab_id: str, directory: Path | None = None) -> Path:
    return (directory or state_dir()) / f"run-{learner or 'default'}-{lab_id}.lock"


def holder(learner: str | None, lab_id: str, directory: Path | None = None) -> int | None:
    """The pid of the `kubelab run` holding this lab for this learner, None when none does."""
    path = lock_path(learner, lab_id, directory)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.read(fd, 32).decode(errors="ignore").strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)      # also drops the shared lock just taken
    return None


@contextmanager
def run_lock(learner: str | None, lab_id: str, directory: Path | None = None) -> Iterator[None]:
    """Hold the lab for this learner while the block runs; LabError (one line) if another run holds it."""
    path = lock_path(learner, lab_id, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode(errors="ignore").strip() or "?"
            raise LabError(f"kubelab: lab {lab_id} is already running for learner {learner or 'default'} "
                           f"(pid {pid}): quit that one first (q or Ctrl-C), or use another --learner") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)     # releases the lock; the file stays (removing it would race with a new run)
