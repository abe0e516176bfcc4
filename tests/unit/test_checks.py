from runner.checks import absent, condition, count, event, http, invariant, match
from runner.checks import exec as exec_check
from runner.checks.exec import ExecOutput
from runner.checks.http import HttpResponse
from runner.checks.invariant import PodsSample, pods_sample
from runner.schema import Check


def spec(d):
    return Check.model_validate(d).spec


def pod(name, ready=True, phase="Running", deleting=False, labels=None):
    meta = {"name": name, "labels": labels or {"app": "web"}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"kind": "Pod", "metadata": meta, "status": {"phase": phase, "conditions": [
        {"type": "Ready", "status": "True" if ready else "False"}]}}


DEP = {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3},
       "status": {"readyReplicas": 3, "conditions": [
           {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
           {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "slow"}]}}
T = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}


def test_match_fields_and_expressions():
    s = spec({"match": {"target": T, "fields": {"spec": {"replicas": 3}},
                        "expr": ["status.readyReplicas == `3`", {"expr": "spec.replicas", "equals": 3}]}})
    assert match.evaluate(s, [DEP]).ok
    s = spec({"match": {"target": T, "fields": {"spec": {"replicas": 4}}}})
    r = match.evaluate(s, [DEP])
    assert not r.ok and "spec.replicas: expected 4, got 3" in r.summary
    assert any(line.strip().startswith("-  replicas: 4") for line in r.details)


def test_match_expression_failure_and_missing_object():
    s = spec({"match": {"target": T, "expr": ["status.readyReplicas == `5`"]}})
    assert not match.evaluate(s, [DEP]).ok
    assert "not found" in match.evaluate(s, []).summary
    bad = spec({"match": {"target": T, "expr": ["status.[["]}})
    assert "invalid" in match.evaluate(bad, [DEP]).summary


def test_match_expression_says_in_words_and_keeps_the_expression_in_details():
    e = {"expr": "status.readyReplicas == `5`", "says": "fewer than 5 pods are ready"}
    r = match.evaluate(spec({"match": {"target": T, "expr": [e]}}), [DEP])
    assert not r.ok
    assert r.summary.endswith(": fewer than 5 pods are ready") and "readyReplicas" not in r.summary
    assert any("fewer than 5 pods are ready" in d and "status.readyReplicas == `5`" in d for d in r.details)
    eq = {"expr": "spec.replicas", "equals": 3, "says": "not 3 replicas"}
    assert match.evaluate(spec({"match": {"target": T, "expr": [eq]}}), [DEP]).ok


def test_match_selector_requires_every_object():
    s = spec({"match": {"target": {"kind": "Pod", "selector": "app=web"}, "fields": {"status": {"phase": "Running"}}}})
    assert match.evaluate(s, [pod("a"), pod("b")]).ok
    r = match.evaluate(s, [pod("a"), pod("b", phase="Pending")])
    assert not r.ok and r.objects == [("Pod", "b")]


def test_absent():
    s = spec({"absent": {"target": {"kind": "Pod", "selector": "app=old"}}})
    assert absent.evaluate(s, []).ok
    assert not absent.evaluate(s, [pod("x")]).ok
    s = spec({"absent": {"target": {"kind": "Pod", "selector": "app=web"}, "fields": {"status": {"phase": "Failed"}}}})
    assert absent.evaluate(s, [pod("a")]).ok
    assert not absent.evaluate(s, [pod("a"), pod("b", phase="Failed")]).ok


def test_count_bounds_and_fields():
    base = {"target": {"kind": "Pod", "selector": "app=web"}}
    pods = [pod("a"), pod("b"), pod("c", phase="Pending")]
    assert count.evaluate(spec({"count": {**base, "equals": 3}}), pods).ok
    assert not count.evaluate(spec({"count": {**base, "equals": 2}}), pods).ok
    assert count.evaluate(spec({"count": {**base, "equals": 2, "fields": {"status": {"phase": "Running"}}}}), pods).ok
    assert count.evaluate(spec({"count": {**base, "min": 1, "max": 3}}), pods).ok
    assert not count.evaluate(spec({"count": {**base, "max": 2}}), pods).ok


def test_count_leaves_out_terminating_objects():
    """A deleted pod stays phase Running until its containers stop (the deployment lab's orphan step once
    counted 5 running pods plus a terminating one as "5 plus the orphan" before anything was solved)."""
    base = {"target": {"kind": "Pod", "selector": "app=web"}, "fields": {"status": {"phase": "Running"}}}
    going = pod("d")
    going["metadata"]["deletionTimestamp"] = "2026-11-27T08:00:00Z"
    r = count.evaluate(spec({"count": {**base, "equals": 3}}), [pod("a"), pod("b"), going])
    assert not r.ok and "2 counted" in r.summary and "1 terminating, not counted" in r.summary
    assert count.evaluate(spec({"count": {**base, "equals": 2}}), [pod("a"), pod("b"), going]).ok


