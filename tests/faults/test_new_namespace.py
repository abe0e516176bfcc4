"""A namespace just created has no `default` ServiceAccount until kube-controller-manager adds it; pods are
refused meanwhile (403 "error looking up service account"). The runner waits for it wherever it creates a
namespace: here the controller is away for a while, so the window is seconds long instead of milliseconds."""
from __future__ import annotations

import threading
import time

import pytest

from runner.cluster import objects as kobj
from runner.cluster.client import connect
from runner.engine import Session
from runner.loader import load_lab_file
from tests.faults.faultkit import LAB

pytestmark = pytest.mark.faults

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "first"},
       "spec": {"terminationGracePeriodSeconds": 0, "containers": [
           {"name": "c", "image": "docker.io/library/busybox:1.35.0", "imagePullPolicy": "IfNotPresent",
            "command": ["sleep", "3600"]}]}}


def test_pods_right_after_a_new_namespace(cluster, record_property):
    kube = connect(str(cluster.kubeconfig), f"kind-{cluster.name}")
    sess = Session(kube, load_lab_file(LAB / "lab.yaml"), "fs")
    cluster.move_manifest("kube-controller-manager", away=True)
    cluster.wait("kube-controller-manager stopped", lambda: not cluster.kubectl(
        "-n", "kube-system", "get", "pod", f"kube-controller-manager-{cluster.control_plane}", check=False).stdout.count("Running"), 120)
    done: list[BaseException | None] = []
    t = threading.Thread(target=lambda: done.append(_prepare(sess)), daemon=True)
    t0 = time.monotonic()
    t.start()
    try:
        time.sleep(8)
        assert not done, "prepare() returned although the namespace has no default ServiceAccount"
        sa = cluster.kubectl("-n", sess.namespace, "get", "serviceaccount", "default", check=False)
        assert sa.returncode != 0, "the controller is away, yet the ServiceAccount exists: the window was not opened"
    finally:
        cluster.move_manifest("kube-controller-manager", away=False)
    t.join(180)
    assert done == [None], done
    record_property("waited_for_service_account_s", round(time.monotonic() - t0, 1))
    # at once, as a step's apply does: accepted, no 403
    assert kobj.apply_docs(kube, [dict(POD)], sess.namespace, "faults") == ["Pod/first"]


def _prepare(sess: Session) -> BaseException | None:
    try:
        sess.prepare()
        return None
    except BaseException as e:  # noqa: BLE001 - reported by the test
        return e
