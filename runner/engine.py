"""A lab session: namespace, apply, evaluate/wait for checks (watch-driven), invariant sampling, solve actions.

The pure verdicts come from runner.checks.*; this module only gathers what they observe.
"""
from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runner import activity
from runner.checks import absent, condition, count, event, hpa_state, match
from runner.checks import exec as exec_check
from runner.checks import http as http_check
from runner.checks.base import Result
from runner.cluster import explain, nodeports, pod_http, probes
from runner.cluster import objects as kobj
from runner.cluster.client import Kube, api_budget, describe_error, is_permanent
from runner.cluster.informer import Informer, Informers
from runner.cluster.reset import start_reset, sweep
from runner.cluster.rollout import rollout_undo
from runner.errors import LabError
from runner.loader import LoadedLab
from runner.placeholders import names_in, namespace_for, substitute, substitute_model
from runner.sampler import Sampler
from runner.schema import Action, Check, Step, Target, Text
from runner.stepvalues import StepValues
from runner.tls import tls_secret_manifest
from runner.values import ValueMissing

TICK_PROBE = 1.0      # http/exec look at things that are not API objects: re-probe at least this often
TICK_SAFETY = 5.0     # even for watched objects, re-evaluate now and then (a watch can lag or restart)
EXPLAIN_BUDGET = 5.0  # seconds each diagnostic API call of a failed check may wait for an API server that is away
# A failing http/exec check looks at what no watch shows (an Ingress or Gateway controller programming its
# routes, kube-proxy rules): the quiet give-up waits at least this long for it.
QUIET_PROBE = 15.0


