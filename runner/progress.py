"""Per-learner progress in the XDG state dir, so Ctrl-C in `kubelab run` can resume at the same step."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kubelab"


@dataclass
class LabProgress:
    step: str | None = None                 # the step to resume at (None: not started)
    completed: list[str] = field(default_factory=list)
    hints: dict[str, int] = field(default_factory=dict)   # step id -> hints revealed
    finished: bool = False
    # for the instructor board (workshop mode): when, how long on this step, why it fails
    updated: float | None = None            # epoch seconds of the last write
    step_started: float | None = None       # when the learner reached the current step
    failures: dict[str, int] = field(default_factory=dict)        # step id -> failed checks
    last_failure: dict[str, str] = field(default_factory=dict)    # step id -> the failing check's one-line reason


def stamp(old: LabProgress, new: LabProgress, now: float) -> LabProgress:
    """The time of the write, and a fresh clock whenever the learner reaches another step."""
    new.updated = now
    if new.step != old.step or new.step_started is None:
        new.step_started = now
    return new


def record_failure(p: LabProgress, step: str, reason: str | None) -> None:
    p.failures[step] = p.failures.get(step, 0) + 1
    if reason:
        p.last_failure[step] = reason


def after_check(p: LabProgress, step_ids: list[str], step: str, ok: bool, reason: str | None) -> LabProgress:
    """`kubelab check` moves the learner on when the step passes, and records why it did not."""
    if ok:
        if step not in p.completed:
            p.completed.append(step)
        nxt = step_ids.index(step) + 1
        p.step, p.finished = (step_ids[nxt], False) if nxt < len(step_ids) else (None, True)
    else:
        p.step = p.step or step
        record_failure(p, step, reason)
    return p


def entry(raw: Any) -> LabProgress:
    """A lab's saved progress, tolerant of fields it does not know or of the wrong type (older/newer kubelab)."""
    if not isinstance(raw, dict):
        return LabProgress()
    p = LabProgress()
    if isinstance(raw.get("step"), str):
        p.step = raw["step"]
    if isinstance(raw.get("completed"), list):
        p.completed = [x for x in raw["completed"] if isinstance(x, str)]
    if isinstance(raw.get("hints"), dict):
        p.hints = {k: v for k, v in raw["hints"].items() if isinstance(k, str) and isinstance(v, int)}
    if isinstance(raw.get("finished"), bool):
        p.finished = raw["finished"]
    for key in ("updated", "step_started"):
        if isinstance(raw.get(key), (int, float)) and not isinstance(raw.get(key), bool):
            setattr(p, key, float(raw[key]))
    if isinstance(raw.get("failures"), dict):
        p.failures = {k: v for k, v in raw["failures"].items() if isinstance(v, int) and not isinstance(v, bool)}
    if isinstance(raw.get("last_failure"), dict):
        p.last_failure = {k: v for k, v in raw["last_failure"].items() if isinstance(v, str)}
    return p


def _decode(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class ProgressStore:
    """One JSON file per learner. Every write is atomic (write, then rename) and keeps the previous good
    file as <name>.bak; a damaged file is kept aside, the backup used instead, and the user told so."""

    def __init__(self, learner: str | None, directory: Path | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.path = (directory or state_dir()) / f"progress-{learner or 'default'}.json"
        self.backup = self.path.with_name(self.path.name + ".bak")
        self._warn = warn or (lambda m: print(f"kubelab: {m}", file=sys.stderr))
        self._damaged_seen = False

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            text = None
        except OSError as e:
            raise OSError(f"cannot read the progress file {self.path}: {e.strerror}") from None
        data = _decode(text) if text is not None else {}
        if data is not None and (text is not None or not self.backup.exists()):
            return data
        # damaged (or gone while a backup exists: killed between the two renames)
        bak = None
        try:
            bak = _decode(self.backup.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            pass
        if text is not None and not self._damaged_seen:
            self._damaged_seen = True
            kept = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            shutil.copyfile(self.path, kept)
            self._warn(f"the progress file {self.path} is damaged; kept it as {kept} and "
                       + (f"restored the last good copy ({self.backup})" if bak is not None else
                          "started without saved progress (no backup)"))
        return bak or {}

    def get(self, lab_id: str) -> LabProgress:
        return entry(self._read().get(lab_id))

    def all(self) -> dict[str, LabProgress]:
        return {k: entry(v) for k, v in self._read().items() if isinstance(k, str)}

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            old = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            old = None
        if old is not None and _decode(old) is not None:
            self._atomic(self.backup, old)
        # write-then-rename: a Ctrl-C or kill -9 mid-write must not corrupt the file
        self._atomic(self.path, json.dumps(data, indent=1))

    def _atomic(self, path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".progress-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Read-modify-write under an flock: two kubelab processes of one learner (a `run` and a `check` or a
        `reset` in another terminal) must not drop each other's update. Freed by the kernel on kill -9."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def put(self, lab_id: str, p: LabProgress) -> None:
        with self._exclusive():
            data = self._read()
            old = data.get(lab_id)
            unknown = {k: v for k, v in old.items() if k not in asdict(p)} if isinstance(old, dict) else {}
            data[lab_id] = {**unknown, **asdict(stamp(entry(old), p, time.time()))}   # keep fields a newer kubelab wrote
            self._write(data)

    def clear(self, lab_id: str) -> None:
        with self._exclusive():
            data = self._read()
            if data.pop(lab_id, None) is not None:
                self._write(data)
