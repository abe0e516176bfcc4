"""The fault suite's disposable cluster: `kubelab-faults` (two nodes, no host ports), created here if it is
not up and healthy, else brought up to date by `cluster.sh up`; deleted at the end when this session created it
(KUBELAB_KEEP_FAULT_CLUSTER=1 keeps it for the next run). The shared `kubelab` cluster is never touched: other
runs use it meanwhile."""
from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.cluster.kubeconfig import cluster_kubeconfig
from tests.clusterup import bring_up, down
from tests.faults.faultkit import REPO, FaultCluster, kubelab_env

NAME = os.environ.get("KUBELAB_FAULT_CLUSTER", "kubelab-faults")


def _cluster_env() -> dict[str, str]:
    return {**os.environ, "KUBELAB_CLUSTER": NAME,
            "KUBELAB_KIND_CONFIG": str(REPO / "manifests" / "cluster" / "kind-plain-2.yaml")}


@pytest.fixture(scope="session")
def fault_cluster(request: pytest.FixtureRequest) -> Iterator[FaultCluster]:
    if NAME == "kubelab":
        pytest.fail("the fault suite stops API servers and restarts nodes: never on the shared cluster", pytrace=False)
    c = FaultCluster(NAME, cluster_kubeconfig().parent / f"kubeconfig-{NAME}")
    t0 = time.monotonic()
    created = not (c.kubeconfig.exists() and c.healthy())
    # `up` also on a healthy cluster: one left by an interrupted run may lack images or add-ons (a reused
    # one without the lab images failed every solve with ImagePullBackOff); `up` loads only what is missing
    created = bring_up(_cluster_env(), NAME) or created
    c.wait_healthy()
    request.config.stash.setdefault("fault_cluster_seconds", round(time.monotonic() - t0, 1))  # type: ignore[call-overload]
    print(f"\nfault cluster {NAME}: {'created' if created else 'reused'} in {time.monotonic() - t0:.0f}s")
    yield c
    c.restore_manifests()
    subprocess.run(["docker", "start", c.control_plane, c.worker], capture_output=True, check=False)
    if created and not os.environ.get("KUBELAB_KEEP_FAULT_CLUSTER"):
        down(_cluster_env())


@pytest.fixture
def cluster(fault_cluster: FaultCluster) -> Iterator[FaultCluster]:
    """The fault cluster, healthy before the test; after it, whatever the test broke is put back and the
    test waits until the cluster has recovered (the next test starts on a healthy cluster)."""
    fault_cluster.wait_healthy()
    yield fault_cluster
    fault_cluster.restore_manifests()
    subprocess.run(["docker", "start", fault_cluster.control_plane, fault_cluster.worker], capture_output=True, check=False)
    fault_cluster.wait_healthy(300)
    # the lab namespaces of this test (unique learners per test): deleted in the background
    fault_cluster.kubectl("delete", "namespace", "-l", "kubelab.io/lab=faults", "--wait=false", check=False)


@pytest.fixture
def env(cluster: FaultCluster, tmp_path: Path):  # type: ignore[no-untyped-def]
    """env(learner) -> the environment of a kubelab process on the fault cluster, with its own state dir."""
    def make(learner: str) -> dict[str, str]:
        return kubelab_env(cluster, tmp_path / "state", learner)
    return make
