"""The engine's waiting logic and defects found in review, on in-memory informers (pure logic: what the
engine does with what informers report; the informers themselves are exercised on the live cluster)."""
from __future__ import annotations

import io
import json
import threading
import time
from types import SimpleNamespace

import pytest

from runner.cluster.client import is_permanent, is_transient
from runner.loader import load_lab_file
from tests.unit.conftest import LAB, make_lab


class FakeInformer:
    def __init__(self, objs=None, error=None):
        self._objs, self.error, self.version = list(objs or []), error, 0
        self.synced = threading.Event()
        self.synced.set()
        self._cond = threading.Condition()
        self.listeners = []

    def objects(self):
        return list(self._objs)

    def add_listener(self, fn):
        self.listeners.append(fn)

    def remove_listener(self, fn):
        self.listeners.remove(fn)

    def wait_change(self, seen, timeout):
        with self._cond:
            self._cond.wait_for(lambda: self.version > seen, timeout=max(0.0, timeout))
            return self.version

    def set(self, objs):
        with self._cond:
            self._objs = list(objs)
            self.version += 1
            self._cond.notify_all()
        for fn in list(self.listeners):
            fn(self._objs)


class FakeInformers:
    def __init__(self):
        self.by_key = {}

    def get(self, api_version, kind, namespace, label_selector=None, name=None, wait_sync=15.0):
        return self.by_key.setdefault((kind, label_selector, name), FakeInformer())

    def stop(self):
        pass


def session(tmp_path, lab=LAB):
    from runner.engine import Session
    sess = Session(None, load_lab_file(make_lab(tmp_path, lab=lab) / "lab.yaml"), "t")
    sess.informers = FakeInformers()
    return sess


