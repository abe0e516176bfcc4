"""Why an HPA does not scale, in a learner's words (pure part of runner/cluster/explain.py)."""
from runner.accessors import epoch
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
    assert why[0] == ("HorizontalPodAutoscaler web keeps 4 replicas for its scale-down stabilization window "
                      "(behavior.scaleDown.stabilizationWindowSeconds: 300), the default: behavior.scaleDown sets none: "
                      "cpu 2% of the request, below the target 50%, but it scales down only to the highest "
                      "recommendation of the last 300 s (AbleToScale: ScaleDownStabilized)")
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
    now = epoch("2026-11-26T10:00:00Z")
    assert hpa_state.warming([pod("2026-11-26T09:50:00Z"), pod("2026-11-26T09:59:30Z")], now)
    assert not hpa_state.warming([pod("2026-11-26T09:50:00Z"), {"status": {}}], now)
    assert not hpa_state.warming([pod("not a time")], now)


HELD = "recent recommendations were higher than current one, applying the highest recent recommendation"
OK = ("ScalingActive", "True", "ValidMetricFound", "ok")


def test_window_set_under_scale_up_only_is_the_default_one():
    # what the API server stores for behavior.scaleUp.stabilizationWindowSeconds: 30 alone (scale-up-window.yaml)
    behavior = {"scaleDown": {"policies": [{"periodSeconds": 15, "type": "Percent", "value": 100}], "selectPolicy": "Max"},
                "scaleUp": {"stabilizationWindowSeconds": 30, "selectPolicy": "Max"}}
    h = hpa([("AbleToScale", "True", "ScaleDownStabilized", HELD), OK], current=10, behavior=behavior, replicas=(4, 4))
    assert "window (behavior.scaleDown.stabilizationWindowSeconds: 300), the default" in hpa_causes.hpa_causes(h)[0]
    mine = hpa([("AbleToScale", "True", "ScaleDownStabilized", HELD), OK], current=10,
               behavior={"scaleDown": {"stabilizationWindowSeconds": 120}}, replicas=(3, 3))
    assert hpa_causes.hpa_causes(mine)[0] == (
        "HorizontalPodAutoscaler web keeps 3 replicas for its scale-down stabilization window "
        "(behavior.scaleDown.stabilizationWindowSeconds: 120): cpu 10% of the request, below the target 50%, "
        "but it scales down only to the highest recommendation of the last 120 s (AbleToScale: ScaleDownStabilized)")


def event(reason, kind, name, message="", **stamps):
    return {"reason": reason, "message": message, "involvedObject": {"kind": kind, "name": name}, **stamps}


def test_last_stop_is_the_newest_pod_stop_of_the_events():
    events = [event("Killing", "Pod", "web-old", "Stopping container web", lastTimestamp="2026-11-26T15:20:00Z"),
              event("SuccessfulDelete", "ReplicaSet", "load-7c", "Deleted pod: load-7c-77b7x",
                    lastTimestamp="2026-11-26T15:28:32Z"),
              event("Killing", "Pod", "load-7c-77b7x", "Stopping container load", eventTime="2026-11-26T15:28:33.250000Z"),
              event("Started", "Pod", "web-new", lastTimestamp="2026-11-26T15:29:00Z"),
              event("Killing", "Pod", "no-time")]
    assert hpa_state.last_stop(events) == ("load-7c-77b7x", epoch("2026-11-26T15:28:33.25Z"))
    deleted = [event("SuccessfulDelete", "ReplicaSet", "load-7c", "Deleted pod: load-7c-77b7x",
                     metadata={"creationTimestamp": "2026-11-26T15:28:32Z"})]
    assert hpa_state.last_stop(deleted) == ("load-7c-77b7x", epoch("2026-11-26T15:28:32Z"))
    assert hpa_state.last_stop([event("Killing", "Pod", "x", lastTimestamp="not a time")]) is None
    assert hpa_state.last_stop([]) is None