def test_condition():
    assert condition.evaluate(spec({"condition": {"target": T, "type": "Available"}}), [DEP]).ok
    r = condition.evaluate(spec({"condition": {"target": T, "type": "Progressing"}}), [DEP])
    assert not r.ok and "ProgressDeadlineExceeded" in r.summary
    assert not condition.evaluate(spec({"condition": {"target": T, "type": "Available",
                                                      "reason": "Other"}}), [DEP]).ok
    assert not condition.evaluate(spec({"condition": {"target": T, "type": "Ready"}}), [DEP]).ok


def test_event_reason_on_object():
    evs = [{"involvedObject": {"kind": "PersistentVolumeClaim", "name": "data"}, "reason": "WaitForFirstConsumer",
            "type": "Normal", "message": "waiting for first consumer to be created before binding"},
           {"involvedObject": {"kind": "PersistentVolumeClaim", "name": "other"}, "reason": "ProvisioningSucceeded",
            "type": "Normal", "message": "ok"}]
    t = {"kind": "PersistentVolumeClaim", "name": "data"}
    assert event.evaluate(spec({"event": {"target": t, "reason": "WaitForFirstConsumer"}}), evs, {"data"}).ok
    assert not event.evaluate(spec({"event": {"target": t, "reason": "ProvisioningSucceeded"}}), evs, {"data"}).ok
    assert not event.evaluate(spec({"event": {"target": t, "reason": "WaitForFirstConsumer", "type": "Warning"}}),
                              evs, {"data"}).ok
    assert event.evaluate(spec({"event": {"target": t, "reason": "WaitForFirstConsumer",
                                          "message_contains": "first consumer"}}), evs, {"data"}).ok


def test_http():
    s = spec({"http": {"url": "http://web/", "status": 200, "body_contains": "web-",
                       "headers": {"Content-Type": "text/plain"}}})
    ok = HttpResponse(200, {"content-type": "text/plain; charset=utf-8"}, "web-abc")
    assert http.evaluate(s, ok).ok
    assert not http.evaluate(s, HttpResponse(503, {}, "")).ok
    assert not http.evaluate(s, HttpResponse(200, {"content-type": "text/html"}, "web-abc")).ok
    r = http.evaluate(s, HttpResponse(None, error="connection refused"))
    assert not r.ok and "connection refused" in r.summary
    assert http.evaluate(spec({"http": {"url": "http://x/", "status": [301, 302]}}), HttpResponse(302)).ok


def test_exec():
    s = spec({"exec": {"podName": "db-0", "command": ["cat", "/f"], "stdout_contains": "hello"}})
    assert exec_check.evaluate(s, ExecOutput("hello\n")).ok
    assert not exec_check.evaluate(s, ExecOutput("bye")).ok
    assert not exec_check.evaluate(s, ExecOutput("hello", "No such file", 1)).ok
    s = spec({"exec": {"podName": "p", "command": ["x"], "stdout_matches": r"^\d+ msgs$", "exit_code": None}})
    assert exec_check.evaluate(s, ExecOutput("total\n12 msgs\n", exit_code=3)).ok


def test_invariant_http_samples():
    s = spec({"invariant": {"http": {"from": "host", "url": "http://127.0.0.1:30080/"}}})
    good = [HttpResponse(200, at=i) for i in range(5)]
    assert invariant.evaluate(s, good).ok
    r = invariant.evaluate(s, good + [HttpResponse(None, error="reset", at=7.0)])
    assert not r.ok and "1 of 6" in r.summary and "+7.00s" in r.details[0]
    assert not invariant.evaluate(s, good[:2]).ok   # too few samples to prove anything


def test_invariant_pods_ready_min_and_total_max():
    s = spec({"invariant": {"pods": {"selector": "app=web", "ready_min": 3, "total_max": 4}}})
    rollout = [PodsSample(0, 1, 3, []), PodsSample(1, 3, 3, []), PodsSample(2, 3, 4, []), PodsSample(3, 3, 3, [])]
    assert invariant.evaluate(s, rollout).ok       # below 3 before first reaching it is fine
    assert not invariant.evaluate(s, rollout + [PodsSample(4, 2, 3, ["a", "b"])]).ok
    assert not invariant.evaluate(s, rollout + [PodsSample(4, 3, 5, [])]).ok
    assert not invariant.evaluate(s, [PodsSample(i, 2, 2, []) for i in range(4)]).ok


def test_pods_sample_ignores_terminating_and_finished():
    smp = pods_sample(0, [pod("a"), pod("b", ready=False), pod("c", deleting=True), pod("d", phase="Succeeded")])
    assert (smp.ready, smp.total, smp.pods) == (1, 2, ["a", "b"])
