"""Why a HorizontalPodAutoscaler (autoscaling/v2) does not do what a check waits for, in a learner's
words (pure): it cannot reach its target or read its metric (a condition is False), its reading
still holds a load that stopped moments ago (metrics lag), it holds the replicas for its scale-down
stabilization window, or the metric is simply where it is (load still running, or none yet).
The cluster edge (runner/cluster/explain.py) passes the object and the namespace's last pod stop."""
from __future__ import annotations

from typing import Any

from runner import accessors as k8s
from runner.accessors import name as obj_name
from runner.accessors import spec as spec_of
from runner.accessors import status
from runner.checks.hpa_state import STOP_LAG, above_target, conditions, replicas, scale_down_window, utilizations


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


def hpa_causes(hpa: dict[str, Any], stopped: tuple[str, float] | None = None,
               now: float | None = None) -> list[str]:
    """The reasons, most specific first; a condition that is False says all (nothing else is added).

    stopped: (pod, seconds ago) of the namespace's newest pod stop (hpa_state.last_stop), to tell a
    reading that still holds a stopped load from a load that is still there. now: epoch, to tell how
    long ago the HPA last scaled (status.lastScaleTime)."""
    name = obj_name(hpa)
    what = f"HorizontalPodAutoscaler {name}"
    conds = conditions(hpa)
    broken = [f"{what}: {t} is False ({c.get('reason')}): {c.get('message', '')}".rstrip(": ")
              for t in ("AbleToScale", "ScalingActive") if (c := conds.get(t)) and c.get("status") == "False"]
    if broken:
        return broken
    st = status(hpa)
    spec = spec_of(hpa)
    counts = (f"{st.get('currentReplicas', '?')} replicas, desired {st.get('desiredReplicas', '?')} "
              f"(min {spec.get('minReplicas', 1)}, max {spec.get('maxReplicas', '?')})")
    out = []
    able = conds.get("AbleToScale") or {}
    usages = utilizations(hpa)
    usage = utilization_text(hpa)
    low = bool(usages) and all(now is not None and target is not None and now < target for _, now, target in usages)
    if stopped is not None and 0 <= stopped[1] < STOP_LAG and above_target(hpa):
        out.append(f"{what} still reads {', '.join(usage)}, from before pod {stopped[0]} stopped "
                   f"{stopped[1]:.0f} s ago: metrics-server measures each pod's CPU over its last scrape interval "
                   f"(15 s) and the HPA reads it every 15 s, so a stopped load shows for up to about a minute")
    window = scale_down_window(hpa)
    unset = "" if k8s.dig(spec, "behavior", "scaleDown").get("stabilizationWindowSeconds") is not None else \
        ", the default: behavior.scaleDown sets none"
    held = f"{what} keeps {st.get('currentReplicas', '?')} replicas for its scale-down stabilization window " \
           f"(behavior.scaleDown.stabilizationWindowSeconds: {window}){unset}"
    current, _, minimum, _ = replicas(hpa)
    above_min = current > minimum
    scaled = _seconds_since(st.get("lastScaleTime"), now)
    # the controller says ScaleDownStabilized at the minimum too: it only explains replicas above it, unneeded by load
    if able.get("reason") == "ScaleDownStabilized" and low and above_min:
        out.append(f"{held}: {', '.join(usage)}, but it scales down only to the highest recommendation of the "
                   f"last {window} s (AbleToScale: ScaleDownStabilized)")
    # before the reading falls (metrics lag, or within the tolerance) the window is already the reason to come
    elif above_min and not above_target(hpa) and scaled is not None and 0 <= scaled < window:
        out.append(f"{held}: it scaled to {st.get('currentReplicas')} {scaled:.0f} s ago and, once the load is "
                   f"gone, scales down only to the highest recommendation of the last {window} s "
                   f"(about {window - scaled:.0f} s more)")
    if usage:
        limited = conds.get("ScalingLimited") or {}
        extra = f"; {limited.get('reason')}: {limited.get('message')}" if limited.get("status") == "True" else ""
        out.append(f"{what}: {', '.join(usage)}; {counts}{extra}")
    return out


def _seconds_since(stamp: Any, now: float | None) -> float | None:
    if not stamp or now is None:
        return None
    try:
        return now - k8s.epoch(str(stamp))
    except ValueError:
        return None
