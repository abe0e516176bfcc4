"""A lab session: the lifecycle, observing, waiting and actions (one module each) put together."""
from __future__ import annotations

from runner.engine.actions import Actions


class Session(Actions):
    """Namespace, apply, evaluate/wait for checks (watch-driven), invariant sampling, solve actions."""
