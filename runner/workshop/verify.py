"""`kubelab verify` with a workshop learner's kubeconfig: in the learner's provisioned verify namespace
(lab-<id>-verify-<learner>), one run at a time per lab (a lock ConfigMap), cleaned object by object after.

Single-user verify takes a fresh namespace per run; a learner may not create namespaces, so here the run
starts by noting what the namespace holds (kept by the cleanup, and events in it ignored by the checks).
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from runner.cluster.client import Kube, call
from runner.errors import Conflict, describe_error
from runner.loader import LoadedLab
from runner.placeholders import namespace_for
from runner.verify import PRECHECK_WINDOW, SWEEP_TIMEOUT, LabReport, StepReport, verify_steps
from runner.workshop import cleanup
from runner.workshop.session import WorkshopSession, instructor_fix

LOCK = "kubelab-verify-lock"


def verify_namespace(lab_id: str, learner: str) -> str:
    return namespace_for(lab_id, f"verify-{learner}")


def _lock(kube: Kube, namespace: str) -> None:
    cm = kube.resource("v1", "ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": LOCK, "labels": {"kubelab.io/role": "runner"}},
            "data": {"host": socket.gethostname(), "pid": str(os.getpid()), "started": time.strftime("%H:%M:%S")}}
    try:
        call(cm.create, body=body, namespace=namespace)
    except Conflict:
        held = call(cm.get, name=LOCK, namespace=namespace).to_dict().get("data") or {}
        raise RuntimeError(f"another verify runs in {namespace} (pid {held.get('pid')} on {held.get('host')} since "
                           f"{held.get('started')}); if it is gone: kubectl -n {namespace} delete configmap {LOCK}") from None


def _unlock(kube: Kube, namespace: str) -> None:
    try:
        call(kube.resource("v1", "ConfigMap").delete, name=LOCK, namespace=namespace)
    except Exception:  # noqa: BLE001 - already gone
        pass


def verify_lab(kube: Kube, loaded: LoadedLab, learner: str, window: float = PRECHECK_WINDOW, keep: bool = False,
               on_step: Callable[[str, StepReport], None] | None = None) -> LabReport:
    t0 = time.monotonic()
    ns = verify_namespace(loaded.id, learner)
    report = LabReport(loaded.id, ns)
    try:
        _lock(kube, ns)
    except Exception as e:  # noqa: BLE001 - the namespace missing (403/404) or another run in it
        msg = describe_error(e) if not isinstance(e, RuntimeError) else str(e)
        report.error = msg if isinstance(e, RuntimeError) else f"{msg}: {instructor_fix(loaded.id, learner)}"
        return report
    sess: WorkshopSession | None = None
    try:
        probe = WorkshopSession(kube, loaded, learner, namespace=ns)
        kinds = cleanup.kinds_for(kube, probe.cluster_kinds())
        before = cleanup.snapshot(kube, probe.namespaces(), kinds)
        sess = WorkshopSession(kube, loaded, learner, namespace=ns, before=before)
        sess.prepare()
        verify_steps(sess, report, window, on_step)
    except Exception as e:  # noqa: BLE001 - a lab-level error is the lab's report
        report.error = describe_error(e) if not isinstance(e, (RuntimeError, PermissionError)) else str(e)
    finally:
        if sess is not None:
            sess.close()
            if not keep:
                try:
                    report.reset = sess.reset(SWEEP_TIMEOUT)
                except TimeoutError as e:
                    report.left = [str(e)]
                    report.error = report.error or f"left behind: {e}"
                except Exception as e:  # noqa: BLE001
                    report.error = report.error or f"reset failed: {describe_error(e)}"
        _unlock(kube, ns)
    report.seconds = time.monotonic() - t0
    return report


def verify_labs(kube: Kube, labs: list[LoadedLab], learner: str, window: float = PRECHECK_WINDOW,
                parallel: int = 1, keep: bool = False,
                on_step: Callable[[str, StepReport], None] | None = None) -> list[LabReport]:
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return list(pool.map(lambda lab: verify_lab(kube, lab, learner, window, keep, on_step), labs))