class WaitFailed(Exception):
    """A solve `wait` timed out; carries the outcome so reports show its diff, events and logs."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(f"wait failed: {outcome.result.summary}")
        self.outcome = outcome


@dataclass
class Outcome:
    label: str
    kind: str
    result: Result
    elapsed: float
    diagnostics: list[str] = field(default_factory=list)
    hint: Text | None = None          # the check's own hint (shown first when it fails)


class Session:
    def __init__(self, kube: Kube, loaded: LoadedLab, learner: str | None = None,
                 namespace: str | None = None) -> None:
        self.kube, self.loaded, self.lab = kube, loaded, loaded.lab
        self.learner = learner
        self.namespace = namespace or namespace_for(self.lab.id, learner)
        self.vars = {"NAMESPACE": self.namespace, "LAB": self.lab.id, "LEARNER": learner or "",
                     "HOST_SUFFIX": f"{self.namespace}.localtest.me"}
        self.informers = Informers(kube)
        self.values = StepValues(self)
        self.current: Step | None = None      # the step whose values:/checks are being judged
        self.uses_node_port = "NODE_PORT" in loaded.lab.model_dump_json() or any(
            "NODE_PORT" in p.read_text(errors="ignore") for p in loaded.manifests.glob("**/*.y*ml"))
        self._client_ready = False
        self.cleanup_failures: list[str] = []
        self._lock = threading.Lock()
        self._samplers: list[Sampler] = []

    # --- lifecycle -----------------------------------------------------------------
    def step(self, step_id: str) -> Step:
        """The step with ${NAMESPACE} & co. replaced everywhere (escapes and step values stay for `final`)."""
        if self.uses_node_port and "NODE_PORT" not in self.vars:
            port = nodeports.current(self.kube, self.namespace)     # claimed by prepare (run, solve, verify)
            if port:
                self.vars["NODE_PORT"] = str(port)
        self.current = substitute_model(self.lab.step(step_id), self.vars, final=False)
        return self.current

    def begin_step(self, step: Step, fresh: bool = True) -> None:
        """After the step's apply: read its `at: start` values (see runner/stepvalues.py)."""
        self.current = step
        self.values.begin(step, fresh)

    def final(self, model: Any) -> Any:
        """The last placeholder pass over a check or action: step values read now, $${X} -> ${X}."""
        data = model.model_dump(by_alias=True, exclude_unset=True)
        extra = self.values.variables(self.current, names_in(data))    # may raise ValueMissing
        return type(model).model_validate(substitute(data, {**self.vars, **extra}, final=True))

    def text(self, t: Any, lang: str) -> str:
        return str(substitute(self.loaded.text(t, lang), self.vars))

    def prepare(self) -> None:
        kobj.ensure_namespace(self.kube, self.namespace, self.lab.id)
        if self.uses_node_port:
            self.vars["NODE_PORT"] = str(nodeports.claim(self.kube, self.namespace))

    def close(self) -> None:
        for smp in self._samplers:
            smp.stop()
        self._samplers = []
        self.informers.stop()
        self._client_ready = False    # the client pod goes with the namespace; ask again next time

    def namespace_lost(self) -> bool:
        """True when the lab namespace is gone or going (a `kubelab reset` while `run` waits for a key)."""
        return not kobj.namespace_active(self.kube, self.namespace)

    def cluster_kinds(self) -> list[tuple[str, str]]:
        """Every (apiVersion, kind) in the lab's manifests, so reset also looks there."""
        kinds = []
        for s in self.lab.steps:
            specs = list(s.apply) + [a.apply for a in s.solve + s.cleanup if a.apply]
            for spec in specs:
                try:
                    docs = kobj.load_documents(spec, self.loaded.manifests, self.vars)
                except (OSError, LabError):   # a manifest broken since load: reset must still go on
                    continue
                kinds += [(d.get("apiVersion", "v1"), d["kind"]) for d in docs if d.get("kind")]
        return kinds

    def reset(self, timeout: float = 180.0) -> list[str]:
        """Delete everything of this run and wait until it is gone (TimeoutError names what is left).
        What was removed; cleanup actions that failed are in self.cleanup_failures (reset goes on)."""
        done = self.start_reset()
        left = sweep(self.kube, {self.namespace: self.cluster_kinds()}, timeout).get(self.namespace)
        if left:
            raise TimeoutError(f"still there after {timeout:.0f}s: {', '.join(left)}")
        return done

    def start_reset(self) -> list[str]:
        """The lab's cleanup actions, then issue the deletions without waiting (see runner/cluster/reset.py)."""
        self.close()
        done: list[str] = []
        self.cleanup_failures = []
        for s in reversed(self.lab.steps):
            for a in substitute_model(self.lab.step(s.id), self.vars, final=False).cleanup:
                try:
                    done += self.run_action(a)
                except Exception as e:  # noqa: BLE001 - cleanup is best effort; leftovers are reported
                    if not kobj.is_not_found(e):
                        self.cleanup_failures.append(f"{a.kind}: {describe_error(e)}")
        self.vars.pop("NODE_PORT", None)
        return done + start_reset(self.kube, self.namespace, self.cluster_kinds(), self.lab.defaults.zero_grace_cleanup)

    # --- actions -------------------------------------------------------------------
    def apply(self, step: Step) -> list[str]:
        done = []
        for spec in step.apply:
            docs = kobj.load_documents(spec, self.loaded.manifests, self.vars)
            done += kobj.apply_docs(self.kube, docs, self.namespace, self.lab.id)
        return done

    def run_action(self, a: Action) -> list[str]:
        ns = self.namespace
        if not (a.apply or a.wait):      # apply: load_documents does the final pass; wait: its check does
            a = self.final(a)
        if a.rollout_undo:
            return rollout_undo(self.kube, ns, a.rollout_undo.name, a.rollout_undo.to_revision)
        if a.apply:
            return kobj.apply_docs(self.kube, kobj.load_documents(a.apply, self.loaded.manifests, self.vars), ns, self.lab.id)
        if a.delete:
            return kobj.delete_target(self.kube, a.delete, ns)
        if a.patch:
            return kobj.patch_target(self.kube, a.patch, ns)
        if a.exec:
            pod = self.wait_pod(a.exec)
            out = probes.pod_exec(self.kube, ns, pod, a.exec.command, a.exec.container)
            r = exec_check.evaluate(a.exec, out)
            if not r.ok:
                raise RuntimeError(f"solve exec failed: {r.summary}")
            return [f"exec {' '.join(a.exec.command)} in {pod}"]
        if a.wait:
            if a.wait.seconds is not None:
                time.sleep(a.wait.seconds)
                return [f"waited {a.wait.seconds:g}s"]
            assert a.wait.check is not None      # the schema: exactly one of seconds, check
            o = self.wait(a.wait.check)
            if not o.result.ok:
                raise WaitFailed(o)
            return [f"waited for {o.label} ({o.elapsed:.1f}s)"]
        if a.tls_secret:
            t = a.tls_secret
            return kobj.apply_docs(self.kube, [tls_secret_manifest(t.name, t.hosts, t.days)], ns, self.lab.id)
        raise ValueError(f"unknown action {a.kind}")

    def solve(self, step: Step) -> list[str]:
        done = []
        for a in step.solve:
            done += self.run_action(a)
        return done

    # --- observation -----------------------------------------------------------------
    def informer(self, t: Target) -> Informer:
        return self.informers.get(t.api_version, t.kind, t.namespace or self.namespace, t.selector_str(), t.name)

    def pick_pod(self, spec: Any) -> str:
        if spec.pod_name:
            return str(spec.pod_name)
        inf = self.informer(spec.pod)
        if not inf.synced.is_set():
            raise LookupError(inf.unlisted())       # unknown, which is not "no pod"
        pods = inf.objects()
        running = [o for o in pods
                   if (o.get("status") or {}).get("phase") == "Running" and not o["metadata"].get("deletionTimestamp")]
        if not running:
            raise LookupError(f"no Running pod for {spec.pod.describe()}" if pods else
                              f"no pod {spec.pod.describe()} exists in {self.namespace}")
        return str(running[0]["metadata"]["name"])

    def wait_pod(self, spec: Any, timeout: float | None = None) -> str:
        """pick_pod, waiting (on the pod watch) until one runs: a solve may exec right after an apply."""
        # wait on the very informer pick_pod/_running read, or a change there is noticed only at the deadline
        inf = self.informer(spec.pod) if not spec.pod_name else self.informers.get("v1", "Pod", self.namespace)
        deadline = time.monotonic() + (timeout or self.lab.defaults.timeout)
        seen = -1
        while True:
            try:
                return self.pick_pod(spec) if not spec.pod_name else self._running(spec.pod_name)
            except LookupError:
                if time.monotonic() >= deadline:
                    raise
                seen = inf.wait_change(seen if seen >= 0 else inf.version, deadline - time.monotonic())

    def _running(self, name: str) -> str:
        inf = self.informers.get("v1", "Pod", self.namespace)
        if not inf.synced.is_set():
            raise LookupError(inf.unlisted())
        pods = [o for o in inf.objects() if o["metadata"]["name"] == name]
        if not pods:
            raise LookupError(f"pod {name} does not exist in {self.namespace}")
        phase = (pods[0].get("status") or {}).get("phase")
        if phase != "Running":
            raise LookupError(f"pod {name} is not Running ({phase or 'no phase yet'})")
        return name

    def http(self, spec: Any) -> http_check.HttpResponse:
        at = time.monotonic()
        if spec.pod is not None:       # sent from a lab pod, not the client pod (runner/cluster/pod_http.py)
            try:
                return pod_http.from_pod(self.kube, spec, spec.pod.namespace or self.namespace,
                                         self.informer(spec.pod).objects())
            except Exception as e:  # noqa: BLE001 - as below
                return http_check.HttpResponse(None, error=describe_error(e), at=at, lost=describe_error(e))
        try:
            if spec.from_ == "cluster":
                with self._lock:
                    if not self._client_ready:
                        probes.ensure_client_pod(self.kube, self.namespace)
                        self._client_ready = True
            r = probes.http_probe(self.kube, self.namespace, spec)
        except Exception as e:  # noqa: BLE001 - no client pod or no exec (API server away, 403): no request was made
            return http_check.HttpResponse(None, error=describe_error(e), at=at, lost=describe_error(e))
        if spec.tls and spec.tls.secret:
            r.secret_cert = self.secret_cert(spec.tls.secret)
        return r

    def secret_cert(self, name: str) -> str | None:
        """tls.crt of a Secret in the lab namespace (PEM), None when the Secret does not exist."""
        objs = self.informers.get("v1", "Secret", self.namespace, None, name).objects()
        if not objs:
            return None
        return base64.b64decode(((objs[0].get("data") or {}).get("tls.crt")) or "").decode("utf-8", "replace")

    def sources(self, c: Check) -> tuple[list[Informer], float]:
        """Informers whose changes should re-evaluate the check, and the longest wait between evaluations."""
        infs, tick = self._own_sources(c)
        if self.current is not None and self.current.values:     # a value's object changing changes the check
            used = names_in(c.model_dump(by_alias=True, exclude_unset=True))
            infs += [self.informer(v.target) for n, v in self.current.values.items() if v.at == "check" and n in used]
        return infs, tick

    def _own_sources(self, c: Check) -> tuple[list[Informer], float]:
        s = c.spec
        if c.kind in ("match", "absent", "count", "condition"):
            return [self.informer(s.target)], TICK_SAFETY
        if c.kind == "event":
            infs = [self.informers.get("v1", "Event", self.namespace)]
            return infs + ([self.informer(s.target)] if s.target.selector else []), TICK_SAFETY
        pods = [self.informers.get("v1", "Pod", self.namespace)]
        return pods, TICK_PROBE

    def evaluate(self, c: Check) -> Result:
        """One evaluation of one check; errors become failures with the reason."""
        try:
            c = self.final(c)
        except ValueMissing as e:
            return Result.failed(f"{c.label()}: {e}", [str(e)])
        s = c.spec
        try:
            if c.kind in ("match", "absent", "count", "condition"):
                mod = {"match": match, "absent": absent, "count": count, "condition": condition}[c.kind]
                inf = self.informer(s.target)
                if inf.error:     # e.g. 401, 403 or a bad selector: the objects are unknown, not absent
                    return Result(False, f"{c.label()}: {inf.error}", [inf.error], fatal=True)
                if not inf.synced.is_set():   # never listed (API server away): unknown, not absent
                    return Result.failed(f"{c.label()}: not observed yet: {inf.unlisted()}", [inf.unlisted()])
                verdict: Result = mod.evaluate(s, inf.objects())
                return verdict
            if c.kind == "event":
                names = {s.target.name} if s.target.name else (
                    {o["metadata"]["name"] for o in self.informer(s.target).objects()} if s.target.selector else None)
                ev_inf = self.informers.get("v1", "Event", self.namespace)
                if ev_inf.error:
                    return Result(False, f"{c.label()}: {ev_inf.error}", [ev_inf.error], fatal=True)
                if not ev_inf.synced.is_set():
                    return Result.failed(f"{c.label()}: not observed yet: {ev_inf.unlisted()}", [ev_inf.unlisted()])
                evs = ev_inf.objects()
                return event.evaluate(s, evs, names)
            if c.kind == "http":      # the Services/Ingresses behind the URL are found by explain_failure
                return http_check.evaluate(s, self.http(s))
            if c.kind == "exec":
                # A pod that is not Running fails at once: exec against it would be retried for 30s.
                pod = self._running(s.pod_name) if s.pod_name else self.pick_pod(s)
                return exec_check.evaluate(s, probes.pod_exec(self.kube, self.namespace, pod, s.command, s.container))
        except Exception as e:  # noqa: BLE001
            return Result(False, f"{c.label()}: {describe_error(e)}", [describe_error(e)], fatal=is_permanent(e))
        raise ValueError(f"{c.kind} is evaluated by its sampler")

    def wait_many(self, checks: list[Check], timeout: float,
                  done: Callable[[list[Result]], bool], quiet: float | None = None,
                  wake_in: Callable[[], float] | None = None) -> list[Result]:
        """Re-evaluate `checks` on every change of their sources until done(results) or timeout.

        quiet: also stop when nothing changed (the checks' objects, the namespace's pods and events)
        for that long: a learner's check that cannot pass by waiting answers at once.
        wake_in: seconds until `done` may turn true without a watch event (re-evaluate then).
        """
        trigger = threading.Event()
        last_change = [time.monotonic()]

        def listen(_objs: Any) -> None:
            last_change[0] = time.monotonic()
            trigger.set()
        infs, tick = [], TICK_SAFETY
        for c in checks:
            try:
                found, t = self.sources(c)
            except Exception:  # noqa: BLE001 - e.g. an unknown kind: evaluate() reports it as the check's failure
                found, t = [], TICK_PROBE
            infs += found
            tick = min(tick, t)
        watchers: list[tuple[Informer, Callable[[Any], None]]] = [(i, listen) for i in infs]
        if quiet is not None:      # the namespace's pods and events count only when they make progress
            for kind in ("Pod", "Event"):
                inf = self.informers.get("v1", kind, self.namespace)
                watchers.append((inf, activity.listener(kind, inf.objects(), listen)))
            tick = min(tick, quiet)
        for i, fn in watchers:
            i.add_listener(fn)
        start = time.monotonic()
        deadline = start + timeout
        last_change[0] = start
        try:
            while True:
                trigger.clear()
                results = [self.evaluate(c) for c in checks]
                now = time.monotonic()
                remaining = deadline - now
                q = quiet
                if q is not None and any(not r.ok and c.kind in ("http", "exec") for c, r in zip(checks, results)):
                    q = max(q, QUIET_PROBE)
                calm = q is not None and now - last_change[0] >= q
                # an HPA acts on its own period (runner/checks/hpa_state.py): silence between syncs is not the end
                busy = calm and any(hpa_state.pending(o) for t in hpa_state.targets(checks) for o in self.informer(t).objects())
                if done(results) or remaining <= 0 or (calm and not busy) or any(r.fatal for r in results):
                    return results
                wake = remaining if q is None or busy else min(remaining, last_change[0] + q - now)
                if wake_in is not None:
                    wake = min(wake, wake_in())
                trigger.wait(max(0.05, min(tick, wake)))
        finally:
            for i, fn in watchers:
                i.remove_listener(fn)

    def wait(self, c: Check, timeout: float | None = None) -> Outcome:
        timeout = timeout if timeout is not None else (c.timeout or self.lab.defaults.timeout)
        t0 = time.monotonic()
        (r,) = self.wait_many([c], timeout, lambda rs: rs[0].ok)
        elapsed = time.monotonic() - t0
        diag: list[str] = []
        if not r.ok:
            diag = self.explain_failure(c, r)
            r.details.insert(0, f"timed out after {timeout:g}s waiting for: {c.label()}")
        return Outcome(c.label(), c.kind, r, elapsed, diag)

    def explain_failure(self, c: Check, r: Result) -> list[str]:
        """The cause first in r.summary (runner/cluster/explain.py); returns the diagnostics lines."""
        try:
            c = self.final(c)
        except Exception:  # noqa: BLE001 - a value that cannot be read: explain with the check as written
            pass
        with api_budget(EXPLAIN_BUDGET):     # best effort: an API server away must not delay the verdict
            return explain.annotate(self.kube, self.namespace, c, r)

    def start_samplers(self, step: Step) -> dict[int, Sampler]:
        started = {i: Sampler(self, c) for i, c in enumerate(step.check) if c.kind == "invariant"}
        # close() stops them, however the caller ends (Ctrl-C too)
        self._samplers = [smp for smp in self._samplers if not smp.stopped] + list(started.values())
        return started

    def check_step(self, step: Step, samplers: dict[int, Sampler] | None = None,
                   timeout_cap: float | None = None, quiet: float | None = None) -> list[Outcome]:
        """All checks of a step: waited for together; invariants judged last on what was sampled.

        quiet: give up early when the checks fail and nothing in the namespace changed for that long.
        Without a sampler (a one-shot `kubelab check`) an invariant is judged on samples taken now.
        """
        self.current = step
        outs: list[Outcome] = []
        plain = [c for c in step.check if c.kind != "invariant"]
        limits = [min(c.timeout or self.lab.defaults.timeout, timeout_cap or 1e9) for c in plain]
        t0 = time.monotonic()
        oneshot = {i: Sampler(self, c) for i, c in enumerate(step.check)
                   if c.kind == "invariant" and (samplers or {}).get(i) is None}

        def done(rs: list[Result]) -> bool:
            # all pass, or one is still failing past its own timeout (the step cannot pass any more)
            el = time.monotonic() - t0
            return all(r.ok for r in rs) or any(not r.ok and el >= lim for r, lim in zip(rs, limits))

        # all checks wait together, so a learner's check takes as long as the slowest one, not the sum
        results = self.wait_many(plain, max(limits), done, quiet) if plain else []
        elapsed = time.monotonic() - t0
        for c, r, lim in zip(plain, results, limits):
            diag: list[str] = []
            if not r.ok:
                diag = self.explain_failure(c, r)
                r.details.insert(0, f"not passing after {elapsed:.0f}s (timeout {lim:g}s): {c.label()}")
            outs.append(Outcome(c.label(), c.kind, r, elapsed, diag, c.hint))
        for i, c in enumerate(step.check):
            if c.kind != "invariant":
                continue
            sampler = (samplers or {}).get(i) or oneshot[i]
            if all(o.result.ok for o in outs):
                sampler.wait_samples(min(c.timeout or self.lab.defaults.timeout, timeout_cap or 1e9))
                sampler.stop()
            r = sampler.result()
            if i in oneshot:
                r.details.append("judged on samples taken during this check only; "
                                 "`kubelab run` watches the promise for the whole step")
            outs.append(Outcome(c.label(), "invariant", r, time.monotonic() - sampler.start, [], c.hint))
        for smp in oneshot.values():
            smp.stop()
        return outs
