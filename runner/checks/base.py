"""The result every pure check evaluation returns, and small shared helpers."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runner.accessors import name


@dataclass
class Result:
    ok: bool
    summary: str                                          # one line, e.g. "Deployment/web: spec.replicas expected 3, got 2"
    details: list[str] = field(default_factory=list)      # diff / expected-vs-actual lines
    objects: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) to collect events/logs for
    fatal: bool = False          # no wait can change it (e.g. 401, 403, a bad selector): stop waiting at once
    unobserved: bool = False     # no sample could be taken (an exec that gave no answer in time): says nothing of the lesson

    @classmethod
    def passed(cls, summary: str, objects: list[tuple[str, str]] | None = None) -> Result:
        return cls(True, summary, [], objects or [])

    @classmethod
    def failed(cls, summary: str, details: list[str] | None = None,
               objects: list[tuple[str, str]] | None = None) -> Result:
        return cls(False, summary, details or [], objects or [])


def name_of(obj: dict[str, Any]) -> str:
    return name(obj)


def refs(objs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(o.get("kind", "?"), name_of(o)) for o in objs]


def prefer_observed(results: list[Result], observed: list[Result | None]) -> list[Result]:
    """The verdicts to report when waiting ends: a check whose last try took no sample reports its last real
    failure (the cause a learner can act on, e.g. connection refused), saying the last try took none."""
    out = []
    for r, seen in zip(results, observed):
        if r.unobserved and not r.ok and seen is not None and not seen.ok:
            r = Result(False, seen.summary, [*seen.details, f"the last try took no sample: {r.summary}"], seen.objects)
        out.append(r)
    return out
