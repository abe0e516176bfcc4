"""What the fault suite (tests/faults, live) found, pinned down offline: an API server that stays away ends in
one line; a sample that could not be taken is not a failed request; an object never listed is not absent;
one `kubelab run` per learner and lab; progress writes of several processes do not drop each other."""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException

from runner import limits
from runner.checks import http as http_check
from runner.checks import invariant
from runner.checks.http import HttpResponse
from runner.cluster import client as kclient
from runner.errors import LabError
from runner.progress import LabProgress, ProgressStore
from runner.schema import HttpSpec, InvariantSpec
from tests.unit.test_engine_offline import FakeInformer, session


def refused() -> urllib3.exceptions.HTTPError:
    return urllib3.exceptions.MaxRetryError(None, "/api/v1/pods", "[Errno 111] Connection refused")  # type: ignore[arg-type]


def test_an_api_server_away_longer_than_the_budget_is_one_line(monkeypatch):
    monkeypatch.setattr(limits, "API_OUTAGE", 1.0)
    calls = []

    def down():
        calls.append(time.monotonic())
        raise refused()
    with pytest.raises(kclient.ApiUnavailable) as e:
        kclient.call(down)
    line = kclient.describe_error(e.value)
    assert re.match(r"API server unavailable for \d+ s: ", line) and "Connection refused" in line, line
    assert "\n" not in line and len(calls) > 1          # retried, then gave up
    assert isinstance(e.value, ConnectionError)         # the CLI prints OSErrors as one line


def test_an_api_server_back_within_the_budget_is_not_noticed(monkeypatch):
    monkeypatch.setattr(limits, "API_OUTAGE", 5.0)
    t0 = time.monotonic()

    def flaky():
        if time.monotonic() - t0 < 1.0:
            raise refused()
        return "ok"
    assert kclient.call(flaky) == "ok"


def sa_missing() -> ApiException:
    e = ApiException(status=403, reason="Forbidden")
    e.body = json.dumps({"code": 403, "reason": "Forbidden", "message": 'pods "duo" is forbidden: error looking up '
                         'service account lab-pod-x/default: serviceaccount "default" not found'})
    return e


def test_a_new_namespace_without_its_service_account_yet_is_retried_not_fatal(monkeypatch):
    monkeypatch.setattr(limits, "API_OUTAGE", 5.0)
    assert kclient.is_transient(sa_missing()) and not kclient.is_permanent(sa_missing())
    other = ApiException(status=403, reason="Forbidden")
    other.body = json.dumps({"code": 403, "message": 'pods is forbidden: User "ann" cannot create resource "pods"'})
    assert kclient.is_permanent(other) and not kclient.is_transient(other)
    tries = []

    def create():
        tries.append(1)
        if len(tries) < 3:
            raise sa_missing()
        return "created"
    assert kclient.call(create) == "created"


def test_exec_status_channel():
    from runner.cluster.probes import exit_status
    assert exit_status('{"metadata":{},"status":"Success"}') == 0
    assert exit_status('{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":'
                       '[{"reason":"ExitCode","message":"7"}]}}') == 7
    assert exit_status("") is None          # the stream closed before the status came: nothing is known


HTTP = HttpSpec.model_validate({"from": "cluster", "url": "http://web/hostname", "status": 200})
REFUSED = HttpSpec.model_validate({"from": "cluster", "url": "http://web/hostname", "no_answer": True})


def test_a_lost_sample_is_neither_a_failed_request_nor_an_expected_no_answer():
    lost = HttpResponse(None, error="x", lost="exec in kubelab-client: the connection through the API server broke")
    r = http_check.evaluate(HTTP, lost)
    assert not r.ok and "no sample" in r.summary and "no response" not in r.summary, r.summary
    # before: the broken exec read as "no answer", so a check expecting a closed service passed
    assert not http_check.evaluate(REFUSED, lost).ok
    from runner.cluster.pod_http import no_pod
    from runner.schema import Target
    assert not http_check.evaluate(REFUSED, no_pod(Target(kind="Pod", name="prober"), "ns", [])).ok


def test_a_check_whose_last_try_took_no_sample_reports_its_last_real_failure():
    from runner.checks.base import Result, prefer_observed
    refused = http_check.evaluate(HTTP, HttpResponse(None, error="Connection refused"))
    lost = http_check.evaluate(HTTP, HttpResponse(None, error="x", lost="exec in frontend gave no exit status in time"))
    assert lost.unobserved and not refused.unobserved
    (r,) = prefer_observed([lost], [refused])
    assert not r.ok and "connection refused" in r.summary, r.summary
    assert r.details[-1] == f"the last try took no sample: {lost.summary}"
    assert prefer_observed([lost], [None]) == [lost]                   # nothing else seen: say what happened
    ok = Result.passed("up")
    assert prefer_observed([lost], [ok]) == [lost]                     # a pass before is no cause to report
    assert prefer_observed([refused], [refused]) == [refused]


def test_the_client_pod_request_whose_exec_broke_is_lost(monkeypatch):
    from runner.cluster import probes
    from runner.errors import ExecChannelLost

    def broken(*a, **k):
        raise ExecChannelLost("exec in kubelab-client: the connection through the API server broke (SSLEOFError)")
    monkeypatch.setattr(probes, "pod_exec", broken)
    r = probes.cluster_http(None, "ns", HTTP)
    assert r.status is None and r.lost and "SSLEOFError" in r.lost


