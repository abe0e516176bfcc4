"""Layering: the checks are pure verdicts on what was observed; only runner/cluster talks to the API."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EDGE = ("runner.cluster", "kubernetes", "urllib3", "websocket")


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def test_checks_never_import_the_cluster_edge():
    bad = [f"{p.relative_to(ROOT)}: {name}" for p in sorted((ROOT / "runner" / "checks").glob("*.py"))
           for name in imports(p) if name.startswith(EDGE) or name in ("runner.cluster",)]
    assert not bad, "runner/checks must stay pure (no API access):\n" + "\n".join(bad)


def test_the_rule_sees_an_edge_import(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("from runner.cluster.client import call\nimport kubernetes.client\nfrom runner import cluster\n")
    assert [n for n in imports(p) if n.startswith(EDGE)] == ["runner.cluster.client", "runner.cluster.client.call",
                                                              "kubernetes.client", "runner.cluster"]
