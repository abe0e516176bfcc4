"""http checks sent from a lab pod (`http: {pod: ...}`) instead of the runner's client pod: what a
NetworkPolicy lets through depends on who asks, so the lab names the asking pod (also in a run's second
namespace, runner/cluster/companions.py)."""
from __future__ import annotations

import time
from typing import Any

from runner import accessors as k8s
from runner.checks.http import HttpResponse
from runner.cluster import probes
from runner.cluster.client import Kube
from runner.schema import HttpSpec, Target


def running_pod(pods: list[dict[str, Any]]) -> str | None:
    """The first Running pod that is not being deleted (by name, so the choice is stable)."""
    ok = sorted(p["metadata"]["name"] for p in pods
                if k8s.phase(p) == "Running" and not k8s.deleting(p))
    return ok[0] if ok else None


def no_pod(target: Target, namespace: str, pods: list[dict[str, Any]]) -> HttpResponse:
    """Not a network failure: the summary must not read like 'refused' or 'timed out'."""
    what = f"pod {target.name}" if target.name else f"a pod {target.selector_str()}"
    why = "is not Running" if pods else "does not exist"
    why = f"cannot send the request: {what} {why} in {namespace}"
    return HttpResponse(None, error=why, at=time.monotonic(), lost=why)     # no request made: not "no answer"


def from_pod(kube: Kube, spec: HttpSpec, namespace: str, pods: list[dict[str, Any]]) -> HttpResponse:
    """busybox wget in the first Running pod of `pods` (the objects of spec.pod in `namespace`)."""
    assert spec.pod is not None
    name = running_pod(pods)
    if name is None:
        return no_pod(spec.pod, namespace, pods)
    at = time.monotonic()
    out = probes.pod_exec(kube, namespace, name, probes.wget_command(spec), timeout=spec.request_timeout + 5)
    if out.exit_code is None:      # exec timed out: the channel stalled (wget itself is bounded by `timeout`)
        return HttpResponse(None, error="exec timed out", at=at, lost=f"exec in {name} gave no exit status in time")
    r = probes.parse_wget(out.stdout, out.stderr, out.exit_code, at)
    if r.status is None and r.error and "executable file not found" in r.error:
        r.error = f"pod {name} has no wget (the request needs a busybox image): {r.error}"
    return r
