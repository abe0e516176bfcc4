"""kubelab on a cluster that is not the default kind one (issue 7.6): `kubelab-alt`, one node, no host port
mappings, another context name, and of the add-ons only metrics-server (no shared Traefik, no NetworkPolicy
enforcement). Labs that declare what it lacks are listed "not runnable on this cluster: <reason>" and skipped
(never passed); a `from: host` NodePort check still passes, sent from inside the cluster to the node's address.

The cluster is created here when it is not up, and reused while its content key (its kind config, its add-ons,
the pinned versions) is the same; deleted at the end when this session created it, unless
KUBELAB_KEEP_ALT_CLUSTER=1. The shared `kubelab` cluster is never touched.
`make test-any-cluster` adds the long item: every lab verified there (the runnable pass, the others skipped)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.cluster.kubeconfig import cluster_kubeconfig
from tests.clusterup import bring_up, down

REPO = Path(__file__).resolve().parents[2]
NAME = "kubelab-alt"
CONFIG = REPO / "manifests" / "cluster" / "kind-plain.yaml"
ADDONS = "metrics-server"
FIXTURES = REPO / "tests" / "fixtures" / "any-cluster"
# What kubelab-alt lacks, by lab: the reason's first words (runner/requires.py).
NOT_RUNNABLE = {"ingress": "needs the shared Traefik add-on", "gateway": "needs the shared Traefik add-on",
                "networkpolicy": "needs a network plugin that enforces NetworkPolicy",
                "pv-pvc": "needs a schedulable node without the control-plane role",
                "daemonset": "needs a node tainted NoSchedule"}

pytestmark = pytest.mark.any_cluster


def content_key() -> str:
    parts = [CONFIG.read_bytes(), ADDONS.encode(), (REPO / "build" / "versions.env").read_bytes(),
             (REPO / "build" / "addons.sh").read_bytes()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def _env() -> dict[str, str]:
    return {**os.environ, "KUBELAB_CLUSTER": NAME, "KUBELAB_KIND_CONFIG": str(CONFIG), "KUBELAB_ADDONS": ADDONS}


def _healthy(kubeconfig: Path) -> bool:
    r = subprocess.run(["docker", "exec", f"{NAME}-control-plane", "kubectl", "--kubeconfig",
                        "/etc/kubernetes/admin.conf", "get", "--raw", "/readyz", "--request-timeout=10s"],
                       capture_output=True, text=True, check=False)
    return kubeconfig.is_file() and r.returncode == 0


@pytest.fixture(scope="module")
def alt_kubeconfig() -> Iterator[Path]:
    kubeconfig = cluster_kubeconfig().parent / f"kubeconfig-{NAME}"
    key_file = cluster_kubeconfig().parent / f"{NAME}.key"
    key = content_key()
    t0 = time.monotonic()
    same = key_file.is_file() and key_file.read_text().strip() == key
    reuse = same and _healthy(kubeconfig)
    if not reuse:
        if not same:     # another config or add-on set: a fresh cluster, never one that differs otherwise
            down(_env())
        bring_up(_env(), NAME)
        key_file.write_text(key + "\n")
    print(f"\ncluster {NAME}: {'reused' if reuse else 'created'} in {time.monotonic() - t0:.0f}s")
    yield kubeconfig
    if not reuse and not os.environ.get("KUBELAB_KEEP_ALT_CLUSTER"):
        down(_env())
        key_file.unlink(missing_ok=True)


def kubelab(kubeconfig: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runner", "--plain", "--kubeconfig", str(kubeconfig),
                           "--learner", "anyc", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_list_names_what_the_cluster_lacks(alt_kubeconfig: Path) -> None:
    r = kubelab(alt_kubeconfig, "--json", "list", timeout=180)
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    for lab, reason in NOT_RUNNABLE.items():
        assert (rows[lab]["not_runnable"] or "").startswith(f"not runnable on this cluster: {reason}"), rows[lab]
    runnable = {lab for lab, row in rows.items() if row["not_runnable"] is None}
    assert runnable == set(rows) - set(NOT_RUNNABLE)
    assert {"service", "hpa", "statefulset"} <= runnable   # adapted, metrics-server, local-path


def test_verify_skips_a_lab_the_cluster_cannot_run(alt_kubeconfig: Path) -> None:
    """Named on the command line but not runnable: the reason, counted skipped, exit 3, nothing created; `run` of
    such a lab stops at once with the reason."""
    r = kubelab(alt_kubeconfig, "verify", str(FIXTURES / "needs-traefik"), "ingress", timeout=180)
    out = r.stdout + r.stderr
    assert r.returncode == 3, out
    assert "needs-traefik: not runnable on this cluster: needs the shared Traefik add-on" in out
    assert "a network plugin that enforces NetworkPolicy" in out
    assert "0 passed, 0 failed, 2 skipped (not runnable on this cluster: needs-traefik, ingress)" in out
    ns = subprocess.run(["kubectl", "--kubeconfig", str(alt_kubeconfig), "get", "ns", "-o", "name"],
                        capture_output=True, text=True, check=True).stdout
    assert "lab-needs-traefik-" not in ns and "lab-ingress-verify-anyc" not in ns, ns     # verify namespaces
    run = kubelab(alt_kubeconfig, "run", "ingress", timeout=180)
    assert run.returncode == 3 and "kubelab run ingress: not runnable on this cluster: needs the shared Traefik" \
        in run.stderr, run.stdout + run.stderr


def test_nodeport_check_from_this_machine_runs_in_cluster(alt_kubeconfig: Path) -> None:
    """127.0.0.1:${NODE_PORT} is not mapped here: the check goes from the client pod to the node's address, and
    verify still proves it fails before the Service exists and passes after."""
    r = kubelab(alt_kubeconfig, "verify", str(FIXTURES / "nodeport-host"), timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nodeport-host / nodeport: passed" in r.stdout and "nodeport-host: OK" in r.stdout, r.stdout


@pytest.mark.any_cluster_all
def test_every_lab_on_the_alt_cluster(alt_kubeconfig: Path) -> None:
    """Issue 7.6's acceptance: the labs that can run there pass verify; the others are skipped with the reason."""
    r = kubelab(alt_kubeconfig, "verify", "--parallel", "2", timeout=5400)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    for lab, reason in NOT_RUNNABLE.items():
        assert f"{lab}: not runnable on this cluster: {reason}" in out, out
    assert f"failed, {len(NOT_RUNNABLE)} skipped" in out and " 0 failed" in out, out
