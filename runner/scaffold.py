"""`kubelab new <id>`: a small working lab to start from (templates in runner/templates/new-lab/).

Layout written (root = the folder holding the labs folder):
  labs/<id>/lab.yaml, 01-scale.md, 01-scale.ko.md   the lab and its text
  manifests/<id>/web.yaml                           what the step applies
  schema/lab.schema.json                            for the editor (the lab.yaml's first line names it)
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from runner.data import schema_file

TEMPLATES = Path(__file__).resolve().parent / "templates" / "new-lab"
MANIFESTS = ("web.yaml",)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ScaffoldError(Exception):
    """Why the lab cannot be created; str() is one line."""


def render(template: str, lab_id: str, schema_ref: str) -> str:
    return template.replace("__ID__", lab_id).replace("__SCHEMA__", schema_ref)


def plan(labs: Path, lab_id: str) -> dict[Path, str]:
    """The files to write (path -> content); pure apart from reading the templates and the schema."""
    if not _ID.match(lab_id):
        raise ScaffoldError(f"lab id {lab_id!r}: use lowercase letters, digits and '-' (like pv-pvc)")
    lab_dir, root = labs / lab_id, labs.parent
    schema_path = root / "schema" / "lab.schema.json"
    schema_ref = os.path.relpath(schema_path, lab_dir)
    files: dict[Path, str] = {}
    for t in sorted(TEMPLATES.iterdir()):
        dest = (root / "manifests" / lab_id if t.name in MANIFESTS else lab_dir) / t.name
        files[dest] = render(t.read_text(encoding="utf-8"), lab_id, schema_ref)
    files[schema_path] = schema_file().read_text(encoding="utf-8")
    return files


def create(labs: Path, lab_id: str) -> list[Path]:
    """Write a new lab; never overwrites a lab or manifest (the schema file is refreshed)."""
    files = plan(labs, lab_id)
    taken = [p for p in files if p.exists() and p.name != "lab.schema.json"]
    if (labs / lab_id).exists() or taken:
        raise ScaffoldError(f"{labs / lab_id if (labs / lab_id).exists() else taken[0]} already exists: "
                            "pick another id or remove it")
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return list(files)
