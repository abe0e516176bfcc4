"""The worker node restarted during a step: verify gives a clear verdict (passed, or FAILED naming the step
and check), the cluster recovers, and `kubelab cluster up` (what `make cluster` runs) repairs a cluster whose
node did not come back, without recreating it."""
from __future__ import annotations

import re
import subprocess
import time

import pytest

from tests.faults.conftest import _cluster_env
from tests.faults.faultkit import LAB, REPO, Proc

pytestmark = pytest.mark.faults

VERDICT = re.compile(r"^(FAILED faults / step \w+ / [\w-]+: .+|faults: error: .+)$", re.MULTILINE)


def test_worker_restarted_during_a_step(cluster, env, record_property):
    verify = Proc(("--lang", "en", "--plain", "verify", str(LAB)), env("fw")).start()
    verify.wait_for(r"faults / web: passed", 300)
    t0 = time.monotonic()
    subprocess.run(["docker", "restart", "-t", "0", cluster.worker], check=True, capture_output=True, timeout=120)
    rc = verify.finish(600)
    assert "Traceback" not in verify.text, verify.text
    assert rc in (0, 1), verify.text
    if rc == 0:
        assert "faults: OK" in verify.text, verify.text
    else:   # a clear verdict: which step and check, or the lab-level error, in one line
        assert VERDICT.search(verify.text), verify.text
    record_property("verify_rc", rc)
    cluster.wait("the worker Ready again", cluster.healthy, 300, 2.0)
    record_property("recovered_s", round(time.monotonic() - t0, 1))


def test_cluster_up_repairs_a_node_that_did_not_come_back(cluster, record_property):
    subprocess.run(["docker", "stop", "-t", "0", cluster.worker], check=True, capture_output=True, timeout=120)
    cluster.wait("the worker NotReady", lambda: not cluster.healthy(), 120, 2.0)
    t0 = time.monotonic()
    r = subprocess.run(["bash", str(REPO / "build" / "cluster.sh"), "up"], env=_cluster_env(), capture_output=True,
                       text=True, timeout=900)
    record_property("repair_s", round(time.monotonic() - t0, 1))
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"node {cluster.worker} is stopped: starting it" in r.stderr, r.stderr[-3000:]
    assert "recreating" not in r.stderr and "creating cluster" not in r.stderr, r.stderr[-3000:]
    cluster.wait("a healthy cluster", cluster.healthy, 180, 2.0)
