"""The rules of `kubelab lint`: pure functions from parsed lab data to problems (no file access here)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from runner import accessors as k8s
from runner.lint_kinds import normalize_image
from runner.lint_yaml import Doc
from runner.schema import RESERVED_VALUES, ApplySpec, Lab, Target, Text

_PLACEHOLDER = re.compile(r"\$(\$?)\{([^}]*)\}")   # $${X} is the escape for a literal ${X}


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


def _loc(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str]:
    """A pydantic error location -> (YAML path, dotted name) without model-internal parts."""
    path = tuple(p for p in loc if p != "values")
    text = ""
    for p in path:
        text += f"[{p}]" if isinstance(p, int) else ("." if text else "") + str(p)
    return path, text or "(top level)"


def schema_problems(file: Path, doc: Doc) -> tuple[Lab | None, list[Problem]]:
    """Validate against the pydantic models; every error at the line of its field."""
    if not isinstance(doc.data, dict):
        return None, [Problem(file, doc.line, "expected a mapping with id, title, concept, objectives, steps")]
    try:
        return Lab.model_validate(doc.data), []
    except ValidationError as e:
        out = []
        for err in e.errors():
            path, name = _loc(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field (typo?)"
            elif err["type"] == "missing":
                msg = "required field is missing"
            out.append(Problem(file, doc.line_of(path), f"{name}: {msg}"))
        return None, out


def walk(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every model, list item and field of a validated lab with its YAML path (aliases as written)."""
    yield path, obj
    if isinstance(obj, BaseModel) and not isinstance(obj, Text):
        for name, info in type(obj).model_fields.items():
            value = getattr(obj, name)
            if value is not None and not isinstance(value, (str, int, float, dict)):
                yield from walk(value, path + (info.alias or name,))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from walk(item, path + (i,))


def text_languages(t: Text, lab_files: set[str]) -> set[str]:
    """Languages a text exists in: its map keys, or for {file: x.md} x.md (en) and every x.<lang>.md."""
    if not t.file:
        return set(t.values)
    stem, dot, suffix = t.file.rpartition(".")
    langs = {"en"} if t.file in lab_files else set()
    pattern = re.compile(re.escape(stem) + r"\.([a-z]{2,3}(?:-[A-Za-z]+)?)\." + re.escape(suffix) + "$")
    return langs | {m.group(1) for f in lab_files if (m := pattern.match(f))}


_COMMAND = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:kubectl|kubelab|curl|wget|watch|kind|helm|docker)\s")


def _is_command(t: Text) -> bool:
    """A hint that is only a shell command (or one code span) reads the same in every language."""
    s = t.values.get("en", "").strip()
    return set(t.values) == {"en"} and (bool(_COMMAND.match(s)) or bool(re.fullmatch(r"`[^`]+`", s)))


def text_problems(file: Path, doc: Doc, lab: Lab, lab_files: set[str]) -> list[Problem]:
    """Markdown files exist; every text is there in every language the lab uses somewhere."""
    texts = [(p, t) for p, t in walk(lab) if isinstance(t, Text)]
    out = []
    for p, t in texts:
        if t.file and t.file not in lab_files:
            out.append(Problem(file, doc.line_of(p), f"markdown file not found: {t.file} (next to lab.yaml)"))
    declared = set().union(*(text_languages(t, lab_files) for _, t in texts)) if texts else {"en"}
    for p, t in texts:
        if t.file and t.file not in lab_files:
            continue
        missing = sorted(declared - text_languages(t, lab_files))
        if missing and not _is_command(t):
            how = f"add {t.file.rpartition('.')[0]}.{missing[0]}.{t.file.rpartition('.')[2]}" if t.file \
                else f"give a language map {{en: ..., {missing[0]}: ...}}"
            out.append(Problem(file, doc.line_of(p), f"no {'/'.join(missing)} text (the lab uses "
                                                     f"{', '.join(sorted(declared))}): {how}"))
    return out


