"""Waiting on checks: re-evaluated on every change of what they watch until done, quiet or timed out;
a step's checks waited for together, invariants judged on what their samplers saw."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from runner import activity
from runner.checks import hpa_state
from runner.checks.base import Result, prefer_observed
from runner.cluster import explain
from runner.cluster.client import api_budget
from runner.cluster.informer import Informer
from runner.engine.freshness import WriteBarrier
from runner.engine.kinds import TICK_PROBE, TICK_SAFETY
from runner.engine.observe import Observing
from runner.engine.outcome import Outcome
from runner.sampler import Sampler
from runner.schema import Check, Step

EXPLAIN_BUDGET = 5.0  # seconds each diagnostic API call of a failed check may wait for an API server that is away
# A failing http/exec check looks at what no watch shows (an Ingress or Gateway controller programming its
# routes, kube-proxy rules; on a busy machine Traefik took 17 s): the quiet give-up waits this long for it.
QUIET_PROBE = 30.0


class Waiting(Observing):
    _barrier: WriteBarrier | None = None

    def writes(self) -> WriteBarrier:
        """The solve's writes a wait or check must see first (runner/engine/freshness.py)."""
        if self._barrier is None or self._barrier.informers is not self.informers:
            self._barrier = WriteBarrier(self.informers)
        return self._barrier

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
        pods: Informer | None = None
        events: Informer | None = None
        if quiet is not None:      # the namespace's pods and events count only when they make progress
            for kind in ("Pod", "Event"):
                inf = self.informers.get("v1", kind, self.namespace)
                watchers.append((inf, activity.listener(kind, inf.objects(), listen)))
            pods = self.informers.get("v1", "Pod", self.namespace)
            events = self.informers.get("v1", "Event", self.namespace)
            tick = min(tick, quiet)
        for i, fn in watchers:
            i.add_listener(fn)
        start = time.monotonic()
        deadline = start + timeout
        last_change[0] = start
        observed: list[Result | None] = [None] * len(checks)
        try:
            while True:
                trigger.clear()
                results = [self.evaluate(c) for c in checks]
                observed = [o if r.unobserved else r for r, o in zip(results, observed)]
                now = time.monotonic()
                remaining = deadline - now
                q = quiet
                if q is not None and any(not r.ok and c.kind in ("http", "exec") for c, r in zip(checks, results)):
                    q = max(q, QUIET_PROBE)
                calm = q is not None and now - last_change[0] >= q
                # an HPA acts on its own period (runner/checks/hpa_state.py): silence between syncs is not the end
                hpas = hpa_state.targets(checks) if calm else []
                # ... nor is a reading that still holds a load stopped moments ago (metrics lag)
                stop = hpa_state.last_stop(events.objects()) if hpas and events is not None else None
                busy = any(hpa_state.pending(o) or hpa_state.lagging(o, stop, time.time())
                           for t in hpas for o in self.informer(t).objects()) or bool(
                    hpas and pods is not None and hpa_state.warming(pods.objects(), time.time()))
                # a pod still being created, pulled, started or deleted: a busy node is slow, not done
                busy = busy or (calm and pods is not None and activity.any_starting(pods.objects(), time.time()))
                if done(results) or remaining <= 0 or (calm and not busy) or any(r.fatal for r in results):
                    return prefer_observed(results, observed)
                wake = remaining if q is None or busy else min(remaining, last_change[0] + q - now)
                if wake_in is not None:
                    wake = min(wake, wake_in())
                trigger.wait(max(0.05, min(tick, wake)))
        finally:
            for i, fn in watchers:
                i.remove_listener(fn)

    def wait(self, c: Check, timeout: float | None = None) -> Outcome:
        timeout = timeout if timeout is not None else (c.timeout or self.lab.defaults.timeout)
        self.writes().wait()
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
        self.writes().wait()
        outs: list[Outcome] = []
        plain = [c for c in step.check if c.kind != "invariant"]
        limits = [min(c.timeout or self.lab.defaults.timeout, timeout_cap or 1e9) for c in plain]
        t0 = time.monotonic()
        oneshot = {i: Sampler(self, c) for i, c in enumerate(step.check)
                   if c.kind == "invariant" and (samplers or {}).get(i) is None}
        self._samplers += oneshot.values()       # close() waits for their requests in flight

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
