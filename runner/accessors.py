"""Read the fields of a Kubernetes object (a plain dict from the API, an informer or a manifest).

A missing, null or wrongly typed section reads as empty, so callers need no `(o.get("status") or {})` chains.
Each accessor returns the object's own dict or list when there is one (changes go to the object), else a new empty one.
"""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

Obj = Mapping[str, Any]


def section(o: Obj | None, key: str) -> dict[str, Any]:
    """o[key] when it is a mapping, else {}."""
    v = o.get(key) if isinstance(o, Mapping) else None
    return v if isinstance(v, dict) else {}


def dig(o: Obj | None, *keys: str) -> dict[str, Any]:
    """The mapping at a path of keys (`dig(pod, "spec", "template")`), {} where any step is missing."""
    out: Any = o
    for k in keys:
        out = section(out, k)
    return out if isinstance(out, dict) else {}


def entries(o: Obj | None, key: str) -> list[Any]:
    """o[key] when it is a list, else []."""
    v = o.get(key) if isinstance(o, Mapping) else None
    return v if isinstance(v, list) else []


def meta(o: Obj | None) -> dict[str, Any]:
    return section(o, "metadata")


def spec(o: Obj | None) -> dict[str, Any]:
    return section(o, "spec")


def status(o: Obj | None) -> dict[str, Any]:
    return section(o, "status")


def name(o: Obj | None, default: str = "?") -> str:
    return str(meta(o).get("name", default))


def labels(o: Obj | None) -> dict[str, Any]:
    return section(meta(o), "labels")


def annotations(o: Obj | None) -> dict[str, Any]:
    return section(meta(o), "annotations")


def deleting(o: Obj | None) -> bool:
    """The object has a deletionTimestamp: it is on its way out (a terminating pod or namespace)."""
    return bool(meta(o).get("deletionTimestamp"))


def phase(o: Obj | None) -> Any:
    return status(o).get("phase")


def conditions(o: Obj | None) -> list[dict[str, Any]]:
    """status.conditions, the entries that are mappings."""
    return [c for c in entries(status(o), "conditions") if isinstance(c, dict)]


def condition(o: Obj | None, type_: str) -> dict[str, Any] | None:
    """The status condition of this type, None when the object has none."""
    return next((c for c in conditions(o) if c.get("type") == type_), None)


def containers(o: Obj | None) -> list[dict[str, Any]]:
    """spec.containers of a pod or a pod template's spec."""
    return [c for c in entries(spec(o), "containers") if isinstance(c, dict)]


def container_statuses(o: Obj | None) -> list[dict[str, Any]]:
    return [c for c in entries(status(o), "containerStatuses") if isinstance(c, dict)]


def involved(event: Obj | None) -> dict[str, Any]:
    """The involvedObject of an Event."""
    return section(event, "involvedObject")


def event_time(event: Obj | None) -> str:
    """When an Event last happened: lastTimestamp, else eventTime, else its creation."""
    e = event if isinstance(event, Mapping) else {}
    return str(e.get("lastTimestamp") or e.get("eventTime") or meta(e).get("creationTimestamp") or "")


def state(container_status: Obj | None, which: str) -> dict[str, Any]:
    """A container status's state.<which> ("waiting", "running", "terminated"), {} when in another state."""
    return section(section(container_status, "state"), which)


def mappings(value: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside a parsed manifest (itself included), depth first: where a field may sit anywhere."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from mappings(v)
    elif isinstance(value, list):
        for v in value:
            yield from mappings(v)


def epoch(stamp: str) -> float:
    """Epoch of an API time stamp, with or without fractions of a second (an Event's eventTime has them)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=UTC).timestamp()
