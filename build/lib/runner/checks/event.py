"""event: an Event with the given reason (type, message) was recorded on the target object(s)."""
from __future__ import annotations

from typing import Any

from runner.checks.base import Result
from runner.schema import EventSpec


def about(ev: dict[str, Any], kind: str, names: set[str] | None) -> bool:
    """Whether a core/v1 Event (dict) concerns one of the objects; names=None means any name."""
    io = ev.get("involvedObject") or ev.get("regarding") or {}
    return io.get("kind") == kind and (names is None or io.get("name") in names)


def evaluate(spec: EventSpec, events: list[dict[str, Any]], names: set[str] | None) -> Result:
    """`names`: the objects selected by the target (None when the target has neither name nor selector)."""
    what = spec.target.describe()
    mine = [e for e in events if about(e, spec.target.kind, names)]
    for e in mine:
        if e.get("reason") == spec.reason and (spec.type is None or e.get("type") == spec.type) \
                and (spec.message_contains is None or spec.message_contains in (e.get("message") or e.get("note") or "")):
            return Result.passed(f"{what}: event {spec.reason}: {e.get('message') or e.get('note') or ''}".strip())
    seen = sorted({f"{e.get('type')} {e.get('reason')}" for e in mine})
    extra = (f" with type {spec.type}" if spec.type else "") + \
            (f" containing {spec.message_contains!r}" if spec.message_contains else "")
    return Result.failed(f"{what}: no event {spec.reason}{extra}",
                         [f"expected an event with reason {spec.reason}{extra}",
                          f"events seen on {what}: {', '.join(seen) or 'none'}"],
                         [(spec.target.kind, n) for n in sorted(names or [])][:3])
