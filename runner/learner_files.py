"""`kubelab render|apply <lab> <file>`: a manifest with ${NAMESPACE}, ${NODE_PORT}... filled in, so task
commands need no envsubst. The text is substituted as a whole, so comments in starter files stay."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from runner.accessors import meta
from runner.engine import Session
from runner.loader import LabError, LoadedLab
from runner.placeholders import substitute


def find_file(loaded: LoadedLab, name: str) -> Path:
    """A path as given (relative to the current directory), else relative to the lab's manifests/<id>/."""
    for p in (Path(name), loaded.manifests / name):
        if p.is_file():
            return p
    raise LabError(f"{name}: no such file (looked in the current directory and {loaded.manifests}/)")


def render_text(sess: Session, path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if "NODE_PORT" in text and "NODE_PORT" not in sess.vars:
        sess.prepare()            # claims this namespace's NodePort
    if "NODE_PORT" in sess.vars:    # "${NODE_PORT}" quoted alone (flow mappings need quotes) is still a number
        text = re.sub(r"""(["'])\$\{NODE_PORT\}\1""", sess.vars["NODE_PORT"], text)
    return str(substitute(text, sess.vars, final=True))


def documents(text: str, path: Path) -> list[dict[str, Any]]:
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise LabError(f"{path}: {where}invalid YAML: {getattr(e, 'problem', None) or e}") from None
    for i, d in enumerate(docs):
        if not isinstance(d, dict) or not d.get("kind") or not meta(d).get("name"):
            raise LabError(f"{path}: document {i + 1}: needs kind and metadata.name")
    return docs


def apply_file(sess: Session, path: Path) -> list[str]:
    from runner.cluster import objects as kobj
    text = render_text(sess, path)
    sess.prepare()
    return kobj.apply_docs(sess.kube, documents(text, path), sess.namespace, sess.lab.id)
