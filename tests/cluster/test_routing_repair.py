"""The fault of a whole workshop day, made by hand: kube-proxy's Service map emptied on one node.
`kubelab cluster status` must name that node and what is broken, and `make cluster` (build/cluster.sh up)
must repair it in place (restart kube-proxy there), never by recreating the cluster. It breaks routing
for everyone for about a minute: `make test` runs it alone, never beside learners."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from kubernetes import client
from test_health import kube_proxy_pods  # same directory (rootdir-relative import)

from runner.cluster.client import Kube, connect
from runner.cluster.health import check
from runner.cluster.probes import pod_exec

ROOT = Path(__file__).resolve().parents[2]


def worker(core: client.CoreV1Api) -> str:
    nodes = [n.metadata.name for n in core.list_node().items
             if "node-role.kubernetes.io/control-plane" not in (n.metadata.labels or {})]
    return sorted(nodes)[0] if nodes else core.list_node().items[0].metadata.name


def keep_flushing(kube: Kube, pod: str, stop: threading.Event) -> None:
    """Empty the map again every 2 s until `up` deletes this kube-proxy pod (the exec then fails): the other
    runs of a busy cluster make kube-proxy sync, which refilled the map once before `up` could see it broken."""
    while not stop.wait(2.0):
        try:
            pod_exec(kube, "kube-system", pod, ["nft", "flush", "map", "ip", "kube-proxy", "service-ips"])
        except Exception:  # noqa: BLE001 - the pod is gone: `up` restarted kube-proxy
            return


def test_status_names_the_broken_node_and_make_cluster_repairs_it(core: client.CoreV1Api) -> None:
    kube = connect()
    node = worker(core)
    before = {n.metadata.name: n.metadata.creation_timestamp for n in core.list_node().items}
    proxy = kube_proxy_pods(core)[node]
    out = pod_exec(kube, "kube-system", proxy, ["nft", "flush", "map", "ip", "kube-proxy", "service-ips"])
    assert out.exit_code == 0, out.stderr
    stop = threading.Event()
    flusher = threading.Thread(target=keep_flushing, args=(kube, proxy, stop), daemon=True)
    flusher.start()
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
        try:
            up = subprocess.run(["bash", "build/cluster.sh", "up"], cwd=ROOT, capture_output=True, text=True, timeout=900)
        finally:
            stop.set()
            flusher.join(30)
    log = up.stdout + up.stderr
    assert up.returncode == 0, log[-3000:]
    assert "Service routing repaired" in log and "creating cluster" not in log, log[-3000:]
    # the same nodes: repaired in place, nobody's namespaces lost
    assert {n.metadata.name: n.metadata.creation_timestamp for n in core.list_node().items} == before
    # then every node's probes pass; right after the restart one DNS lookup once came back empty (a clean-clone run, load ~50)
    deadline = time.monotonic() + 60
    while not (report := check(kube)).ok and time.monotonic() < deadline:
        time.sleep(5)
    assert report.ok, report.problems