def test_an_invariant_counts_lost_samples_apart():
    spec = InvariantSpec.model_validate({"every": "200ms", "http": {"from": "cluster", "url": "http://web/", "status": 200}})
    ok = [HttpResponse(200, at=float(i)) for i in range(10)]
    lost = [HttpResponse(None, error="e", at=10.0 + i, lost="API server unavailable for 25 s: refused") for i in range(5)]
    r = invariant.evaluate(spec, ok + lost, 0.0)
    assert r.ok, r.summary
    assert "all 10 requests" in r.summary and "5 could not be made" in r.summary
    assert any("5 samples could not be taken" in d and "API server unavailable" in d for d in r.details), r.details
    failed = invariant.evaluate(spec, ok + lost + [HttpResponse(None, error="connection refused", at=20.0)], 0.0)
    assert not failed.ok and "1 of 11 requests" in failed.summary, failed.summary
    few = invariant.evaluate(spec, ok[:1] + lost, 0.0)      # lost samples do not make up for missing ones
    assert not few.ok and "only 1 samples" in few.summary, few.summary


def test_objects_never_listed_are_unknown_not_absent(tmp_path):
    lab = """
id: demo
title: Demo
concept: A concept
objectives: [one]
steps:
  - id: first
    title: First
    check:
      - absent: {target: {kind: Pod, selector: app=web}}
    solve:
      - delete: {kind: Pod, selector: app=web}
"""
    sess = session(tmp_path, lab)
    inf = FakeInformer()
    inf.synced = threading.Event()                # the API server has not answered the list
    inf.unlisted = lambda: "Pod not listed yet (API server unavailable for 60 s: refused)"
    sess.informers.by_key[("Pod", "app=web", None)] = inf
    (out,) = sess.check_step(sess.step("first"), {}, timeout_cap=1)
    assert not out.result.ok and "not observed yet" in out.result.summary, out.result.summary
    inf.synced.set()
    (out,) = sess.check_step(sess.step("first"), {}, timeout_cap=1)
    assert out.result.ok, out.result.summary


HOLD = """
import sys, time
from pathlib import Path
from runner.runlock import run_lock
with run_lock("ann", "pod", Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_one_run_per_learner_and_lab_and_kill_9_frees_it(tmp_path):
    from runner.runlock import holder, run_lock
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "held"
        assert holder("ann", "pod", tmp_path) == p.pid
        with pytest.raises(LabError) as e:
            with run_lock("ann", "pod", tmp_path):
                pass
        assert f"pid {p.pid}" in str(e.value) and "already running" in str(e.value)
        with run_lock("bob", "pod", tmp_path), run_lock("ann", "service", tmp_path):
            pass                       # other learners and other labs are free
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    assert holder("ann", "pod", tmp_path) is None
    with run_lock("ann", "pod", tmp_path):
        assert holder("ann", "pod", tmp_path) == os.getpid()


def _writer(directory: str, lab: str, n: int) -> None:
    store = ProgressStore("kim", __import__("pathlib").Path(directory))
    for i in range(n):
        p = store.get(lab)
        p.hints[f"s{i}"] = i
        store.put(lab, p)


def test_progress_writes_of_several_processes_are_all_kept(tmp_path):
    """Read-modify-write under a lock: without it, about half of these updates are lost."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), f"lab{k}", 25)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    store = ProgressStore("kim", tmp_path)
    for k in range(4):
        assert len(store.get(f"lab{k}").hints) == 25, store.get(f"lab{k}")
    store.clear("lab0")
    assert store.get("lab0") == LabProgress() and len(store.get("lab1").hints) == 25


def test_diagnostics_get_a_short_budget_while_the_api_server_is_away(monkeypatch):
    monkeypatch.setattr(limits, "API_OUTAGE", 60.0)

    def down():
        raise refused()
    t0 = time.monotonic()
    with kclient.api_budget(0.5), pytest.raises(kclient.ApiUnavailable):
        kclient.call(down)
    assert time.monotonic() - t0 < 10


def forbidden() -> ApiException:
    e = ApiException(status=403, reason="Forbidden")
    e.body = json.dumps({"code": 403, "message": 'namespaces "lab-x" is forbidden: User "kubernetes-admin" cannot get '
                         'resource "namespaces"'})
    return e


def test_a_403_right_after_the_api_server_was_away_is_its_warm_up(monkeypatch):
    """Seen live: the restarted API server refused the cluster admin for a moment (RBAC not loaded yet)."""
    monkeypatch.setattr(limits, "API_OUTAGE", 10.0)
    assert kclient.is_permanent(forbidden())            # on a server that was never away: a verdict
    answers = [refused(), forbidden(), forbidden(), "ok"]

    def restarting():
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a
    assert kclient.call(restarting) == "ok"
    assert not kclient.is_permanent(forbidden())        # within WARMUP of the outage
    kclient._last_down[0] = time.monotonic() - kclient.WARMUP - 1     # reset by the autouse fixture
    assert kclient.is_permanent(forbidden())