def known_placeholders(lab: Lab | None) -> tuple[str, ...]:
    """What the runner replaces: its own names and the lab's step values."""
    values = sorted({name for s in lab.steps for name in s.values}) if lab else []
    return (*RESERVED_VALUES, *values)


def placeholder_problems(file: Path, doc: Doc, known: tuple[str, ...]) -> list[Problem]:
    """${X} in any string must be one the runner replaces (else it reaches the cluster as written)."""
    out = []

    def visit(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, str):
            for m in _PLACEHOLDER.finditer(value):
                if not m.group(1) and m.group(2) not in known:
                    out.append(Problem(file, doc.line_of(path), f"unknown placeholder ${{{m.group(2)}}} (known: "
                                       f"{', '.join('${' + k + '}' for k in known)}; $${{{m.group(2)}}} for a literal)"))
        elif isinstance(value, dict):
            for k, v in value.items():
                visit(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                visit(v, path + (i,))

    visit(doc.data, ())
    return out


def kind_problem(api_version: str, kind: str, kinds: dict[str, set[str] | frozenset[str]]) -> str | None:
    if kind in kinds.get(api_version, ()):
        return None
    where = [gv for gv, ks in kinds.items() if kind in ks]
    if where:
        return f"{kind} is served as apiVersion {' or '.join(sorted(where))}, not {api_version}"
    return f"unknown kind {kind} in {api_version} (not built into Kubernetes, no CustomResourceDefinition for it " \
           "in the lab or the cluster add-ons)"


def target_problems(file: Path, doc: Doc, lab: Lab, kinds: dict[str, Any]) -> list[Problem]:
    out = []
    for p, obj in walk(lab):
        if isinstance(obj, Target) and (msg := kind_problem(obj.api_version, obj.kind, kinds)):
            out.append(Problem(file, doc.line_of(p + ("kind",)), msg))
    return out


def applied_files(lab: Lab) -> list[tuple[tuple[Any, ...], str]]:
    """(YAML path, file name) of every manifest file the lab applies."""
    return [(p, obj.file) for p, obj in walk(lab) if isinstance(obj, ApplySpec) and obj.file]


def inline_manifests(lab: Lab) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    out = []
    for p, obj in walk(lab):
        if isinstance(obj, ApplySpec) and obj.manifest is not None:
            items = obj.manifest if isinstance(obj.manifest, list) else [obj.manifest]
            out += [(p + ("manifest",) + ((i,) if isinstance(obj.manifest, list) else ()), m)
                    for i, m in enumerate(items)]
    return out


def _containers(obj: dict[str, Any], path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Containers anywhere in an object (pod specs, templates, job templates), by path."""
    for key, value in obj.items():
        if key in ("containers", "initContainers", "ephemeralContainers") and isinstance(value, list):
            for i, c in enumerate(value):
                if isinstance(c, dict):
                    yield path + (key, i), c
        elif isinstance(value, dict):
            yield from _containers(value, path + (key,))


def object_problems(file: Path, doc: Doc, obj: dict[str, Any], path: tuple[Any, ...],
                    kinds: dict[str, Any], images: set[str]) -> list[Problem]:
    """A Kubernetes object: apiVersion, kind (a known one), metadata.name; its images offline."""
    if not isinstance(obj, dict):
        return [Problem(file, doc.line_of(path), "expected a Kubernetes object (a mapping with apiVersion, kind)")]
    out = []
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str):
            out.append(Problem(file, doc.line_of(path), f"a Kubernetes object needs {key}"))
    meta = obj.get("metadata")
    if not (isinstance(meta, dict) and (meta.get("name") or meta.get("generateName"))):
        out.append(Problem(file, doc.line_of(path + ("metadata",)), "a Kubernetes object needs metadata.name"))
    if out:
        return out
    if msg := kind_problem(obj["apiVersion"], obj["kind"], kinds):
        out.append(Problem(file, doc.line_of(path + ("kind",)), msg))
    for cpath, c in _containers(obj, path):
        image = c.get("image")
        line = doc.line_of(cpath + ("image",))
        if not isinstance(image, str) or not image:
            out.append(Problem(file, line, f"container {c.get('name', '?')} has no image"))
            continue
        offline = normalize_image(image) in images
        policy = c.get("imagePullPolicy") or ("Always" if normalize_image(image).endswith(":latest") else "IfNotPresent")
        if not offline:
            out.append(Problem(file, line, f"image {image} is not in the offline image set "
                                           f"({', '.join(sorted(images)) or 'none'}): the cluster must pull it",
                               warning=True))
        elif policy == "Always":
            out.append(Problem(file, doc.line_of(cpath + ("imagePullPolicy",)),
                               f"imagePullPolicy Always makes the node pull {image}, which fails offline: "
                               "use IfNotPresent"))
    return out


def pod_labels(obj: Any) -> list[dict[str, Any]]:
    """Labels of the pods an object is or makes (Pod, workload templates, CronJob job templates)."""
    if not isinstance(obj, dict):
        return []
    if obj.get("kind") == "Pod":
        return [k8s.labels(obj)]
    spec = k8s.spec(obj)
    if obj.get("kind") == "CronJob":
        spec = k8s.dig(spec, "jobTemplate", "spec")
    labels = k8s.dig(spec, "template", "metadata").get("labels")
    return [labels] if isinstance(labels, dict) else []


def selector_problem(file: Path, doc: Doc, obj: Any, path: tuple[Any, ...],
                     label_sets: list[dict[str, Any]]) -> Problem | None:
    """A Service whose selector matches no pod the lab creates has no endpoints (a typo, usually)."""
    if not (isinstance(obj, dict) and obj.get("kind") == "Service" and obj.get("apiVersion") == "v1"):
        return None
    selector = k8s.spec(obj).get("selector")
    if not isinstance(selector, dict) or not selector:
        return None
    if any(all(str(labels.get(k)) == str(v) for k, v in selector.items()) for labels in label_sets):
        return None
    want = ",".join(f"{k}={v}" for k, v in selector.items())
    return Problem(file, doc.line_of(path + ("spec", "selector")),
                   f"Service {k8s.meta(obj).get('name')} selects {want}, but no pod in the lab's "
                   "manifests has these labels (a typo? the Service would have no endpoints)")


def _conflicts(expected: Any, actual: Any, path: tuple[str, ...] = ()) -> list[tuple[str, Any, Any]]:
    """Scalars the check expects that the object sets otherwise (lists and placeholders are left to verify)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [c for k, v in expected.items() if k in actual for c in _conflicts(v, actual[k], path + (str(k),))]
    if isinstance(expected, (dict, list)) or isinstance(actual, (dict, list)) or expected is None or actual is None:
        return []
    if "${" in str(expected) or "${" in str(actual) or str(expected) == str(actual):
        return []
    return [(".".join(path), expected, actual)]


def solve_contradicts_check(file: Path, doc: Doc, lab: Lab, step_index: int,
                            solved: list[tuple[Path, int, Any]]) -> list[Problem]:
    """A match check on an object the step's solve applies, expecting a field the solve sets otherwise:
    the solution can never pass (solved: the objects the solve applies, with their file and line)."""
    step = lab.steps[step_index]
    patched = {(a.patch.target.kind, a.patch.target.name) for a in step.solve if a.patch}
    out = []
    for ci, check in enumerate(step.check):
        spec = check.match
        if spec is None or not spec.fields or not spec.target.name or \
                (spec.target.kind, spec.target.name) in patched:
            continue
        for f, line, obj in solved:
            if not (isinstance(obj, dict) and obj.get("kind") == spec.target.kind and
                    k8s.meta(obj).get("name") == spec.target.name):
                continue
            for where, want, got in _conflicts(spec.fields, obj):
                out.append(Problem(file, doc.line_of(("steps", step_index, "check", ci, "match", "fields")),
                                   f"the check expects {where}: {want}, but the solve applies {got} ({f}:{line}): "
                                   "the solution cannot pass"))
    return out
