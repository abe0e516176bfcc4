"""The fault of a whole workshop day, made by hand: kube-proxy's Service map emptied on one node.
`kubelab cluster status` must name that node and what is broken, and `make cluster` (build/cluster.sh up)
must repair it in place (restart kube-proxy there), never by recreating the cluster. It breaks routing
for everyone for about a minute: `make test` runs it alone, never beside learners."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from kubernetes import client
from test_health import kube_proxy_pods  # same directory (rootdir-relative import)

from runner.cluster.client import connect
from runner.cluster.health import check
from runner.cluster.probes import pod_exec

ROOT = Path(__file__).resolve().parents[2]


def worker(core: client.CoreV1Api) -> str:
    nodes = [n.metadata.name for n in core.list_node().items
             if "node-role.kubernetes.io/control-plane" not in (n.metadata.labels or {})]
    return sorted(nodes)[0] if nodes else core.list_node().items[0].metadata.name


def test_status_names_the_broken_node_and_make_cluster_repairs_it(core: client.CoreV1Api) -> None:
    kube = connect()
    node = worker(core)
    before = {n.metadata.name: n.metadata.creation_timestamp for n in core.list_node().items}
    out = pod_exec(kube, "kube-system", kube_proxy_pods(core)[node],
                   ["nft", "flush", "map", "ip", "kube-proxy", "service-ips"])
    assert out.exit_code == 0, out.stderr
    try:
        t0 = time.monotonic()
        st = subprocess.run([sys.executable, "-m", "runner", "--plain", "cluster", "status"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
        took = time.monotonic() - t0
        print(f"kubelab cluster status answered in {took:.1f}s")
        text = st.stdout + st.stderr
        assert st.returncode != 0, text
        assert f"node {node}: Service routing broken" in text and "make cluster" in text, text
    finally:
        up = subprocess.run(["bash", "build/cluster.sh", "up"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    log = up.stdout + up.stderr
    assert up.returncode == 0, log[-3000:]
    assert "Service routing repaired" in log and "creating cluster" not in log, log[-3000:]
    # the same nodes: repaired in place, nobody's namespaces lost
    assert {n.metadata.name: n.metadata.creation_timestamp for n in core.list_node().items} == before
    assert check(kube).ok
