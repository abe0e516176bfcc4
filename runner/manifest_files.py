"""Read an `apply` (a file under manifests/<lab>/ or an inline manifest) into Kubernetes objects, refusing
anything that is not one: a bare string, `kind: 5`, a List whose items are not objects, an empty file.

Errors are ValueError with one line naming the document and field; callers add the file and step.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from runner import lab_files, limits, safe_yaml
from runner.schema import ApplySpec


def _what(v: Any) -> str:
    if isinstance(v, str):
        return repr(v if len(v) <= 40 else v[:40] + "...")
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(type(v), f"{type(v).__name__} {v!r}"[:60])


def _object(d: Any, where: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected a Kubernetes object (apiVersion, kind, metadata), got {_what(d)}")
    kind, api = d.get("kind"), d.get("apiVersion", "v1")
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"{where}: kind: expected a kind like Pod, got {_what(kind)}")
    if not isinstance(api, str) or not api:
        raise ValueError(f"{where}: apiVersion: expected a version like v1 or apps/v1, got {_what(api)}")
    meta = d.get("metadata")
    if not isinstance(meta, dict):
        raise ValueError(f"{where}: metadata: expected a mapping with a name, got {_what(meta)}")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: metadata.name: expected the object's name, got {_what(name)}")
    if len(name) > limits.MAX_NAME:
        raise ValueError(f"{where}: metadata.name: longer than {limits.MAX_NAME} characters")
    if "labels" in meta and not isinstance(meta["labels"], dict):
        raise ValueError(f"{where}: metadata.labels: expected a mapping, got {_what(meta['labels'])}")
    return d


def objects(docs: list[Any]) -> list[dict[str, Any]]:
    """Kubernetes objects of a manifest's documents, `*List` documents expanded."""
    out: list[dict[str, Any]] = []
    for i, d in enumerate(docs):
        where = f"document {i + 1}"
        if d is None:
            continue          # a trailing '---' or a comment-only document
        if isinstance(d, dict) and isinstance(d.get("kind"), str) and d["kind"].endswith("List") and "items" in d:
            items = d["items"]
            if not isinstance(items, list):
                raise ValueError(f"{where}: items: expected a list of objects, got {_what(items)}")
            out += [_object(it, f"{where}: items[{j}]") for j, it in enumerate(items)]
        else:
            out.append(_object(d, where))
    if not out:
        raise ValueError("holds no Kubernetes object (empty manifest)")
    return out


def source(spec: ApplySpec, manifests_dir: Path) -> str:
    return str(manifests_dir / spec.file) if spec.file else "inline manifest"


def load(spec: ApplySpec, manifests_dir: Path) -> list[dict[str, Any]]:
    """The objects of one apply; ValueError (one line, without the file name) when unusable."""
    if spec.file:
        path = lab_files.inside(manifests_dir, spec.file)
        if not lab_files.is_file(path):
            raise ValueError(f"manifest file not found ({manifests_dir / spec.file})")
        try:
            docs = safe_yaml.load_all_file(path)
        except OSError as e:
            raise ValueError(f"cannot read: {e.strerror}") from None
    else:
        docs = spec.manifest if isinstance(spec.manifest, list) else [spec.manifest]
    return objects(docs)