def test_lagging_while_a_stopped_load_may_still_be_in_the_reading():
    stop = ("load-7c-77b7x", epoch("2026-11-26T15:28:33Z"))
    high = hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), OK], current=230, replicas=(4, 4))
    low = hpa([("AbleToScale", "True", "ScaleDownStabilized", HELD), OK], current=10, replicas=(4, 4))
    at = stop[1]
    assert not hpa_state.pending(high)                      # at the maximum, above the target: nothing to do...
    assert hpa_state.lagging(high, stop, at + 20)            # ... unless the load stopped 20 s ago
    assert not hpa_state.lagging(high, stop, at + hpa_state.STOP_LAG + 1)
    assert not hpa_state.lagging(high, None, at + 20)
    assert not hpa_state.lagging(low, stop, at + 20)         # the reading shows the stop already
    assert not hpa_state.lagging(hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), OK], current=54), stop, at + 5)


def test_a_reading_from_before_the_load_stopped_says_so_first():
    high = hpa([("AbleToScale", "True", "ScaleUpStabilized", "x"), OK,
                ("ScalingLimited", "True", "TooManyReplicas", "the desired replica count is more than the maximum replica count")],
               current=125, replicas=(4, 4))
    why = hpa_causes.hpa_causes(high, ("load-7c-77b7x", 31.6))
    assert why[0] == ("HorizontalPodAutoscaler web still reads cpu 125% of the request, above the target 50%, from before "
                      "pod load-7c-77b7x stopped 32 s ago: metrics-server measures each pod's CPU over its last scrape "
                      "interval (15 s) and the HPA reads it every 15 s, so a stopped load shows for up to about a minute")
    assert why[1].startswith("HorizontalPodAutoscaler web: cpu 125% of the request, above the target 50%; 4 replicas")
    # long ago, or with the reading low already: the stop explains nothing
    assert "stopped" not in hpa_causes.hpa_causes(high, ("load-7c-77b7x", hpa_state.STOP_LAG + 5))[0]
    low = hpa([("AbleToScale", "True", "ScaleDownStabilized", HELD), OK], current=10, replicas=(4, 4))
    assert hpa_causes.hpa_causes(low, ("load-7c-77b7x", 50.0))[0].startswith(
        "HorizontalPodAutoscaler web keeps 4 replicas for its scale-down stabilization window")


def test_lagging_within_the_tolerance_while_replicas_can_go():
    # 45% of a 50% target is within the 10% tolerance: no recommendation to scale down yet (CI, scale-up-window.yaml)
    stop = ("load-7c-77b7x", epoch("2026-11-26T15:28:33Z"))
    near = hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), OK], current=45, replicas=(4, 4))
    assert not hpa_state.pending(near)
    assert hpa_state.lagging(near, stop, stop[1] + 40)
    assert not hpa_state.lagging(near, stop, stop[1] + hpa_state.STOP_LAG + 1)
    at_min = hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), OK], current=45, replicas=(1, 1))
    assert not hpa_state.lagging(at_min, stop, stop[1] + 40)


def test_a_recent_scale_names_the_window_before_the_reading_falls():
    near = hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), OK], current=45, replicas=(4, 4))
    near["status"]["lastScaleTime"] = "2026-11-26T15:28:00Z"
    now = epoch("2026-11-26T15:29:40Z")
    assert hpa_causes.hpa_causes(near, None, now)[0] == (
        "HorizontalPodAutoscaler web keeps 4 replicas for its scale-down stabilization window "
        "(behavior.scaleDown.stabilizationWindowSeconds: 300), the default: behavior.scaleDown sets none: it scaled "
        "to 4 100 s ago and, once the load is gone, scales down only to the highest recommendation of the last 300 s "
        "(about 200 s more)")
    # the window over, under load, or no time given: not a cause
    assert "stabilization" not in hpa_causes.hpa_causes(near, None, now + 250)[0]
    loaded = hpa([("AbleToScale", "True", "ReadyForNewScale", "x"), OK], current=240, replicas=(4, 4))
    loaded["status"]["lastScaleTime"] = "2026-11-26T15:28:00Z"
    assert "stabilization" not in hpa_causes.hpa_causes(loaded, None, now)[0]
    assert "stabilization" not in hpa_causes.hpa_causes(near)[0]
