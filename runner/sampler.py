"""Invariant samples while a step runs: HTTP requests started on the requested period (several may be
in flight, so a request slower than the period does not stretch it), pod states on every watch event
and on the period (so a quiet Deployment still gives samples)."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from runner.checks import invariant
from runner.checks.base import Result
from runner.checks.invariant import pods_sample
from runner.cluster.client import api_budget
from runner.cluster.informer import Informer
from runner.schema import Check, Target

if TYPE_CHECKING:
    from runner.engine.observe import Observing

MAX_IN_FLIGHT = 8     # HTTP probes at once; a tick that finds them all busy is counted as skipped
SAMPLE_BUDGET = 2.0   # seconds a sample's API calls wait for an API server that is away


def ticks(start: float, every: float, now: float) -> int:
    """How many periods have begun since start (the scheduler's clock; pure for tests)."""
    return int((now - start) // every) + 1 if now >= start else 0


class Sampler:
    def __init__(self, session: Observing, check: Check) -> None:
        assert check.invariant is not None
        self.session, self.spec = session, check.invariant
        self.samples: list[Any] = []
        self.skipped = 0
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Condition()
        self._inf: Informer | None = None
        if self.spec.pods:
            sel = Target(kind="Pod", selector=self.spec.pods.selector).selector_str()
            self._inf = session.informers.get("v1", "Pod", session.namespace, sel)
            self._inf.add_listener(self._on_pods)
            self._on_pods(self._inf.objects())
            threading.Thread(target=self._pods_loop, daemon=True, name="sampler-pods").start()
        else:
            self._busy = 0
            self._threads: list[threading.Thread] = []
            threading.Thread(target=self._http_loop, daemon=True, name="sampler-http").start()

    def _add(self, sample: Any) -> None:
        with self._lock:
            if not self._stop.is_set():
                self.samples.append(sample)
                self._lock.notify_all()

    def _on_pods(self, objs: list[dict[str, Any]]) -> None:
        self._add(pods_sample(time.monotonic(), objs))

    def _pods_loop(self) -> None:
        while not self._stop.wait(self.spec.every):
            if self._inf is not None:
                self._on_pods(self._inf.objects())

    def _probe(self, at: float) -> None:
        try:
            # a sample is a moment: one that cannot be taken now is lost, not retried for a minute (the
            # in-flight slots would fill and the period go unsampled without a word)
            with api_budget(SAMPLE_BUDGET):
                r = self.session.http(self.spec.http)
            r.at = at          # when the request was due: the samples' timeline is the schedule
            self._add(r)
        finally:
            with self._lock:
                self._busy -= 1

    def _http_loop(self) -> None:
        n = 0
        while not self._stop.is_set():
            due = self.start + n * self.spec.every
            if self._stop.wait(max(0.0, due - time.monotonic())):
                break
            with self._lock:
                free = self._busy < MAX_IN_FLIGHT
                if free:
                    self._busy += 1
            if free:
                # a daemon thread per request (at most MAX_IN_FLIGHT): a probe stuck while the API server is
                # away must not hold up the exit of an interrupted `kubelab run` (pool threads are joined at exit)
                th = threading.Thread(target=self._probe, args=(due,), daemon=True, name="sampler-http")
                th.start()
                self._threads = [t for t in self._threads if t.is_alive()] + [th]
            else:
                self.skipped += 1
            n = max(n + 1, ticks(self.start, self.spec.every, time.monotonic()) - 1)   # late: skip missed ticks

    def wait_samples(self, timeout: float) -> None:
        """A step can finish faster than min_samples periods: keep sampling a little before judging. Lost
        samples (runner/checks/invariant.py) do not count: on a loaded cluster (three learners verifying at
        once) one in two was lost, and the invariant was judged on 2 of the 3 it needs."""
        with self._lock:
            self._lock.wait_for(lambda: self.taken() >= self.spec.min_samples, timeout=timeout)

    def taken(self) -> int:
        """Samples taken (not lost); call with the lock held."""
        return sum(1 for s in self.samples if getattr(s, "lost", None) is None)

    def join(self, timeout: float) -> None:
        """Wait (at most timeout) for requests in flight: a daemon thread still inside the TLS or websocket code
        when the interpreter exits can abort the process (seen: exit -6 after a PASS)."""
        deadline = time.monotonic() + timeout
        for th in list(getattr(self, "_threads", [])):
            th.join(max(0.0, deadline - time.monotonic()))

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._inf:
            self._inf.remove_listener(self._on_pods)

    def result(self) -> Result:
        with self._lock:
            samples = sorted(self.samples, key=lambda s: s.at)
        r = invariant.evaluate(self.spec, samples, self.start)
        if self.skipped:
            r.details.append(f"{self.skipped} sampling periods skipped ({MAX_IN_FLIGHT} requests already in flight)")
        return r
