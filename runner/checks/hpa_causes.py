"""Why a HorizontalPodAutoscaler (autoscaling/v2) does not do what a check waits for, in a learner's
words (pure): it cannot reach its target or read its metric (a condition is False), it holds the
replicas for its scale-down stabilization window, or the metric is simply where it is (load still
running, or none yet). The cluster edge (runner/cluster/explain.py) passes the object."""
from __future__ import annotations

from typing import Any

from runner.accessors import name as obj_name
from runner.accessors import spec as spec_of
from runner.accessors import status
from runner.checks.hpa_state import conditions, scale_down_window, utilizations


def utilization_text(hpa: dict[str, Any]) -> list[str]:
    """'cpu 240% of the request, above the target 50%' per utilization metric; '<unknown>' while none is read."""
    out = []
    for name, now, target in utilizations(hpa):
        if now is None or target is None:
            out.append(f"{name} <unknown> of the request (target {target}%)")
        else:
            side = "above" if now > target else "below" if now < target else "at"
            out.append(f"{name} {now}% of the request, {side} the target {target}%")
    return out


def hpa_causes(hpa: dict[str, Any]) -> list[str]:
    """The reasons, most specific first; a condition that is False says all (nothing else is added)."""
    name = obj_name(hpa)
    what = f"HorizontalPodAutoscaler {name}"
    conds = conditions(hpa)
    broken = [f"{what}: {t} is False ({c.get('reason')}): {c.get('message', '')}".rstrip(": ")
              for t in ("AbleToScale", "ScalingActive") if (c := conds.get(t)) and c.get("status") == "False"]
    if broken:
        return broken
    st = status(hpa)
    spec = spec_of(hpa)
    replicas = (f"{st.get('currentReplicas', '?')} replicas, desired {st.get('desiredReplicas', '?')} "
                f"(min {spec.get('minReplicas', 1)}, max {spec.get('maxReplicas', '?')})")
    out = []
    able = conds.get("AbleToScale") or {}
    usages = utilizations(hpa)
    low = bool(usages) and all(now is not None and target is not None and now < target for _, now, target in usages)
    # the controller says ScaleDownStabilized at the minimum too: it only explains replicas above it, unneeded by load
    if able.get("reason") == "ScaleDownStabilized" and low and \
            int(st.get("currentReplicas") or 0) > int(spec.get("minReplicas") or 1):
        out.append(f"{what} keeps {st.get('currentReplicas', '?')} replicas during its scale-down stabilization "
                   f"window (behavior.scaleDown.stabilizationWindowSeconds: {scale_down_window(hpa)}): "
                   f"{able.get('message', '')}".rstrip(": "))
    usage = utilization_text(hpa)
    if usage:
        limited = conds.get("ScalingLimited") or {}
        extra = f"; {limited.get('reason')}: {limited.get('message')}" if limited.get("status") == "True" else ""
        out.append(f"{what}: {', '.join(usage)}; {replicas}{extra}")
    return out
