"""Why an HPA does not scale, in a learner's words (pure part of runner/cluster/explain.py)."""
from runner.checks import hpa_causes, hpa_state


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
    assert hpa_state.scale_down_window(h) == 30
    assert hpa_causes.hpa_causes(h) == [
        "HorizontalPodAutoscaler web: cpu 240% of the request, above the target 50%; 4 replicas, desired 4 (min 1, max 4); "
        "TooManyReplicas: the desired replica count is more than the maximum replica count"]


def test_no_metric_read_yet_and_no_status():
    assert hpa_causes.utilization_text(hpa([])) == ["cpu <unknown> of the request (target 50%)"]
    assert hpa_causes.hpa_causes({"metadata": {"name": "x"}, "spec": {"maxReplicas": 2}}) == []
    assert hpa_state.scale_down_window({"spec": {}}) == 300


def test_pending_while_the_controller_will_still_act():
    missing = "failed to get cpu utilization: missing request for cpu in container web of Pod web-1"
    unready = "failed to get cpu utilization: did not receive metrics for targeted pods (pods might be unready)"
    held = "recent recommendations were higher than current one, applying the highest recent recommendation"
    ok = ("ScalingActive", "True", "ValidMetricFound", "ok")
    # waiting helps: nothing read yet, metrics on their way, the window holding, load with room to grow
    assert hpa_state.pending(hpa([]))
    assert hpa_state.pending(hpa([("ScalingActive", "False", "FailedGetResourceMetric", unready)]))
    assert hpa_state.pending(hpa([("AbleToScale", "True", "ScaleDownStabilized", held), ok], current=0, replicas=(4, 4)))
    assert hpa_state.pending(hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), ok], current=250, replicas=(1, 1)))
    assert hpa_state.pending(hpa([("AbleToScale", "True", "SucceededRescale", "x"), ok], current=250, replicas=(1, 4)))
    # waiting does not help: only the learner can fix it, or the HPA is where the load puts it
    assert not hpa_state.pending(hpa([("AbleToScale", "False", "FailedGetScale", "not found")]))
    assert not hpa_state.pending(hpa([("ScalingActive", "False", "FailedGetResourceMetric", missing)]))
    assert not hpa_state.pending(hpa([("AbleToScale", "True", "ScaleDownStabilized", held), ok], current=0, replicas=(1, 1)))
    assert not hpa_state.pending(hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), ok], current=250, replicas=(4, 4)))
    assert not hpa_state.pending(hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), ok], current=52, replicas=(2, 2)))


def test_targets_are_the_hpas_checks_look_at():
    from runner.schema import Check
    hpa_check = Check.model_validate({"condition": {"target": {"apiVersion": "autoscaling/v2",
                                                               "kind": "HorizontalPodAutoscaler", "name": "web"},
                                                    "type": "ScalingActive"}})
    pod_check = Check.model_validate({"count": {"target": {"kind": "Pod", "selector": "app=web"}, "equals": 1}})
    later = Check.model_validate({"absent": {"target": {"apiVersion": "autoscaling/v2",
                                                        "kind": "HorizontalPodAutoscaler", "name": "${NAME}"}}})
    assert [t.name for t in hpa_state.targets([hpa_check, pod_check, later])] == ["web"]


def test_warming_while_a_pod_turned_ready_recently():
    def pod(stamp):
        return {"status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": stamp}]}}
    now = hpa_state._seconds("2026-11-26T10:00:00Z")
    assert hpa_state.warming([pod("2026-11-26T09:50:00Z"), pod("2026-11-26T09:59:30Z")], now)
    assert not hpa_state.warming([pod("2026-11-26T09:50:00Z"), {"status": {}}], now)
    assert not hpa_state.warming([pod("not a time")], now)
