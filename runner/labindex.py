"""What `list`, `show` and `status` need of each lab, cached by the files it was read from.

Loading a lab builds the pydantic schema and parses every manifest (~0.5 s of CPU for five labs); these
commands should start in a fraction of that. A lab is loaded (and validated) in full the first time and
whenever a file of it (lab folder, manifests folder) or of the runner changes; its summary is kept in the
cache. Labs that fail to load are never cached: their error is reported every time.
The summary objects answer the same attributes the commands read from a loaded lab.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner import loader
from runner.data import cache_dir
from runner.errors import LabError

FORMAT = 2
_RUNNER = Path(__file__).resolve().parent


def cache_file(labs_folder: Path) -> Path:
    """One small file per labs folder: `list` parses the summaries of its own labs only (one file for every
    checkout and test folder grew to megabytes, and parsing it cost more than the rest of `list`)."""
    return cache_dir() / "lab-index" / (hashlib.sha256(str(labs_folder).encode()).hexdigest()[:20] + ".json")


@dataclass(frozen=True)
class SText:
    values: dict[str, str]
    file: str | None

    def get(self, lang: str = "en") -> str:
        return self.values.get(lang) or self.values.get("en", "")


@dataclass(frozen=True)
class SCheck:
    kind: str
    name: str

    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class SStep:
    id: str
    title: SText
    check: list[SCheck]
    check_cannot_fail: str | None


@dataclass(frozen=True)
class SLab:
    id: str
    title: SText
    concept: SText
    objectives: list[SText]
    intro: SText | None
    steps: list[SStep] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)


def _text(t: Any) -> dict[str, Any] | None:
    return None if t is None else {"values": dict(t.values), "file": t.file}


def _stext(d: dict[str, Any] | None) -> SText | None:
    return None if d is None else SText(d["values"], d["file"])


def _stext_req(d: dict[str, Any]) -> SText:
    return SText(d["values"], d["file"])


def summarize(loaded: loader.LoadedLab) -> dict[str, Any]:
    L = loaded.lab
    return {"id": L.id, "manifests": str(loaded.manifests), "title": _text(L.title), "concept": _text(L.concept),
            "objectives": [_text(o) for o in L.objectives], "intro": _text(L.intro),
            "steps": [{"id": s.id, "title": _text(s.title), "checks": [[c.kind, c.label()] for c in s.check],
                       "cannot_fail": s.check_cannot_fail} for s in L.steps],
            "requires": list(L.requires)}


def from_summary(path: Path, d: dict[str, Any]) -> loader.LoadedLab:
    lab = SLab(d["id"], _stext_req(d["title"]), _stext_req(d["concept"]), [_stext_req(o) for o in d["objectives"]],
               _stext(d["intro"]),
               [SStep(s["id"], _stext_req(s["title"]), [SCheck(k, n) for k, n in s["checks"]], s["cannot_fail"])
                for s in d["steps"]], list(d["requires"]))
    return loader.LoadedLab(lab=lab, dir=path.parent, manifests=Path(d["manifests"]))  # type: ignore[arg-type]


def _stat_all(d: Path) -> list[str]:
    out = []
    for root, dirs, files in os.walk(d):
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")     # Python writes these on its own
        for f in sorted(files):
            p = os.path.join(root, f)
            try:
                st = os.stat(p)
            except OSError:
                continue
            out.append(f"{p} {st.st_size} {st.st_mtime_ns}")
    return out


@functools.cache
def _runner_stamp() -> str:
    """The runner's code, stated once per process (not once per lab)."""
    return hashlib.sha256("\n".join(_stat_all(_RUNNER)).encode()).hexdigest()


def fingerprint(path: Path) -> str:
    """Changes when any file of the lab, its manifests, or the runner's code changes."""
    lab_dir = path.parent
    parts = [str(FORMAT), sys.version, str(path), *_stat_all(lab_dir),
             *_stat_all(loader.manifests_dir(lab_dir, lab_dir.name)), _runner_stamp(),
             os.environ.get("KUBELAB_ALL_ERRORS", "")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class Index:
    """The summaries of the labs in one labs folder."""

    def __init__(self, labs_folder: Path) -> None:
        self.path = cache_file(labs_folder.resolve())
        try:
            self.data: dict[str, Any] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}
        self.dirty = False

    def load(self, path: Path) -> loader.LoadedLab:
        path = path.resolve()
        fp = fingerprint(path)
        hit = self.data.get(str(path))
        if isinstance(hit, dict) and hit.get("fp") == fp:
            try:
                return from_summary(path, hit["lab"])
            except (KeyError, TypeError, ValueError):
                pass                                   # an old or damaged entry: load in full
        loaded = loader.load_lab_file(path)            # raises LabError; errors are not cached
        self.data[str(path)] = {"fp": fp, "lab": summarize(loaded)}
        self.dirty = True
        return loaded

    def save(self) -> None:
        if not self.dirty:
            return
        self.data = {k: v for k, v in self.data.items() if os.path.isfile(k)}    # labs removed or renamed
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".lab-index-")
            with os.fdopen(fd, "w") as f:
                json.dump(self.data, f)
            os.replace(tmp, self.path)               # atomic: concurrent runs never read half a file
        except OSError:
            pass                                       # a read-only cache only costs speed


def load_all() -> tuple[list[loader.LoadedLab], list[str]]:
    """Like loader.load_all, from the index where it is current."""
    idx, labs, errors = Index(loader.labs_dir()), [], []
    for p in loader.discover():
        try:
            labs.append(idx.load(p))
        except LabError as e:
            errors.append(str(e))
    idx.save()
    return labs, errors


def find_lab(name: str) -> loader.LoadedLab:
    """Like loader.find_lab (an id, a lab folder or a lab.yaml), from the index where it is current."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        path = p
    elif (p / "lab.yaml").is_file():
        path = p / "lab.yaml"
    else:
        path = loader.labs_dir() / name / "lab.yaml"
        if not path.is_file():
            return loader.find_lab(name)              # its own error message
    idx = Index(path.resolve().parent.parent)
    loaded = idx.load(path)
    idx.save()
    return loaded