def running_pod(name):
    return {"kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}}, "status": {"phase": "Running"}}


def test_an_error_no_wait_can_fix_ends_the_check_at_once_with_that_error(tmp_path):
    sess = session(tmp_path)
    sess.informers.by_key[("Pod", "app=web", None)] = FakeInformer(error="403 Forbidden: pods is forbidden: User \"x\"")
    t0 = time.monotonic()
    (out,) = sess.check_step(sess.step("first"), {}, timeout_cap=6)
    assert time.monotonic() - t0 < 3
    assert not out.result.ok and "403 Forbidden" in out.result.summary, out.result.summary


def test_unknown_kind_ends_the_check_at_once(tmp_path):
    from runner.errors import UnknownKind
    sess = session(tmp_path)

    def no_such_kind(*a, **k):
        raise UnknownKind("the cluster has no kind Pdo in v1")
    sess.informers.get = no_such_kind
    t0 = time.monotonic()
    (out,) = sess.check_step(sess.step("first"), {}, timeout_cap=6)
    assert time.monotonic() - t0 < 3 and "no kind Pdo" in out.result.summary


@pytest.mark.parametrize("status, body, transient, permanent", [
    (500, '{"message": "failed to create typed patch object (x/web; /v1, Kind=Pod): '
          '.spec.foo: field not declared in schema"}', False, True),
    (500, '{"message": "etcdserver: request timed out"}', True, False),
    (503, "", True, False), (429, "", True, False),
    (400, "", False, True), (401, "", False, True), (403, "", False, True), (422, "", False, True),
    (404, "", False, False), (409, "", False, False),
])
def test_which_api_errors_are_retried_and_which_end_a_check(status, body, transient, permanent):
    from kubernetes.client.exceptions import ApiException
    e = ApiException(status=status, reason="x")
    e.body = body
    assert (is_transient(e), is_permanent(e)) == (transient, permanent)


def test_wait_pod_wakes_on_the_informer_pick_pod_reads(tmp_path):
    from runner.schema import ExecSpec
    sess = session(tmp_path)
    spec = ExecSpec.model_validate({"pod": {"kind": "Pod", "selector": "app=web"}, "command": ["true"]})
    sel = sess.informers.get("v1", "Pod", sess.namespace, "app=web")
    sess.informers.get("v1", "Pod", sess.namespace)          # the namespace-wide one never changes here
    threading.Timer(0.3, lambda: sel.set([running_pod("web-1")])).start()
    t0 = time.monotonic()
    assert sess.wait_pod(spec, timeout=8) == "web-1"
    assert time.monotonic() - t0 < 4


def test_a_listener_removing_itself_does_not_make_the_informer_skip_the_next():
    from runner.cluster.informer import Informer
    kube = SimpleNamespace(resource=lambda *a: SimpleNamespace(namespaced=True))
    inf = Informer(kube, "v1", "Pod", "ns")     # not started: no thread, no API
    seen = []

    def once(objs):
        seen.append("once")
        inf.remove_listener(once)
    inf.add_listener(once)
    inf.add_listener(lambda objs: seen.append("second"))
    inf._changed()
    assert seen == ["once", "second"]


def test_close_forgets_the_client_pod(tmp_path):
    sess = session(tmp_path)
    sess._client_ready = True
    sess.close()
    assert sess._client_ready is False


def test_reset_keeps_cleanup_failures_apart_from_what_it_removed(tmp_path, monkeypatch):
    import runner.engine.lifecycle as engine
    lab = LAB + "    cleanup:\n      - delete: {kind: Pod, name: web}\n"
    sess = session(tmp_path, lab)
    monkeypatch.setattr(engine, "start_reset", lambda *a, **k: ["Namespace/lab-demo-t"])
    monkeypatch.setattr(engine, "sweep", lambda *a, **k: {})

    def boom(a):
        raise RuntimeError("boom")
    sess.run_action = boom
    assert sess.reset() == ["Namespace/lab-demo-t"]
    assert sess.cleanup_failures == ["delete: RuntimeError: boom"]


def guided(tmp_path, monkeypatch, lab, keys, lost=()):
    """run_guided in plain mode on keys typed; cluster actions recorded instead of done."""
    import runner.guided as g
    from runner.progress import ProgressStore
    from runner.render import Out
    sess = session(tmp_path, lab)
    calls = []
    sess.prepare = lambda: calls.append("prepare")
    sess.apply = lambda step: calls.append(f"apply {step.id}") or []
    sess.solve = lambda step: calls.append(f"solve {step.id}") or []
    lost = list(lost)
    sess.namespace_lost = lambda: lost.pop(0) if lost else False
    monkeypatch.setattr("sys.stdin", io.StringIO(keys))
    store = ProgressStore("t", tmp_path / "state")
    code = g.run_guided(Out("plain"), sess, store, "en", check_cap=1)
    return code, store.get("demo"), calls


TWO_STEPS = LAB.replace("steps:\n", "steps:\n  - id: intro\n    title: Look around\n")


def test_q_on_a_step_without_checks_quits_and_keeps_the_place(tmp_path, monkeypatch, capsys):
    code, prog, calls = guided(tmp_path, monkeypatch, TWO_STEPS, "q\n")
    assert code == 0 and prog.step == "intro" and prog.completed == []
    assert calls == ["prepare", "apply intro"]


def test_run_notices_a_reset_namespace_and_sets_the_step_up_again(tmp_path, monkeypatch, capsys):
    code, prog, calls = guided(tmp_path, monkeypatch, LAB, "s\n\nq\n", lost=[True])
    out = capsys.readouterr().out
    assert "namespace lab-demo-t is gone" in out and "step set up again" in out, out
    assert calls == ["prepare", "apply first", "prepare", "apply first"]    # no solve on the lost namespace
    assert code == 0 and prog.step == "first"


def test_run_can_quit_instead_of_setting_up_again(tmp_path, monkeypatch, capsys):
    code, prog, calls = guided(tmp_path, monkeypatch, LAB, "\nq\n", lost=[True])
    assert code == 0 and calls == ["prepare", "apply first"] and prog.step == "first"


def test_show_fills_in_the_namespace(lab_dir, cli):
    code, out, err = cli("--learner", "kim", "show", str(lab_dir))
    assert code == 0, err
    assert "Namespace lab-demo-kim" in out and "${NAMESPACE}" not in out


def test_global_options_after_the_subcommand(lab_dir, cli):
    code, out, err = cli("show", str(lab_dir), "--json", "--lang", "ko")
    assert code == 0, err
    assert json.loads(out)["id"] == "demo"


def test_hoist_globals_keeps_subcommand_options_and_arguments():
    from runner.argv import hoist_globals
    assert hoist_globals(["list", "--json"]) == ["--json", "list"]
    assert hoist_globals(["check", "pod", "--learner", "kim", "--wait", "3", "--lang=ko"]) == \
        ["--learner", "kim", "--lang=ko", "check", "pod", "--wait", "3"]
    assert hoist_globals(["verify", "--", "--json"]) == ["verify", "--", "--json"]


def test_in_cluster_request_that_timed_out_says_so():
    from runner.cluster.probes import parse_wget
    r = parse_wget("", "Connecting to web:8080 (10.96.0.5:8080)\n", 143)
    assert r.status is None and r.error == "timed out"


@pytest.mark.parametrize("command", ["render", "apply"])
def test_render_and_apply_reach_the_cluster_step_without_a_name_error(lab_dir, cli, command):
    code, out, err = cli(command, str(lab_dir), "web.yaml")
    assert code == 2 and "Traceback" not in err and "kubeconfig" in err, (code, err)


def test_verify_stops_the_samplers_when_checking_raises():
    from runner.schema import Step
    from runner.verify import verify_step
    step = Step.model_validate({"id": "one", "title": "One", "check_cannot_fail": "observe only",
                                "check": [{"count": {"target": {"kind": "Pod"}, "equals": 1}}]})
    sampler = SimpleNamespace(stopped=False)
    sampler.stop = lambda: setattr(sampler, "stopped", True)

    def check_step(step, samplers):
        raise RuntimeError("API gone while diagnosing")
    sess = SimpleNamespace(step=lambda sid: step, apply=lambda s: [], begin_step=lambda s: None,
                           start_samplers=lambda s: {0: sampler}, solve=lambda s: [], check_step=check_step)
    with pytest.raises(RuntimeError):
        verify_step(sess, "one", 1.0)
    assert sampler.stopped
