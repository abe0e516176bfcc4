"""Find, parse and validate labs; turn pydantic errors into one line per problem (file: field: expected)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from runner.schema import Lab, Text


class LabError(Exception):
    """A lab cannot be loaded; str() is a single human line (no traceback)."""


@dataclass(frozen=True)
class LoadedLab:
    lab: Lab
    dir: Path            # labs/<id>/ (markdown lives here)
    manifests: Path      # manifests/<id>/

    @property
    def id(self) -> str:
        return self.lab.id

    def text(self, t: Text | None, lang: str = "en") -> str:
        """Resolve localized text, reading {file: x.md} as x.<lang>.md if present, else x.md."""
        if t is None:
            return ""
        if t.file:
            base = self.dir / t.file
            localized = base.with_name(f"{base.stem}.{lang}{base.suffix}")
            path = localized if lang != "en" and localized.exists() else base
            try:
                return path.read_text(encoding="utf-8")
            except OSError as e:
                raise LabError(f"{self.dir / 'lab.yaml'}: cannot read {t.file}: {e.strerror}") from None
        return t.get(lang)


def _loc(loc: tuple[Any, ...]) -> str:
    """('steps', 2, 'check', 0, 'match') -> steps[2].check[0].match (model-internal names dropped)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("values",):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_validation_error(path: Path, err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors():
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown field (typo?)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        lines.append(f"{path}: {_loc(e['loc'])}: {msg}")
    return lines


def labs_dir() -> Path:
    """The labs folder: --labs-dir / KUBELAB_LABS, else labs/ in the current folder or its nearest parent
    that has one, else the labs/ of the checkout this package runs from (documented in docs/authoring.md)."""
    env = os.environ.get("KUBELAB_LABS")
    if env:
        return Path(env).resolve()
    if os.environ.get("KUBELAB_ROOT"):
        return Path(os.environ["KUBELAB_ROOT"]).resolve() / "labs"
    for d in [Path.cwd(), *Path.cwd().parents]:
        if (d / "labs").is_dir():
            return d / "labs"
    return Path(__file__).resolve().parent.parent / "labs"


def repo_root() -> Path:
    """The folder holding the labs folder (and, by default, manifests/)."""
    return labs_dir().parent


def manifests_dir(lab_dir: Path, lab_id: str) -> Path:
    """A lab's manifests: its own manifests/ folder if it has one (a self-contained lab), else
    manifests/<id>/ beside the labs folder (labs/<id>/lab.yaml -> manifests/<id>/)."""
    own = lab_dir / "manifests"
    return own if own.is_dir() else lab_dir.parent.parent / "manifests" / lab_id


def load_lab_file(path: Path, manifests_root: Path | None = None) -> LoadedLab:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise LabError(f"{path}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise LabError(f"{path}: {where}invalid YAML: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(raw, dict):
        raise LabError(f"{path}: (top level): expected a mapping with id, title, concept, objectives, steps")
    try:
        lab = Lab.model_validate(raw)
    except ValidationError as e:
        lines = format_validation_error(path, e)
        # one line: the root cause first (an unknown key usually explains the "needs exactly one of" after it)
        lines.sort(key=lambda line: 0 if line.endswith("unknown field (typo?)") else 1)
        more = f" (+{len(lines) - 1} more: KUBELAB_ALL_ERRORS=1 lists them)" if len(lines) > 1 else ""
        if os.environ.get("KUBELAB_ALL_ERRORS"):
            raise LabError("\n".join(lines)) from None
        raise LabError(lines[0] + more) from None
    if lab.id != path.parent.name:
        raise LabError(f"{path}: id: expected the directory name {path.parent.name!r}, got {lab.id!r}")
    manifests = manifests_root / lab.id if manifests_root is not None else manifests_dir(path.parent, lab.id)
    loaded = LoadedLab(lab=lab, dir=path.parent, manifests=manifests)
    _check_files(path, loaded)
    return loaded


def _check_files(path: Path, loaded: LoadedLab) -> None:
    """Referenced markdown and manifest files must exist: fail at load time, not mid-workshop."""
    lab = loaded.lab
    texts: list[tuple[str, Text | None]] = [("title", lab.title), ("concept", lab.concept), ("intro", lab.intro)]
    for i, s in enumerate(lab.steps):
        texts.append((f"steps[{i}].explain", s.explain))
        if s.task:
            texts.append((f"steps[{i}].task.text", s.task.text))
        actions = [("apply", a) for a in s.apply]
        actions += [("solve", a.apply) for a in s.solve if a.apply]
        actions += [("cleanup", a.apply) for a in s.cleanup if a.apply]
        for j, (where, a) in enumerate(actions):
            if a.file and not (loaded.manifests / a.file).is_file():
                raise LabError(f"{path}: steps[{i}].{where}: manifest file not found: {loaded.manifests / a.file}")
    for where, t in texts:
        if t is not None and t.file and not (loaded.dir / t.file).is_file():
            raise LabError(f"{path}: {where}.file: markdown file not found: {loaded.dir / t.file}")


def discover(root: Path | None = None) -> list[Path]:
    """lab.yaml files in root/labs (root given) or in the labs folder."""
    return sorted((root / "labs" if root else labs_dir()).glob("*/lab.yaml"))


def load_all(root: Path | None = None) -> tuple[list[LoadedLab], list[str]]:
    """All labs under root/labs; errors are collected so one broken lab does not hide the others."""
    labs, errors = [], []
    for p in discover(root):
        try:
            labs.append(load_lab_file(p))
        except LabError as e:
            errors.append(str(e))
    return labs, errors


def find_lab(name: str, root: Path | None = None) -> LoadedLab:
    """A lab id under root/labs, or a path to a lab.yaml / lab directory (e.g. tests/fixtures/...)."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return load_lab_file(p)
    if (p / "lab.yaml").is_file():
        return load_lab_file(p / "lab.yaml")
    candidate = (root / "labs" if root else labs_dir()) / name / "lab.yaml"
    if candidate.is_file():
        return load_lab_file(candidate)
    raise LabError(f"no lab named {name!r} (looked for {candidate})")
