"""A lab session, split by concern: lifecycle (namespace, variables, reset), observing (informers, pods,
HTTP, one evaluation of a check), waiting (checks re-evaluated on change), actions (apply, solve). The pure
verdicts come from runner.checks.*; this package only gathers what they observe and does what steps say."""
from runner.engine.outcome import Outcome, WaitFailed
from runner.engine.session import Session

__all__ = ["Outcome", "Session", "WaitFailed"]
