"""What a waited-for check came to, and the failure of a solve's `wait`."""
from __future__ import annotations

from dataclasses import dataclass, field

from runner.checks.base import Result
from runner.schema import Text


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


