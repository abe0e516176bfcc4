"""Which hint to show after a failed check: the failing checks' own hints first, then the step's, in order."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runner.schema import Step, Text


def ordered(step: Step, outcomes: Sequence[Any] = ()) -> list[Text]:
    """Own hints of the failing checks (in check order), then the step's hints; each once."""
    out: list[Text] = []
    for o in outcomes:
        if not o.result.ok and getattr(o, "hint", None) is not None and o.hint not in out:
            out.append(o.hint)
    return out + [h for h in step.hints if h not in out]


def next_hint(step: Step, outcomes: Sequence[Any], shown: list[Text]) -> Text | None:
    """The first hint of `ordered` not shown yet (None when all were)."""
    return next((h for h in ordered(step, outcomes) if h not in shown), None)
