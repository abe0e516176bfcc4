"""Why an HPA does not scale, in a learner's words (pure part of runner/cluster/explain.py)."""
from runner.checks import hpa_causes


def hpa(conditions, current=None, behavior=None, replicas=(1, 1)):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1, "maxReplicas": 4,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                          "target": {"type": "Utilization", "averageUtilization": 50}}}]}
    if behavior:
        spec["behavior"] = behavior
    status = {"currentReplicas": replicas[0], "desiredReplicas": replicas[1],
              "conditions": [{"type": t, "status": s, "reason": r, "message": m} for t, s, r, m in conditions]}
    if current is not None:
        status["currentMetrics"] = [{"type": "Resource",
                                     "resource": {"name": "cpu", "current": {"averageUtilization": current}}}]
    return {"metadata": {"name": "web"}, "spec": spec, "status": status}


def test_missing_cpu_request_is_named_alone():
    h = hpa([("AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale"),
             ("ScalingActive", "False", "FailedGetResourceMetric",
              "the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu "
              "in container web of Pod web-1")])
    assert hpa_causes.hpa_causes(h) == [
        "HorizontalPodAutoscaler web: ScalingActive is False (FailedGetResourceMetric): the HPA was unable to compute "
        "the replica count: failed to get cpu utilization: missing request for cpu in container web of Pod web-1"]


def test_wrong_scale_target():
    h = hpa([("AbleToScale", "False", "FailedGetScale", 'deployments/scale.apps "webapp" not found')])
    assert hpa_causes.hpa_causes(h) == [
        'HorizontalPodAutoscaler web: AbleToScale is False (FailedGetScale): deployments/scale.apps "webapp" not found']


def test_stabilization_window_holds_the_replicas_default_window():
    msg = "recent recommendations were higher than current one, applying the highest recent recommendation"
    h = hpa([("AbleToScale", "True", "ScaleDownStabilized", msg),
             ("ScalingActive", "True", "ValidMetricFound", "ok")], current=2, replicas=(4, 4))
    why = hpa_causes.hpa_causes(h)
    assert why[0] == ("HorizontalPodAutoscaler web keeps 4 replicas during its scale-down stabilization window "
                      f"(behavior.scaleDown.stabilizationWindowSeconds: 300): {msg}")
    assert why[1] == ("HorizontalPodAutoscaler web: cpu 2% of the request, below the target 50%; "
                      "4 replicas, desired 4 (min 1, max 4)")


def test_stabilized_is_not_a_cause_at_the_minimum_or_under_load():
    msg = "recent recommendations were higher than current one, applying the highest recent recommendation"
    at_min = hpa([("AbleToScale", "True", "ScaleDownStabilized", msg)], current=0, replicas=(1, 1))
    assert hpa_causes.hpa_causes(at_min) == [
        "HorizontalPodAutoscaler web: cpu 0% of the request, below the target 50%; 1 replicas, desired 1 (min 1, max 4)"]
    loaded = hpa([("AbleToScale", "True", "ScaleDownStabilized", msg)], current=120, replicas=(4, 4))
    assert [w for w in hpa_causes.hpa_causes(loaded) if "stabilization" in w] == []


def test_window_from_behavior_and_load_still_running():
    h = hpa([("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"),
             ("ScalingActive", "True", "ValidMetricFound", "ok"),
             ("ScalingLimited", "True", "TooManyReplicas", "the desired replica count is more than the maximum replica count")],
            current=240, behavior={"scaleDown": {"stabilizationWindowSeconds": 30}}, replicas=(4, 4))
    assert hpa_causes.scale_down_window(h) == 30
    assert hpa_causes.hpa_causes(h) == [
        "HorizontalPodAutoscaler web: cpu 240% of the request, above the target 50%; 4 replicas, desired 4 (min 1, max 4); "
        "TooManyReplicas: the desired replica count is more than the maximum replica count"]


def test_no_metric_read_yet_and_no_status():
    assert hpa_causes.utilization(hpa([])) == ["cpu <unknown> of the request (target 50%)"]
    assert hpa_causes.hpa_causes({"metadata": {"name": "x"}, "spec": {"maxReplicas": 2}}) == []
    assert hpa_causes.scale_down_window({"spec": {}}) == 300
