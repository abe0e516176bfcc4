"""The cause of a failure in a learner's words (pure part of runner/cluster/explain.py)."""
from runner.checks import causes


def pod(name, statuses, labels=None, conditions=None, image="agnhost:nope"):
    return {"metadata": {"name": name, "labels": labels or {"app": "web"}},
            "spec": {"containers": [{"name": s["name"], "image": image} for s in statuses]},
            "status": {"containerStatuses": statuses, "conditions": conditions or []}}


def test_pull_error_names_the_image():
    p = pod("web-1", [{"name": "web", "image": "agnhost:nope", "state": {"waiting": {"reason": "ImagePullBackOff"}}}])
    (why, log_from), = causes.pod_causes(p)
    assert why.startswith("ImagePullBackOff: image 'agnhost:nope' cannot be pulled") and log_from is None


def test_crash_loop_names_the_container_and_asks_for_its_log():
    p = pod("duo", [{"name": "a", "ready": True, "restartCount": 0, "state": {"running": {}}},
                    {"name": "b", "ready": False, "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                     "lastState": {"terminated": {"exitCode": 1}}}])
    (why, log_from), = causes.pod_causes(p)
    assert why == "container b of pod duo is crash-looping (4 restarts, exit code 1)" and log_from == "b"


def test_unschedulable_and_healthy_pods():
    p = pod("big", [], conditions=[{"type": "PodScheduled", "status": "False", "message": "0/2 nodes: Insufficient cpu"}])
    assert causes.pod_causes(p) == [("pod big cannot be scheduled: 0/2 nodes: Insufficient cpu", None)]
    ok = pod("fine", [{"name": "web", "ready": True, "restartCount": 0, "state": {"running": {}}}])
    assert causes.pod_causes(ok) == []


def test_service_that_selects_no_pod():
    svc = {"metadata": {"name": "web"}, "spec": {"selector": {"app": "webb"}}}
    assert causes.service_selects_none(svc, [pod("web-1", [])]) == \
        "the Service web selects 0 pods (selector app=webb); pods here have app=web"
    assert causes.service_selects_none({"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}}},
                                       [pod("web-1", [])]) is None


def test_found_in_another_namespace():
    assert causes.elsewhere("Deployment", "web", "lab-rolling-update", ["default"]) == \
        "Deployment web not found in lab-rolling-update; found in default"
    assert causes.elsewhere("Deployment", "web", "lab-x", []) is None


def test_the_newest_pod_leads_the_causes():
    # probes/startup/startup-budget-too-small.yaml (CI): the old pod's readiness failure was named before the
    # new pod's startup probe: the API lists pods by name
    old = {"metadata": {"name": "slow-5d948f46f6-c25hz", "creationTimestamp": "2026-11-27T02:24:02Z"}}
    new = {"metadata": {"name": "slow-7bb894fcc9-kmnr6", "creationTimestamp": "2026-11-27T02:25:40Z"}}
    bare = {"metadata": {"name": "x"}}
    assert [p["metadata"]["name"] for p in causes.newest_first([old, bare, new])] == [
        "slow-7bb894fcc9-kmnr6", "slow-5d948f46f6-c25hz", "x"]
