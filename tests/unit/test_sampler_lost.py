"""An invariant is judged on samples taken: lost ones (the API server too busy for the exec) do not count
towards min_samples (seen: three learners verifying at once, networkpolicy judged on 2 of 3)."""
from __future__ import annotations

import itertools
import threading
from typing import Any

from runner.checks.http import HttpResponse
from runner.sampler import Sampler
from runner.schema import Check


class _Busy:
    """Every other probe is lost, as on the loaded cluster; no I/O."""

    def __init__(self) -> None:
        self._n = itertools.count()
        self._lock = threading.Lock()

    def http(self, _spec: Any) -> HttpResponse:
        with self._lock:
            i = next(self._n)
        return HttpResponse(200, body="web") if i % 2 else HttpResponse(None, lost="API server busy")


def test_lost_samples_do_not_count_towards_min_samples() -> None:
    check = Check.model_validate({"name": "web answers", "invariant": {
        "every": "0.05s", "http": {"from": "host", "url": "http://127.0.0.1/", "body_contains": "web"}}})
    s = Sampler(_Busy(), check)  # type: ignore[arg-type]
    s.wait_samples(5.0)
    s.stop()
    r = s.result()
    assert r.ok, (r.summary, r.details)
    assert r.summary.startswith("invariant: all "), r.summary
