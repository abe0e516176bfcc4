"""Per-learner progress in the XDG state dir, so Ctrl-C in `kubelab run` can resume at the same step."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kubelab"


@dataclass
class LabProgress:
    step: str | None = None                 # the step to resume at (None: not started)
    completed: list[str] = field(default_factory=list)
    hints: dict[str, int] = field(default_factory=dict)   # step id -> hints revealed
    finished: bool = False


class ProgressStore:
    def __init__(self, learner: str | None, directory: Path | None = None) -> None:
        self.path = (directory or state_dir()) / f"progress-{learner or 'default'}.json"

    def _read(self) -> dict[str, dict]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def get(self, lab_id: str) -> LabProgress:
        raw = self._read().get(lab_id)
        return LabProgress(**raw) if raw else LabProgress()

    def all(self) -> dict[str, LabProgress]:
        return {k: LabProgress(**v) for k, v in self._read().items()}

    def put(self, lab_id: str, p: LabProgress) -> None:
        data = self._read()
        data[lab_id] = asdict(p)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # write-then-rename: a Ctrl-C mid-write must not corrupt the file
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, self.path)

    def clear(self, lab_id: str) -> None:
        data = self._read()
        if data.pop(lab_id, None) is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(data, indent=1))
