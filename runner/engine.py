"""A lab session: namespace, apply, evaluate/wait for checks (watch-driven), invariant sampling, solve actions.

The pure verdicts come from runner.checks.*; this module only gathers what they observe.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from runner.checks import absent, condition, count, event, exec as exec_check, http as http_check, invariant, match
from runner.checks.base import Result
from runner.checks.invariant import pods_sample
from runner.cluster import objects as kobj
from runner.cluster import probes
from runner.cluster.client import Kube, describe_error
from runner.cluster.diagnose import diagnose
from runner.cluster.informer import Informer, Informers
from runner.cluster.reset import reset_namespace
from runner.loader import LoadedLab
from runner.placeholders import namespace_for, substitute, substitute_model
from runner.schema import Action, Check, Step, Target
from runner.tls import tls_secret_manifest

TICK_PROBE = 1.0      # http/exec look at things that are not API objects: re-probe at least this often
TICK_SAFETY = 5.0     # even for watched objects, re-evaluate now and then (a watch can lag or restart)


class WaitFailed(Exception):
    """A solve `wait` timed out; carries the outcome so reports show its diff, events and logs."""

    def __init__(self, outcome: "Outcome") -> None:
        super().__init__(f"wait failed: {outcome.result.summary}")
        self.outcome = outcome


@dataclass
class Outcome:
    label: str
    kind: str
    result: Result
    elapsed: float
    diagnostics: list[str] = field(default_factory=list)


class Sampler:
    """Collects invariant samples while a step runs: pod states on every watch event, HTTP on a period."""

    def __init__(self, session: "Session", check: Check) -> None:
        self.session, self.spec = session, check.invariant
        self.samples: list[Any] = []
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Condition()
        self._inf: Informer | None = None
        if self.spec.pods:
            sel = Target(kind="Pod", selector=self.spec.pods.selector).selector_str()
            self._inf = session.informers.get("v1", "Pod", session.namespace, sel)
            self._inf.add_listener(self._on_pods)
            self._on_pods(self._inf.objects())
        else:
            threading.Thread(target=self._probe_loop, daemon=True, name="sampler-http").start()

    def _on_pods(self, objs: list[dict[str, Any]]) -> None:
        if not self._stop.is_set():
            with self._lock:
                self.samples.append(pods_sample(time.monotonic(), objs))
                self._lock.notify_all()

    def _probe_loop(self) -> None:
        while not self._stop.is_set():
            t0 = time.monotonic()
            r = self.session.http(self.spec.http)
            with self._lock:
                if not self._stop.is_set():
                    self.samples.append(r)
                    self._lock.notify_all()
            self._stop.wait(max(0.0, self.spec.every - (time.monotonic() - t0)))

    def wait_samples(self, timeout: float) -> None:
        """A step can finish faster than min_samples periods: keep sampling a little before judging."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.samples) >= self.spec.min_samples, timeout=timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._inf:
            self._inf.remove_listener(self._on_pods)

    def result(self) -> Result:
        with self._lock:
            return invariant.evaluate(self.spec, list(self.samples), self.start)


