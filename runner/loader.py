"""Find, parse and validate labs; turn pydantic errors into one line per problem (file: field: expected)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner import lab_files, safe_yaml
from runner.errors import LabError

if TYPE_CHECKING:  # the schema (pydantic models) costs ~0.2 s to build: only loading a lab needs it
    from pydantic import ValidationError

    from runner.schema import Lab, Text

__all__ = ["LabError", "LoadedLab", "find_lab", "load_all", "load_lab_file"]


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
            base = Path(t.file)
            localized = str(base.with_name(f"{base.stem}.{lang}{base.suffix}"))
            rel = localized if lang != "en" and (self.dir / localized).exists() else t.file
            try:
                return lab_files.read_text(self.dir, rel)
            except OSError as e:
                raise LabError(f"{self.dir / 'lab.yaml'}: cannot read {rel}: {e.strerror}") from None
            except ValueError as e:
                raise LabError(f"{self.dir / 'lab.yaml'}: {rel}: {e}") from None
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


def find_labs_dir() -> Path | None:
    """--labs-dir / KUBELAB_LABS, else labs/ in the current folder or its nearest parent that has one."""
    env = os.environ.get("KUBELAB_LABS")
    if env:
        return Path(env).resolve()
    if os.environ.get("KUBELAB_ROOT"):
        return Path(os.environ["KUBELAB_ROOT"]).resolve() / "labs"
    for d in [Path.cwd(), *Path.cwd().parents]:
        if (d / "labs").is_dir():
            return d / "labs"
    return None


def labs_dir() -> Path:
    """The labs folder (find_labs_dir), else the labs/ of the checkout this package runs from
    (documented in docs/authoring.md)."""
    return find_labs_dir() or Path(__file__).resolve().parent.parent / "labs"


def repo_root() -> Path:
    """The folder holding the labs folder (and, by default, manifests/)."""
    return labs_dir().parent


def manifests_dir(lab_dir: Path, lab_id: str) -> Path:
    """A lab's manifests: its own manifests/ folder if it has one (a self-contained lab), else
    manifests/<id>/ beside the labs folder (labs/<id>/lab.yaml -> manifests/<id>/)."""
    own = lab_dir / "manifests"
    return own if own.is_dir() else lab_dir.parent.parent / "manifests" / lab_id


def load_lab_file(path: Path, manifests_root: Path | None = None) -> LoadedLab:
    from pydantic import ValidationError

    from runner.schema import Lab
    path = Path(path)
    try:
        raw = safe_yaml.load_file(path)
    except OSError as e:
        raise LabError(f"{path}: cannot read: {e.strerror}") from None
    except safe_yaml.YamlProblem as e:
        raise LabError(f"{path}: {e}") from None
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
    """Referenced markdown and manifests must exist inside the lab's folders and hold what they should:
    fail at load time (exit 2, nothing applied), not mid-workshop."""
    from runner import manifest_files
    lab = loaded.lab
    texts: list[tuple[str, Text | None]] = [("title", lab.title), ("concept", lab.concept), ("intro", lab.intro)]
    texts += [(f"objectives[{i}]", o) for i, o in enumerate(lab.objectives)]
    for i, s in enumerate(lab.steps):
        texts.append((f"steps[{i}].explain", s.explain))
        if s.task:
            texts.append((f"steps[{i}].task.text", s.task.text))
        texts += [(f"steps[{i}].hints[{j}]", h) for j, h in enumerate(s.hints)]
        actions = [(f"apply[{j}]", a) for j, a in enumerate(s.apply)]
        actions += [(f"solve[{j}].apply", a.apply) for j, a in enumerate(s.solve) if a.apply]
        actions += [(f"cleanup[{j}].apply", a.apply) for j, a in enumerate(s.cleanup) if a.apply]
        for where, a in actions:
            try:
                manifest_files.load(a, loaded.manifests)
            except ValueError as e:
                what = f"{a.file}: " if a.file else "manifest: "
                raise LabError(f"{path}: steps[{i}].{where}: {what}{e}") from None
    for where, t in texts:
        if t is None or not t.file:
            continue
        try:
            target = lab_files.inside(loaded.dir, t.file)
        except ValueError as e:
            raise LabError(f"{path}: {where}.file: {e}") from None
        if not lab_files.is_file(target):
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
