"""Which probe made the kubelet restart a container (pure): a crash loop caused by a liveness or
startup probe is not the application's fault, and its cause is in the pod's events, not its log."""
from __future__ import annotations

from typing import Any

from runner.accessors import event_time, involved

KILLING = ("Liveness probe failed", "Startup probe failed")


def probe_failure(events: list[dict[str, Any]], pod: str, container: str) -> str:
    """The newest liveness/startup probe failure of that container ('' if none), e.g.
    "its liveness probe fails: Get \"http://10.244.1.7:8081/healthz\": ... connection refused"."""
    mine = [e for e in events
            if e.get("reason") == "Unhealthy"
            and involved(e).get("kind") == "Pod"
            and involved(e).get("name") == pod
            and involved(e).get("fieldPath") in (None, f"spec.containers{{{container}}}")
            and str(e.get("message") or "").startswith(KILLING)]
    if not mine:
        return ""
    msg = str(max(mine, key=event_time)["message"]).strip()
    kind, _, detail = msg.partition(" probe failed:")
    return f"its {kind.lower()} probe fails:{detail}"[:240]