class Session:
    def __init__(self, kube: Kube, loaded: LoadedLab, learner: str | None = None,
                 namespace: str | None = None) -> None:
        self.kube, self.loaded, self.lab = kube, loaded, loaded.lab
        self.learner = learner
        self.namespace = namespace or namespace_for(self.lab.id, learner)
        self.vars = {"NAMESPACE": self.namespace, "LAB": self.lab.id, "LEARNER": learner or ""}
        self.informers = Informers(kube)
        self._client_ready = False
        self._lock = threading.Lock()

    # --- lifecycle -----------------------------------------------------------------
    def step(self, step_id: str) -> Step:
        """The step with ${NAMESPACE} & co. replaced everywhere."""
        return substitute_model(self.lab.step(step_id), self.vars)

    def text(self, t: Any, lang: str) -> str:
        return substitute(self.loaded.text(t, lang), self.vars)

    def prepare(self) -> None:
        kobj.ensure_namespace(self.kube, self.namespace, self.lab.id)

    def close(self) -> None:
        self.informers.stop()

    def cluster_kinds(self) -> list[tuple[str, str]]:
        """Every (apiVersion, kind) in the lab's manifests, so reset also looks there."""
        kinds = []
        for s in self.lab.steps:
            specs = list(s.apply) + [a.apply for a in s.solve + s.cleanup if a.apply]
            for spec in specs:
                try:
                    docs = kobj.load_documents(spec, self.loaded.manifests, self.vars)
                except OSError:
                    continue
                kinds += [(d.get("apiVersion", "v1"), d["kind"]) for d in docs if d.get("kind")]
        return kinds

    def reset(self) -> list[str]:
        self.close()
        done = []
        for s in reversed(self.lab.steps):
            for a in self.step(s.id).cleanup:
                try:
                    done += self.run_action(a)
                except Exception as e:  # noqa: BLE001 - cleanup is best effort; leftovers are reported
                    if not kobj.is_not_found(e):
                        done.append(f"cleanup failed: {e}")
        return done + reset_namespace(self.kube, self.namespace, self.cluster_kinds())

    # --- actions -------------------------------------------------------------------
    def apply(self, step: Step) -> list[str]:
        done = []
        for spec in step.apply:
            docs = kobj.load_documents(spec, self.loaded.manifests, self.vars)
            done += kobj.apply_docs(self.kube, docs, self.namespace, self.lab.id)
        return done

    def run_action(self, a: Action) -> list[str]:
        ns = self.namespace
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
            return spec.pod_name
        running = [o for o in self.informer(spec.pod).objects()
                   if (o.get("status") or {}).get("phase") == "Running" and not o["metadata"].get("deletionTimestamp")]
        if not running:
            raise LookupError(f"no Running pod for {spec.pod.describe()}")
        return running[0]["metadata"]["name"]

    def wait_pod(self, spec: Any, timeout: float | None = None) -> str:
        """pick_pod, waiting (on the pod watch) until one runs: a solve may exec right after an apply."""
        inf = self.informers.get("v1", "Pod", self.namespace)
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
        pods = [o for o in self.informers.get("v1", "Pod", self.namespace).objects() if o["metadata"]["name"] == name]
        if not pods or (pods[0].get("status") or {}).get("phase") != "Running":
            raise LookupError(f"pod {name} is not Running")
        return name

    def http(self, spec: Any) -> http_check.HttpResponse:
        if spec.from_ == "cluster":
            with self._lock:
                if not self._client_ready:
                    probes.ensure_client_pod(self.kube, self.namespace)
                    self._client_ready = True
        try:
            return probes.http_probe(self.kube, self.namespace, spec)
        except Exception as e:  # noqa: BLE001 - an exec/transport failure is a failed request, not a crash
            return http_check.HttpResponse(None, error=describe_error(e), at=time.monotonic())

    def sources(self, c: Check) -> tuple[list[Informer], float]:
        """Informers whose changes should re-evaluate the check, and the longest wait between evaluations."""
        s = c.spec
        if c.kind in ("match", "absent", "count", "condition"):
            return [self.informer(s.target)], TICK_SAFETY
        if c.kind == "event":
            infs = [self.informers.get("v1", "Event", self.namespace)]
            return infs + ([self.informer(s.target)] if s.target.selector else []), TICK_SAFETY
        pods = [self.informers.get("v1", "Pod", self.namespace)]
        return pods, TICK_PROBE

    def evaluate(self, c: Check) -> Result:
        """One evaluation of one (already substituted) check; errors become failures with the reason."""
        s = c.spec
        try:
            if c.kind in ("match", "absent", "count", "condition"):
                mod = {"match": match, "absent": absent, "count": count, "condition": condition}[c.kind]
                return mod.evaluate(s, self.informer(s.target).objects())
            if c.kind == "event":
                names = {s.target.name} if s.target.name else (
                    {o["metadata"]["name"] for o in self.informer(s.target).objects()} if s.target.selector else None)
                evs = self.informers.get("v1", "Event", self.namespace).objects()
                return event.evaluate(s, evs, names)
            if c.kind == "http":
                r = http_check.evaluate(s, self.http(s))
                if not r.ok and s.from_ == "cluster":
                    # http://web:8080/ or web.ns.svc: name the Service so diagnostics show its endpoints
                    host = (urlsplit(s.url).hostname or "").split(".")
                    if host[0] and not host[0].isdigit() and (len(host) == 1 or host[1] == self.namespace):
                        r.objects.append(("Service", host[0]))
                return r
            if c.kind == "exec":
                # A pod that is not Running fails at once: exec against it would be retried for 30s.
                pod = self._running(s.pod_name) if s.pod_name else self.pick_pod(s)
                return exec_check.evaluate(s, probes.pod_exec(self.kube, self.namespace, pod, s.command, s.container))
        except Exception as e:  # noqa: BLE001
            return Result.failed(f"{c.label()}: {describe_error(e)}", [describe_error(e)])
        raise ValueError(f"{c.kind} is evaluated by its sampler")

    def wait_many(self, checks: list[Check], timeout: float,
                  done: Callable[[list[Result]], bool]) -> list[Result]:
        """Re-evaluate `checks` on every change of their sources until done(results) or timeout."""
        trigger = threading.Event()
        listen = lambda _objs: trigger.set()  # noqa: E731
        infs, tick = [], TICK_SAFETY
        for c in checks:
            i, t = self.sources(c)
            infs += i
            tick = min(tick, t)
        for i in infs:
            i.add_listener(listen)
        deadline = time.monotonic() + timeout
        try:
            while True:
                trigger.clear()
                results = [self.evaluate(c) for c in checks]
                remaining = deadline - time.monotonic()
                if done(results) or remaining <= 0:
                    return results
                trigger.wait(min(tick, remaining))
        finally:
            for i in infs:
                i.remove_listener(listen)

    def wait(self, c: Check, timeout: float | None = None) -> Outcome:
        timeout = timeout if timeout is not None else (c.timeout or self.lab.defaults.timeout)
        t0 = time.monotonic()
        (r,) = self.wait_many([c], timeout, lambda rs: rs[0].ok)
        elapsed = time.monotonic() - t0
        diag: list[str] = []
        if not r.ok:
            r.details.insert(0, f"timed out after {timeout:g}s waiting for: {c.label()}")
            diag = diagnose(self.kube, self.namespace, r.objects)
        return Outcome(c.label(), c.kind, r, elapsed, diag)

    def start_samplers(self, step: Step) -> dict[int, Sampler]:
        return {i: Sampler(self, c) for i, c in enumerate(step.check) if c.kind == "invariant"}

    def check_step(self, step: Step, samplers: dict[int, Sampler] | None = None,
                   timeout_cap: float | None = None) -> list[Outcome]:
        """All checks of a step: waited for in order; invariants judged last on what was sampled."""
        outs: list[Outcome] = []
        plain = [c for c in step.check if c.kind != "invariant"]
        limits = [min(c.timeout or self.lab.defaults.timeout, timeout_cap or 1e9) for c in plain]
        t0 = time.monotonic()

        def done(rs: list[Result]) -> bool:
            # all pass, or one is still failing past its own timeout (the step cannot pass any more)
            el = time.monotonic() - t0
            return all(r.ok for r in rs) or any(not r.ok and el >= lim for r, lim in zip(rs, limits))

        # all checks wait together, so a learner's check takes as long as the slowest one, not the sum
        results = self.wait_many(plain, max(limits), done) if plain else []
        elapsed = time.monotonic() - t0
        for c, r, lim in zip(plain, results, limits):
            diag: list[str] = []
            if not r.ok:
                r.details.insert(0, f"not passing after {elapsed:.0f}s (timeout {lim:g}s): {c.label()}")
                diag = diagnose(self.kube, self.namespace, r.objects)
            outs.append(Outcome(c.label(), c.kind, r, elapsed, diag))
        for i, c in enumerate(step.check):
            if c.kind != "invariant":
                continue
            sampler = (samplers or {}).get(i)
            if sampler is None:
                r = Result.failed(f"{c.label()}: not sampled (invariants are observed while the step runs)")
            else:
                if all(o.result.ok for o in outs):
                    sampler.wait_samples(min(c.timeout or self.lab.defaults.timeout, timeout_cap or 1e9))
                    sampler.stop()
                r = sampler.result()
            outs.append(Outcome(c.label(), "invariant", r, time.monotonic() - (sampler.start if sampler else 0)))
        return outs
