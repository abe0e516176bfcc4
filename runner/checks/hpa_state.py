"""What a HorizontalPodAutoscaler (autoscaling/v2) object says about itself (pure): its conditions,
utilization against target, scale-down window, and whether its controller will still act on its own.

The HPA controller works on a period (15 s) and the metrics behind it on another (metrics-server's
resolution): between two syncs nothing in the namespace changes although the HPA is about to act.
`pending` tells a waiting check that this silence is not the end."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runner import accessors as k8s
from runner.schema import Target

DEFAULT_SCALE_DOWN_WINDOW = 300   # seconds, the API's default for behavior.scaleDown.stabilizationWindowSeconds
TOLERANCE = 0.1                   # kube-controller-manager's --horizontal-pod-autoscaler-tolerance default


def conditions(hpa: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c.get("type")): c for c in k8s.conditions(hpa)}


def _metric_name(m: dict[str, Any]) -> tuple[str, str] | None:
    """(source key, metric name) of a Resource or ContainerResource metric, else None."""
    for key in ("resource", "containerResource"):
        if m.get("type") in ("Resource", "ContainerResource") and m.get(key):
            return key, str(m[key].get("name"))
    return None


def utilizations(hpa: dict[str, Any]) -> list[tuple[str, int | None, int | None]]:
    """(resource name, current %, target %) per utilization metric; current None while none is read."""
    current = {}
    for m in k8s.entries(k8s.status(hpa), "currentMetrics"):
        found = _metric_name(m)
        if found:
            current[found[1]] = k8s.section(m[found[0]], "current").get("averageUtilization")
    out = []
    for m in k8s.entries(k8s.spec(hpa), "metrics"):
        found = _metric_name(m)
        target = k8s.section(m[found[0]], "target") if found else {}
        if found and target.get("type") == "Utilization":
            out.append((found[1], current.get(found[1]), target.get("averageUtilization")))
    return out


def scale_down_window(hpa: dict[str, Any]) -> int:
    down = k8s.dig(hpa, "spec", "behavior", "scaleDown")
    window = down.get("stabilizationWindowSeconds")
    return DEFAULT_SCALE_DOWN_WINDOW if window is None else int(window)


def replicas(hpa: dict[str, Any]) -> tuple[int, int, int, int]:
    """(current, desired, min, max)."""
    st, spec = k8s.status(hpa), k8s.spec(hpa)
    return (int(st.get("currentReplicas") or 0), int(st.get("desiredReplicas") or 0),
            int(spec.get("minReplicas") or 1), int(spec.get("maxReplicas") or 0))


def pending(hpa: dict[str, Any]) -> bool:
    """Whether the controller will still change this HPA's scale or status without anyone's help:
    not read yet, metrics on their way, a recommendation held by the scale-down window, load above
    the target with room to grow. False when only a person can fix it (wrong target, no CPU request)."""
    conds = conditions(hpa)
    able, active = conds.get("AbleToScale") or {}, conds.get("ScalingActive") or {}
    if able.get("status") == "False":
        return able.get("reason") != "FailedGetScale"           # e.g. BackoffBoth: a scale just happened
    if active.get("status") == "False":
        msg = str(active.get("message") or "")
        # "missing request for cpu" stays until the template changes; other metric errors pass with time
        return active.get("reason") == "FailedGetResourceMetric" and "missing request" not in msg
    if not conds:
        return True                                             # the controller has not looked yet
    current, desired, low, high = replicas(hpa)
    if desired != current:
        return True
    if any(now is None or not target for _, now, target in utilizations(hpa)):
        return True                                             # a metric not read yet
    if above_target(hpa) and current < high:
        return True
    return below_target(hpa) and current > low


def targets(checks: Iterable[Any]) -> list[Target]:
    """The HPAs that checks look at (targets still holding a step value placeholder left out)."""
    out = []
    for c in checks:
        t = getattr(getattr(c, "spec", None), "target", None)
        if isinstance(t, Target) and t.kind == "HorizontalPodAutoscaler" and "${" not in f"{t.name}{t.selector_str()}":
            out.append(t)
    return out


METRICS_LAG = 45.0   # s after a pod turns Ready before its CPU is in what the HPA read (a 15 s window, scrape, sync)


def warming(pods: Iterable[dict[str, Any]], now: float) -> bool:
    """A pod became Ready less than METRICS_LAG ago (a load generator, a new replica): the HPA has not
    seen what it does yet, so its present calm says nothing."""
    for p in pods:
        for c in k8s.conditions(p):
            stamp = c.get("lastTransitionTime")
            if c.get("type") == "Ready" and c.get("status") == "True" and stamp:
                try:
                    if now - k8s.epoch(str(stamp)) < METRICS_LAG:
                        return True
                except ValueError:
                    continue
    return False


# s after a pod stops before the HPA's CPU reading no longer has it (measured 41-46 s on a loaded node):
# metrics-server rates each pod over its last two scrapes (resolution 15 s), so the first window after
# the stop still holds part of the load; the kubelet's own figures are up to ~15 s old; the HPA reads
# them on its next sync (15 s). Margin for a busy node.
STOP_LAG = 75.0


def last_stop(events: Iterable[dict[str, Any]]) -> tuple[str, float] | None:
    """(pod name, epoch) of the newest pod stop the namespace's events record: the kubelet stopping its
    container (Killing) or a ReplicaSet deleting it (SuccessfulDelete "Deleted pod: <name>")."""
    newest: tuple[str, float] | None = None
    for e in events:
        reason, obj = e.get("reason"), k8s.involved(e)
        if reason == "Killing" and obj.get("kind") == "Pod":
            pod = str(obj.get("name") or "")
        elif reason == "SuccessfulDelete" and obj.get("kind") == "ReplicaSet":
            pod = str(e.get("message") or "").removeprefix("Deleted pod: ").strip()
        else:
            continue
        stamp = k8s.event_time(e)
        try:
            at = k8s.epoch(stamp) if stamp else None
        except ValueError:
            continue
        if at is not None and pod and (newest is None or at > newest[1]):
            newest = (pod, at)
    return newest


def above_target(hpa: dict[str, Any]) -> bool:
    """Some utilization metric reads above its target (beyond the controller's tolerance)."""
    return any(now is not None and target and now > target * (1 + TOLERANCE) for _, now, target in utilizations(hpa))


def below_target(hpa: dict[str, Any]) -> bool:
    """Every utilization metric is read and below its target (beyond the controller's tolerance)."""
    usage = utilizations(hpa)
    return bool(usage) and all(now is not None and target and now < target * (1 - TOLERANCE) for _, now, target in usage)


def lagging(hpa: dict[str, Any], stop: tuple[str, float] | None, now: float) -> bool:
    """A pod (a load generator) stopped less than STOP_LAG ago and the HPA does not read it yet: above
    its target, or within its tolerance with replicas to give back. Its figures may still hold that
    pod's load, so its present reading says nothing yet."""
    if stop is None or not 0 <= now - stop[1] < STOP_LAG:
        return False
    current, _, low, _ = replicas(hpa)
    return above_target(hpa) or (not below_target(hpa) and current > low)
