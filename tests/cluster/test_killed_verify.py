"""A `kubelab verify` killed with -9 before its cleanup leaves its namespace holding a NodePort (there are five):
`kubelab reset <lab>` of the same learner on the same machine removes it, and never a live run's namespace."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from kubernetes import client

from runner.cluster.nodeports import ANNOTATION
from runner.cluster.objects import LAB_LABEL

KUBELAB = [sys.executable, "-m", "runner.cli", "--plain"]


def _claimed_runs(core: client.CoreV1Api, prefix: str) -> dict[str, str]:
    """The run namespaces with this prefix that are not being deleted, and the NodePort each claimed."""
    return {ns.metadata.name: (ns.metadata.annotations or {}).get(ANNOTATION, "")
            for ns in core.list_namespace(label_selector=f"{LAB_LABEL}=service").items
            if ns.metadata.name.startswith(prefix) and not ns.metadata.deletion_timestamp}


def _start_verify(env: dict[str, str], core: client.CoreV1Api, prefix: str, known: set[str]) -> tuple[subprocess.Popen[bytes], str]:
    p = subprocess.Popen([*KUBELAB, "verify", "service"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        new = {ns: port for ns, port in _claimed_runs(core, prefix).items() if ns not in known and port}
        if new:
            return p, next(iter(new))
        assert p.poll() is None, f"verify ended (rc {p.returncode}) before it claimed a NodePort"
        time.sleep(0.3)
    os.killpg(p.pid, signal.SIGKILL)
    raise AssertionError("no run namespace with a NodePort claim after 120 s")


def _reset(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KUBELAB, "reset", "service"], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_reset_removes_a_killed_verify_run_and_never_a_live_one(core: client.CoreV1Api, tmp_path: Path) -> None:
    learner = f"kv{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "KUBELAB_LEARNER": learner, "PYTHONUNBUFFERED": "1"}
    prefix = f"lab-service-verify-{learner}-"
    try:
        _killed_then_live(env, core, prefix)
        assert list((tmp_path / "kubelab" / "verify-runs").glob("*.json")) == []
    finally:      # this test's own runs, whatever failed: their NodePorts are needed by the lab cases after it
        for ns in _claimed_runs(core, prefix):
            core.delete_namespace(ns)


def _killed_then_live(env: dict[str, str], core: client.CoreV1Api, prefix: str) -> None:
    killed, dead = _start_verify(env, core, prefix, set())
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(30)
    live, alive = _start_verify(env, core, prefix, {dead})
    try:
        time.sleep(2)                                  # the dead run's namespace and claim outlive it
        assert dead in _claimed_runs(core, prefix)
        r = _reset(env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"Namespace/{dead} (a killed verify run's)" in r.stdout, r.stdout
        runs = _claimed_runs(core, prefix)
        assert dead not in runs, r.stdout
        assert alive in runs and live.poll() is None, f"the live run was touched: {r.stdout}"
    finally:
        os.killpg(live.pid, signal.SIGKILL)
        live.wait(30)
    r = _reset(env)                                    # now that one is a killed run too
    assert r.returncode == 0 and f"Namespace/{alive} (a killed verify run's)" in r.stdout, r.stdout + r.stderr
    assert _claimed_runs(core, prefix) == {}
