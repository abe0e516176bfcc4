"""A `kubelab verify` run's mark on this machine: one file per run namespace, flocked while the run lives.

A run killed before its cleanup (kill -9, a CI job stopped) leaves its namespace, with the NodePort and volumes
it claimed. Its file's lock is free then, which tells `kubelab reset <lab>` that namespace is a dead run's and not
one a live run still uses, in this terminal or another. The file names lab, learner and namespace.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from runner.progress import state_dir

if TYPE_CHECKING:
    from runner.cluster.client import Kube
    from runner.loader import LoadedLab


def run_learner(learner: str | None) -> str:
    """The learner a verify run works as: lab-<id>-verify[-<learner>]-<run>."""
    return f"verify-{learner}" if learner else "verify"


def _dir(directory: Path | None) -> Path:
    return directory or state_dir() / "verify-runs"


class RunMark:
    """Held by a live run; release() once its namespace is gone (or kept on purpose)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd < 0:
            return
        os.ftruncate(self.fd, 0)     # a reader that opened it just now finds no run to reset
        self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = -1


def mark(lab_id: str, learner: str, namespace: str, directory: Path | None = None) -> RunMark:
    folder = _dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{namespace}.json"
    tmp = folder / f".{namespace}.{os.getpid()}"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)      # locked before it has its name: no reader sees it unlocked
    os.write(fd, json.dumps({"lab": lab_id, "learner": learner, "namespace": namespace}).encode())
    os.replace(tmp, path)
    return RunMark(path, fd)


def killed(lab_id: str, learner: str, directory: Path | None = None) -> list[str]:
    """Namespaces of this learner's verify runs of this lab on this machine whose process is gone."""
    out = []
    for path in sorted(_dir(directory).glob("*.json")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            data = json.loads(os.read(fd, 4096) or b"{}")
        except (BlockingIOError, ValueError):      # a live run's, or one released a moment ago
            continue
        finally:
            os.close(fd)
        if data.get("lab") == lab_id and data.get("learner") == learner and data.get("namespace"):
            out.append(str(data["namespace"]))
    return out


def forget(namespace: str, directory: Path | None = None) -> None:
    """The killed run's namespace was reset."""
    (_dir(directory) / f"{namespace}.json").unlink(missing_ok=True)


def reset_killed(kube: Kube, loaded: LoadedLab, learner: str) -> list[str]:
    """Reset the namespaces of this learner's killed verify runs of the lab (cluster-scoped objects too), as
    `kubelab reset` resets a lab; what was removed."""
    from runner.engine import Session
    removed = []
    for ns in killed(loaded.id, learner):
        removed += [f"{r} (a killed verify run's)" for r in Session(kube, loaded, learner, namespace=ns).reset()]
        forget(ns)
    return removed
