"""How long each lab's verify took here last time, so that `--parallel` starts the longest first: started
last, a slow lab (a rollout, an HPA's windows) holds up the end of the whole run on its own.

The times are only a hint, kept in the cache (verify-seconds.json); without them labs start in the given order.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from runner.data import cache_dir

T = TypeVar("T")


def longest_first(labs: Sequence[T], seconds: Mapping[str, float], lab_id: Callable[[T], str]) -> list[T]:
    """Labs never timed first (they may be long), in the given order; then the others, longest first."""
    return sorted(labs, key=lambda lab: -seconds.get(lab_id(lab), float("inf")))


def _file() -> Path:
    return cache_dir() / "verify-seconds.json"


def load() -> dict[str, float]:
    try:
        data = json.loads(_file().read_text())
        return {str(k): float(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError, TypeError):    # none yet, or not ours: no hint
        return {}


def save(seconds: Mapping[str, float]) -> None:
    """Merge these times in; several verifies may finish at once (a workshop), so write whole and rename."""
    if not seconds:
        return
    path = _file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({**load(), **{k: round(v, 1) for k, v in seconds.items()}}, sort_keys=True))
        os.replace(tmp, path)
    except OSError:     # a read-only cache costs the hint, never the run
        pass
