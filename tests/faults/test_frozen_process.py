"""A node holding a frozen process group (cgroup v1 freezer: runc freezes a container while it changes its device
rules, and a node stopped at that moment keeps it frozen). Seen on this machine: the frozen `runc init` never
died, Docker could not kill the node, `kind delete` failed and `make cluster` ended with a bare error. `down`
(and the recreate path of `up`, which uses the same deletion) thaws the node's process groups first. kubelab's
clusters now use the cgroupfs driver, whose runc does not freeze; a frozen group can still come from a cluster
made before, or from anyone writing the freezer."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.faults.conftest import _cluster_env
from tests.faults.faultkit import REPO

pytestmark = pytest.mark.faults

FREEZER = Path("/sys/fs/cgroup/freezer/docker")
CONTAINER = re.compile(r"(cri-containerd-)?[0-9a-f]{64}(\.scope)?")


def test_down_deletes_a_node_with_a_frozen_process_group(cluster, record_property):
    if not FREEZER.is_dir():
        pytest.skip("the host has no cgroup v1 freezer: this fault cannot happen here")
    node_id = subprocess.run(["docker", "inspect", "-f", "{{.Id}}", cluster.worker], capture_output=True, text=True,
                             check=True).stdout.strip()
    # a container's group: <64 hex digits> under kubepods (cgroupfs driver), cri-containerd-<id>.scope (systemd)
    scopes = sorted(d for d in (FREEZER / node_id).rglob("*") if d.is_dir() and CONTAINER.fullmatch(d.name))
    assert scopes, f"no container process group under the worker's freezer cgroup {FREEZER / node_id}"
    (scopes[0] / "freezer.state").write_text("FROZEN\n")
    try:
        r = subprocess.run(["bash", str(REPO / "build" / "cluster.sh"), "down"], env=_cluster_env(),
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        assert f"thawed a frozen process group in node {cluster.worker}" in r.stderr, r.stderr[-3000:]
        left = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=io.x-k8s.kind.cluster={cluster.name}"],
                              capture_output=True, text=True, check=True).stdout.split()
        assert not left, f"node containers left after down: {left}"
    finally:
        # the next tests need their cluster back
        up = subprocess.run(["bash", str(REPO / "build" / "cluster.sh"), "up"], env=_cluster_env(),
                            capture_output=True, text=True, timeout=1800)
        record_property("recreate_rc", up.returncode)
    assert up.returncode == 0, up.stderr[-3000:]
    cluster.wait("a healthy cluster", cluster.healthy, 300, 2.0)
