"""Layering: the checks are pure verdicts on what was observed; only runner/cluster talks to the API."""
from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EDGE = ("runner.cluster", "kubernetes", "urllib3", "websocket")


@functools.cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(parsed(path)):
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


# The client library's exceptions, and the edge's helpers that read them, stay under runner/cluster/: above it
# errors are runner.errors' (translated in runner/cluster/client.py).
CLIENT_ERRORS = ("kubernetes.client.exceptions", "kubernetes.client.rest", "kubernetes.dynamic.exceptions",
                 "urllib3", "websocket")
ERROR_NAMES = {"ApiException", "ApiValueError", "ApiTypeError", "OpenApiException", "DynamicApiError", "NotFoundError",
               "ForbiddenError", "UnauthorizedError", "ConflictError", "BadRequestError", "UnprocessibleEntityError",
               "GoneError", "ResourceNotFoundError", "MaxRetryError", "ProtocolError", "HTTPError"}
RAW_HELPERS = {f"runner.cluster.client.{n}" for n in
               ("status_of", "is_transient", "is_permanent", "warming_up", "was_away", "is_not_yet", "is_schema_error",
                "describe_error")}


def client_error_uses(path: Path) -> list[str]:
    tree = parsed(path)
    out = [n for n in imports(path) if n.startswith(CLIENT_ERRORS) or n in RAW_HELPERS]
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ERROR_NAMES:
            out.append(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in ERROR_NAMES:
            out.append(f".{node.attr}")
    return out


def above_the_edge() -> list[Path]:
    return [p for p in sorted((ROOT / "runner").rglob("*.py")) if (ROOT / "runner" / "cluster") not in p.parents]


def test_client_library_errors_never_leak_above_the_cluster_edge():
    bad = [f"{p.relative_to(ROOT)}: {use}" for p in above_the_edge() for use in client_error_uses(p)]
    assert not bad, ("catch runner.errors' classes (NotFound, Forbidden, ApiUnavailable...) above runner/cluster/; "
                     "translate the client library's errors there:\n" + "\n".join(bad))


def test_the_error_rule_sees_each_way_in(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("from kubernetes.dynamic.exceptions import NotFoundError\nimport kubernetes.client\n"
                 "from runner.cluster.client import status_of\n"
                 "def f(e):\n    return isinstance(e, kubernetes.client.ApiException)\n")
    assert client_error_uses(p) == ["kubernetes.dynamic.exceptions", "kubernetes.dynamic.exceptions.NotFoundError",
                                    "runner.cluster.client.status_of", ".ApiException"]
    assert len(above_the_edge()) > 50 and not any("cluster" == p.parent.name for p in above_the_edge())
