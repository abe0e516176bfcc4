"""A crash loop caused by a liveness or startup probe is named by the probe's failure (runner/checks/probe_kill.py)."""
from runner.checks.probe_kill import probe_failure


def ev(msg, when, pod="live", container="live", reason="Unhealthy"):
    return {"reason": reason, "message": msg, "lastTimestamp": when,
            "involvedObject": {"kind": "Pod", "name": pod, "fieldPath": f"spec.containers{{{container}}}"}}


def test_newest_liveness_failure_of_that_container():
    evs = [ev('Liveness probe failed: Get "http://10.244.1.7:8081/healthz": dial tcp 10.244.1.7:8081: connect: connection refused',
              "2026-11-26T09:00:05Z"),
           ev("Liveness probe failed: HTTP probe failed with statuscode: 500", "2026-11-26T09:00:01Z"),
           ev("Liveness probe failed: HTTP probe failed with statuscode: 503", "2026-11-26T09:00:09Z", container="other"),
           ev("Container live failed liveness probe, will be restarted", "2026-11-26T09:00:10Z", reason="Killing")]
    assert probe_failure(evs, "live", "live") == (
        'its liveness probe fails: Get "http://10.244.1.7:8081/healthz": dial tcp 10.244.1.7:8081: connect: connection refused')


def test_startup_probe_and_nothing_for_readiness_or_other_pods():
    evs = [ev("Startup probe failed: dial tcp 10.244.1.9:8080: connect: connection refused", "2026-11-26T09:00:03Z",
              pod="slow-1", container="slow"),
           ev("Readiness probe failed: cat: can't open '/tmp/ready'", "2026-11-26T09:00:04Z", pod="web-1", container="web")]
    assert probe_failure(evs, "slow-1", "slow") == "its startup probe fails: dial tcp 10.244.1.9:8080: connect: connection refused"
    assert probe_failure(evs, "web-1", "web") == ""
    assert probe_failure(evs, "live", "live") == ""
