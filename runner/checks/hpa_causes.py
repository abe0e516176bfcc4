"""Why a HorizontalPodAutoscaler (autoscaling/v2) does not do what a check waits for, in a learner's
words (pure): it cannot reach its target or read its metric (a condition is False), it holds the
replicas for its scale-down stabilization window, or the metric is simply where it is (load still
running, or none yet). The cluster edge (runner/cluster/explain.py) passes the object."""
from __future__ import annotations

from typing import Any

DEFAULT_SCALE_DOWN_WINDOW = 300   # seconds, the API's default for behavior.scaleDown.stabilizationWindowSeconds


def _conditions(hpa: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c.get("type")): c for c in (hpa.get("status") or {}).get("conditions") or []}


def _metric_name(m: dict[str, Any]) -> tuple[str, str] | None:
    """(source key, metric name) of a Resource or ContainerResource metric, else None."""
    for key in ("resource", "containerResource"):
        if m.get("type") in ("Resource", "ContainerResource") and m.get(key):
            return key, str(m[key].get("name"))
    return None


def _utilizations(hpa: dict[str, Any]) -> list[tuple[str, int | None, int | None]]:
    """(resource name, current %, target %) per utilization metric; current None while none is read."""
    current = {}
    for m in (hpa.get("status") or {}).get("currentMetrics") or []:
        found = _metric_name(m)
        if found:
            current[found[1]] = ((m[found[0]].get("current") or {}).get("averageUtilization"))
    out = []
    for m in (hpa.get("spec") or {}).get("metrics") or []:
        found = _metric_name(m)
        target = ((m[found[0]].get("target") or {}) if found else {})
        if found and target.get("type") == "Utilization":
            out.append((found[1], current.get(found[1]), target.get("averageUtilization")))
    return out


def utilization(hpa: dict[str, Any]) -> list[str]:
    """'cpu 240% of the request, above the target 50%' per utilization metric; '<unknown>' while none is read."""
    out = []
    for name, now, target in _utilizations(hpa):
        if now is None or target is None:
            out.append(f"{name} <unknown> of the request (target {target}%)")
        else:
            side = "above" if now > target else "below" if now < target else "at"
            out.append(f"{name} {now}% of the request, {side} the target {target}%")
    return out


def scale_down_window(hpa: dict[str, Any]) -> int:
    down = (((hpa.get("spec") or {}).get("behavior") or {}).get("scaleDown") or {})
    window = down.get("stabilizationWindowSeconds")
    return DEFAULT_SCALE_DOWN_WINDOW if window is None else int(window)


def hpa_causes(hpa: dict[str, Any]) -> list[str]:
    """The reasons, most specific first; a condition that is False says all (nothing else is added)."""
    name = str((hpa.get("metadata") or {}).get("name", "?"))
    what = f"HorizontalPodAutoscaler {name}"
    conds = _conditions(hpa)
    broken = [f"{what}: {t} is False ({c.get('reason')}): {c.get('message', '')}".rstrip(": ")
              for t in ("AbleToScale", "ScalingActive") if (c := conds.get(t)) and c.get("status") == "False"]
    if broken:
        return broken
    st = hpa.get("status") or {}
    spec = hpa.get("spec") or {}
    replicas = (f"{st.get('currentReplicas', '?')} replicas, desired {st.get('desiredReplicas', '?')} "
                f"(min {spec.get('minReplicas', 1)}, max {spec.get('maxReplicas', '?')})")
    out = []
    able = conds.get("AbleToScale") or {}
    usages = _utilizations(hpa)
    low = bool(usages) and all(now is not None and target is not None and now < target for _, now, target in usages)
    # the controller says ScaleDownStabilized at the minimum too: it only explains replicas above it, unneeded by load
    if able.get("reason") == "ScaleDownStabilized" and low and \
            int(st.get("currentReplicas") or 0) > int(spec.get("minReplicas") or 1):
        out.append(f"{what} keeps {st.get('currentReplicas', '?')} replicas during its scale-down stabilization "
                   f"window (behavior.scaleDown.stabilizationWindowSeconds: {scale_down_window(hpa)}): "
                   f"{able.get('message', '')}".rstrip(": "))
    usage = utilization(hpa)
    if usage:
        limited = conds.get("ScalingLimited") or {}
        extra = f"; {limited.get('reason')}: {limited.get('message')}" if limited.get("status") == "True" else ""
        out.append(f"{what}: {', '.join(usage)}; {replicas}{extra}")
    return out
