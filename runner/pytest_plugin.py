"""pytest plugin: every labs/<id>/lab.yaml (and tests/fixtures/labs/<id>/lab.yaml) is a test item that
runs `kubelab verify` for that lab against the live cluster.

The cluster comes from a session fixture built on pytest-kubernetes: an existing kubeconfig
(--kubelab-kubeconfig, --k8s-kubeconfig, $KUBECONFIG, the one `make cluster` writes, ~/.kube/config)
is wrapped as its "external" provider; with --kubelab-create-cluster and none found,
`kubelab cluster up` (our kind config) is run first. Loaded with `-p runner.pytest_plugin`
(pyproject's addopts does it).
"""
from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runner.cluster.kubeconfig import resolve_kubeconfig
from runner.errors import ClusterUnavailable
from runner.loader import LabError, load_lab_file

if TYPE_CHECKING:   # the Kubernetes client and the engine are imported when a lab item runs: every pytest process
    # loads this plugin (each xdist worker, and the unit runs that never touch a cluster)
    from runner.cluster.client import Kube
    from runner.verify import LabReport


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("kubelab")
    g.addoption("--kubelab-kubeconfig", default=None, help="kubeconfig of the lab cluster")
    g.addoption("--kubelab-context", default=None, help="kubeconfig context (default kind-kubelab if present)")
    g.addoption("--kubelab-parallel", type=int, default=1, help="labs verified concurrently")
    g.addoption("--kubelab-learner", default=os.environ.get("KUBELAB_LEARNER", "verify"),
                help="learner name for the verify namespaces (lab-<id>-<learner>); CI jobs sharing a cluster differ here")
    g.addoption("--kubelab-window", type=float, default=3.0, help="seconds a check must keep failing before solve")
    g.addoption("--kubelab-create-cluster", action="store_true", help="run `kubelab cluster up` if no cluster is found")
    g.addoption("--kubelab-skip-live", action="store_true", help="collect labs but skip live verification")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "lab: a lab verified against the live cluster")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name == "lab.yaml" and file_path.parent.parent.name == "labs":
        return LabFile.from_parent(parent, path=file_path)
    if file_path.name == "lab.yaml" and file_path.parent.parent.name == "broken-labs":
        return BrokenLabFile.from_parent(parent, path=file_path)
    return None


class BrokenLabFile(pytest.File):
    """tests/fixtures/broken-labs/<id>: labs with a wrong solution; verify must fail and say where."""

    def collect(self) -> Iterator[pytest.Item]:
        path = self.path

        def verify_must_fail(request: pytest.FixtureRequest, kubelab_kube: Kube) -> None:
            from runner.verify import failure_lines, verify_lab
            loaded = load_lab_file(path)
            report = verify_lab(kubelab_kube, loaded, request.config.getoption("kubelab_learner"),
                                window=request.config.getoption("kubelab_window"))
            text = "\n".join(failure_lines(report))
            assert not report.ok, f"{loaded.id}: verify passed but the lab's solution is broken"
            failed = next(s for s in report.steps if s.status == "failed")
            assert f"FAILED {loaded.id} / step {failed.step} /" in text, text
            assert "check '" in text and ("expected" in text), text   # names the check, shows expected vs actual
            _assert_clean(kubelab_kube, report.namespace, loaded)

        item = pytest.Function.from_parent(self, name=f"verify_fails[{path.parent.name}]", callobj=verify_must_fail)
        yield item


def _assert_clean(kube: Kube, namespace: str, loaded: Any) -> None:
    """After verify's reset nothing of the run may remain (namespace, labelled cluster objects, PVs)."""
    from runner.cluster.reset import leftovers
    from runner.engine import Session
    left = leftovers(kube, namespace, Session(kube, loaded, "verify").cluster_kinds())
    assert not left, f"reset left behind: {', '.join(left)}"


class LabFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        path = self.path

        def verify_lab_item(request: pytest.FixtureRequest, kubelab_kube: Kube) -> None:
            run_lab(request, kubelab_kube, path)

        # a pytest.Function so fixtures (the session cluster) resolve the ordinary way
        item = pytest.Function.from_parent(self, name=f"verify[{path.parent.name}]", callobj=verify_lab_item)
        item.add_marker("lab")
        yield item


def run_lab(request: pytest.FixtureRequest, kube: Kube, path: Path) -> None:
    from runner.verify import failure_lines, runnable_here
    try:
        loaded = load_lab_file(path)
    except LabError as e:
        pytest.fail(str(e), pytrace=False)
    _, skipped = runnable_here(kube, [loaded])
    if skipped:     # the cluster lacks what the lab `requires:`: skipped with the reason, never passed
        pytest.skip(skipped[0].skipped)
    report = _verified(request.config, kube, loaded, request.session)
    request.node.user_properties.append(("seconds", f"{report.seconds:.1f}"))
    for s in report.steps:
        request.node.user_properties.append((f"step {s.step}", s.status))
    if not report.ok:
        pytest.fail("\n".join(failure_lines(report)), pytrace=False)
    _assert_clean(kube, report.namespace, loaded)


_lock = threading.Lock()


def _verified(config: pytest.Config, kube: Kube, loaded: Any, session: pytest.Session) -> LabReport:
    """With --kubelab-parallel N, the first lab item verifies every collected lab N at a time."""
    from runner.verify import runnable_here, verify_lab, verify_labs
    window, learner = config.getoption("kubelab_window"), config.getoption("kubelab_learner")
    parallel = config.getoption("kubelab_parallel")
    cache: dict[Path, LabReport] = config.__dict__.setdefault("_kubelab_reports", {})
    with _lock:
        if parallel > 1 and not cache:
            paths = [i.path for i in session.items if i.get_closest_marker("lab")]
            labs = []
            for p in paths:
                try:
                    labs.append((p, load_lab_file(p)))
                except LabError:
                    continue
            runnable, _ = runnable_here(kube, [lab for _, lab in labs])
            labs = [(p, lab) for p, lab in labs if lab in runnable]
            # cleanup runs in the background; verify_labs ends with one sweep proving every run left nothing
            for (p, _), report in zip(labs, verify_labs(kube, [lab for _, lab in labs], learner, window, parallel)):
                cache[p] = report
    return cache.get(loaded.dir / "lab.yaml") or verify_lab(kube, loaded, learner, window=window)


@pytest.fixture(scope="session")
def kubelab_cluster(request: pytest.FixtureRequest, k8s_manager: Any) -> Any:
    """The lab cluster as a pytest-kubernetes manager (external provider over our kubeconfig)."""
    opt = request.config.getoption
    path = opt("kubelab_kubeconfig") or opt("k8s_kubeconfig") or resolve_kubeconfig()
    if not path and opt("kubelab_create_cluster"):
        from runner.data import cluster_script
        subprocess.run(["bash", str(cluster_script()), "up"], check=True)   # = kubelab cluster up
        path = resolve_kubeconfig()
    if not path:
        pytest.fail("no kubeconfig for the lab cluster: start it (make cluster) or pass --kubelab-kubeconfig",
                    pytrace=False)
    manager = k8s_manager("external")(cluster_name="kubelab", kubeconfig=Path(path))
    return manager


@pytest.fixture(scope="session")
def kubelab_kube(request: pytest.FixtureRequest, kubelab_cluster: Any) -> Kube:
    from runner.cluster.client import connect
    if request.config.getoption("kubelab_skip_live"):
        pytest.skip("--kubelab-skip-live")
    try:
        return connect(str(kubelab_cluster.kubeconfig), request.config.getoption("kubelab_context"))
    except ClusterUnavailable as e:
        pytest.fail(str(e), pytrace=False)
