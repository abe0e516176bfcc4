"""invariant: a promise checked on every sample taken while the step runs.

Samples are produced by the cluster edge (HTTP probes on a period, pod states on every watch
event); this module only judges them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runner.accessors import condition, deleting, name, phase
from runner.checks import http as http_check
from runner.checks.base import Result
from runner.checks.http import HttpResponse
from runner.schema import InvariantSpec


@dataclass
class PodsSample:
    at: float
    ready: int
    total: int
    pods: list[str]


def pod_is_ready(pod: dict[str, Any]) -> bool:
    c = condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def pod_is_live(pod: dict[str, Any]) -> bool:
    """Counts toward total_max: not being deleted, not finished."""
    return not deleting(pod) and phase(pod) not in ("Succeeded", "Failed")


def pods_sample(at: float, pods: list[dict[str, Any]]) -> PodsSample:
    live = [p for p in pods if pod_is_live(p)]
    return PodsSample(at, sum(1 for p in live if pod_is_ready(p)), len(live),
                      sorted(name(p) for p in live))


def lost_note(lost: list[Any], start: float) -> list[str]:
    """What the samples that could not be taken were (they count neither for nor against the promise)."""
    if not lost:
        return []
    return [f"{len(lost)} samples could not be taken between +{lost[0].at - start:.1f}s and "
            f"+{lost[-1].at - start:.1f}s (not counted as failed requests): {lost[0].lost}"]


def evaluate(spec: InvariantSpec, samples: list[Any], start: float = 0.0) -> Result:
    lost = [s for s in samples if getattr(s, "lost", None) is not None]
    samples = [s for s in samples if getattr(s, "lost", None) is None]
    n = len(samples)
    if n < spec.min_samples:
        return Result.failed(f"invariant: only {n} samples taken, need {spec.min_samples}",
                             ["the step finished before the invariant could be observed"] + lost_note(lost, start))
    if spec.http:
        bad = [(s, http_check.problems(spec.http, s)) for s in samples if isinstance(s, HttpResponse)]
        bad = [(s, p) for s, p in bad if p]
        if bad:
            first, why = bad[0]
            return Result.failed(
                f"invariant: {len(bad)} of {n} requests to {spec.http.url} failed",
                [f"first failure at +{first.at - start:.2f}s: {why[0]}"] +
                [f"+{s.at - start:.2f}s: {p[0]}" for s, p in bad[1:6]] + lost_note(lost, start))
        r = Result.passed(f"invariant: all {n} requests to {spec.http.url} succeeded"
                          + (f" ({len(lost)} could not be made)" if lost else ""))
        r.details += lost_note(lost, start)
        return r
    assert spec.pods is not None
    p = spec.pods
    details: list[str] = []
    reached = False
    for s in samples:
        if p.ready_min is not None:
            reached = reached or s.ready >= p.ready_min
            if reached and s.ready < p.ready_min:
                details.append(f"+{s.at - start:.2f}s: ready pods fell to {s.ready} (< {p.ready_min}): {', '.join(s.pods)}")
        if p.total_max is not None and s.total > p.total_max:
            details.append(f"+{s.at - start:.2f}s: {s.total} pods (> {p.total_max}): {', '.join(s.pods)}")
    lo = min(s.ready for s in samples)
    hi = max(s.total for s in samples)
    figures = f"ready min {lo}, total max {hi} over {n} samples"
    if details:
        return Result.failed(f"invariant broken: {details[0]}", details[:10] + [figures])
    if p.ready_min is not None and not reached:
        return Result.failed(f"invariant: ready pods never reached {p.ready_min}", [figures])
    return Result.passed(f"invariant held: {figures}")
