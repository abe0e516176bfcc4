"""`kubelab lint`: check labs without a cluster. Reads the lab files, applies the rules in lint_rules.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.data import data_root
from runner.lint_kinds import BUILTIN_KINDS, crd_kinds, read_offline_images
from runner.lint_requires import needed
from runner.lint_rules import (
    Problem,
    applied_files,
    inline_manifests,
    known_placeholders,
    object_problems,
    placeholder_problems,
    pod_labels,
    schema_problems,
    selector_problem,
    solve_contradicts_check,
    target_problems,
    text_problems,
)
from runner.lint_yaml import Doc, YamlError, load_docs
from runner.loader import labs_dir, manifests_dir


@dataclass
class Context:
    """What every lab may rely on: built-in kinds, the cluster add-ons' CRDs, the offline images."""
    kinds: dict[str, set[str]] = field(default_factory=dict)
    images: set[str] = field(default_factory=set)

    @classmethod
    def load(cls) -> Context:
        root = data_root()
        kinds: dict[str, set[str]] = {gv: set(ks) for gv, ks in BUILTIN_KINDS.items()}
        for f in sorted((root / "manifests" / "cluster").glob("**/*.y*ml")):
            try:
                for gv, ks in crd_kinds([d.data for d in load_docs(f.read_text(encoding="utf-8"))]).items():
                    kinds.setdefault(gv, set()).update(ks)
            except (OSError, YamlError):
                continue
        return cls(kinds, read_offline_images(root))


def _items(data: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """A document, or the items of a List document, with their paths."""
    if isinstance(data, dict) and str(data.get("kind", "")).endswith("List") and isinstance(data.get("items"), list):
        return [(("items", i), item) for i, item in enumerate(data["items"])]
    return [((), data)]


def _read_docs(path: Path, problems: list[Problem]) -> list[Doc] | None:
    try:
        return load_docs(path.read_text(encoding="utf-8"))
    except OSError as e:
        problems.append(Problem(path, 1, f"cannot read: {e.strerror}"))
    except YamlError as e:
        problems.append(Problem(path, e.line, e.message))
    return None


def lint_lab(lab_yaml: Path, ctx: Context) -> list[Problem]:
    """Every problem of one lab, in file order."""
    problems: list[Problem] = []
    docs = _read_docs(lab_yaml, problems)
    if docs is None:
        return problems
    if len(docs) != 1:
        return [Problem(lab_yaml, 1, f"expected one YAML document, found {len(docs)}")]
    doc = docs[0]
    lab, schema = schema_problems(lab_yaml, doc)
    problems += schema
    known = known_placeholders(lab)
    problems += placeholder_problems(lab_yaml, doc, known)
    if lab is None:
        return problems
    if lab.id != lab_yaml.parent.name:
        problems.append(Problem(lab_yaml, doc.line_of(("id",)),
                                f"id: expected the directory name {lab_yaml.parent.name!r}, got {lab.id!r}"))
    lab_files = {p.relative_to(lab_yaml.parent).as_posix() for p in lab_yaml.parent.rglob("*") if p.is_file()}
    problems += text_problems(lab_yaml, doc, lab, lab_files)

    mdir = manifests_dir(lab_yaml.parent, lab.id)
    files: dict[Path, list[Doc]] = {}
    for f in sorted(mdir.glob("**/*.y*ml")) if mdir.is_dir() else []:
        if (parsed := _read_docs(f, problems)) is not None:
            files[f] = parsed
    kinds = {gv: set(ks) for gv, ks in ctx.kinds.items()}
    objects: list[tuple[Path, Doc, Any, tuple[Any, ...]]] = [
        (f, d, obj, p) for f, ds in files.items() for d in ds for p, obj in _items(d.data)]
    objects += [(lab_yaml, doc, m, p) for p, m in inline_manifests(lab)]
    for gv, ks in crd_kinds([o for _, _, o, _ in objects]).items():   # the lab's own CRDs
        kinds.setdefault(gv, set()).update(ks)
    problems += target_problems(lab_yaml, doc, lab, kinds)

    applied: set[Path] = set()
    solution: set[Path] = set()   # applied by a solve: the answer must work (an apply may set up a mistake)
    for p, name in applied_files(lab):
        f = mdir / name
        if not f.is_file():
            problems.append(Problem(lab_yaml, doc.line_of(p), f"manifest file not found: {f}"))
        applied.add(f)
        if _in_solve(p):
            solution.add(f)
    label_sets = [labels for _, _, o, _ in objects for labels in pod_labels(o)]
    for f, d, obj, p in objects:
        # files the lab applies must hold objects; other files (learner's, patches) are checked when they are objects
        if f == lab_yaml or f in applied or (isinstance(obj, dict) and "kind" in obj):
            problems += object_problems(f, d, obj, p, kinds, ctx.images)
        if (f in solution or (f == lab_yaml and _in_solve(p))) and \
                (sel := selector_problem(f, d, obj, p, label_sets)):
            problems.append(sel)
        if f != lab_yaml:
            problems += placeholder_problems(f, d, known)
    for word, why in needed(lab, [o for _, _, o, _ in objects]).items():
        at = doc.line_of(("requires",)) if lab.requires else doc.line_of(("id",))
        problems.append(Problem(lab_yaml, at, f"requires: add {word} ({why}; docs/lab-format.md, requires)"))
    for i in range(len(lab.steps)):
        names = {mdir / name for p, name in applied_files(lab) if _in_solve(p) and p[1] == i}
        solved = [(f, d.line_of(p), obj) for f, d, obj, p in objects
                  if f in names or (f == lab_yaml and _in_solve(p) and p[1] == i)]
        problems += solve_contradicts_check(lab_yaml, doc, lab, i, solved)
    return sorted(set(problems), key=lambda x: (str(x.file), x.line, x.message))


def _in_solve(path: tuple[Any, ...]) -> bool:
    return len(path) > 2 and path[0] == "steps" and path[2] == "solve"


def lab_files(args: list[str]) -> tuple[list[Path], list[str]]:
    """Lab ids, lab folders, lab.yaml files or folders of labs -> lab.yaml paths (none given: the labs folder)."""
    found, errors = [], []
    if not args and not labs_dir().is_dir():
        return [], [f"no labs folder (looked for {labs_dir()}): run in a folder that has labs/, give --labs-dir, "
                    "or start one with `kubelab new <id>`"]
    for a in args or [str(labs_dir())]:
        p = Path(a)
        if p.is_file():
            found.append(p)
        elif (p / "lab.yaml").is_file():
            found.append(p / "lab.yaml")
        elif p.is_dir() and (many := sorted(p.glob("*/lab.yaml"))):
            found += many
        elif (labs_dir() / a / "lab.yaml").is_file():
            found.append(labs_dir() / a / "lab.yaml")
        else:
            errors.append(f"no lab at {a} (looked for {p / 'lab.yaml'}, {p}/*/lab.yaml and "
                          f"{labs_dir() / a / 'lab.yaml'})")
    return found, errors
