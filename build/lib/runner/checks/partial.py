"""Partial matching of a Kubernetes object against an expected fragment, and the diff shown on failure.

Pure functions only (no API access), so every rule is unit-tested.
Rules: maps match on the given keys only; lists match item-by-item, order-free, each expected
item against a distinct actual item (extra actual items are fine); scalars are equal, with a
number and a numeric string considered equal ("3" == 3) because YAML authors write both;
an expected `null` means the field must be absent or null.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

MISSING = object()


@dataclass(frozen=True)
class Mismatch:
    path: str
    expected: Any
    actual: Any

    def line(self) -> str:
        act = "<missing>" if self.actual is MISSING else _short(self.actual)
        return f"{self.path or '(object)'}: expected {_short(self.expected)}, got {act}"


def _short(v: Any, limit: int = 120) -> str:
    s = repr(v) if isinstance(v, str) else yaml.safe_dump(v, default_flow_style=True, width=10_000).strip()
    if s.endswith("\n...") or s.endswith("..."):
        s = s.removesuffix("...").strip()
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _scalar_equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        if isinstance(expected, bool) and isinstance(actual, bool):
            return expected == actual
        flag, other = (expected, actual) if isinstance(expected, bool) else (actual, expected)
        return isinstance(other, str) and other.lower() == str(flag).lower()  # True vs "True"
    if expected == actual:
        return True
    try:
        if isinstance(expected, (int, float)) or isinstance(actual, (int, float)):
            return float(expected) == float(actual)
    except (TypeError, ValueError):
        return False
    return False


def _item_label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("name", "type", "containerPort", "port", "key"):
            if key in item and not isinstance(item[key], (dict, list)):
                return f"[{key}={item[key]}]"
    return f"[{index}]"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def mismatches(expected: Any, actual: Any, path: str = "") -> list[Mismatch]:
    """All places where `actual` does not satisfy the partial `expected`."""
    if expected is None:
        return [] if actual is None or actual is MISSING else [Mismatch(path, None, actual)]
    if actual is MISSING:
        return [Mismatch(path, expected, MISSING)]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(path, expected, actual)]
        out: list[Mismatch] = []
        for key, exp in expected.items():
            out += mismatches(exp, actual.get(key, MISSING) if key in actual else MISSING, _join(path, str(key)))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [Mismatch(path, expected, actual)]
        return _list_mismatches(expected, actual, path)
    return [] if _scalar_equal(expected, actual) else [Mismatch(path, expected, actual)]


def _list_mismatches(expected: list[Any], actual: list[Any], path: str) -> list[Mismatch]:
    """Each expected item needs its own matching actual item; a failing item is reported
    against its closest candidate so the learner sees *which field* of *which item* is off."""
    free = list(range(len(actual)))
    out: list[Mismatch] = []
    pending: list[tuple[int, Any]] = []
    for i, exp in enumerate(expected):          # first pass: exact matches claim their item
        hit = next((j for j in free if not mismatches(exp, actual[j])), None)
        if hit is None:
            pending.append((i, exp))
        else:
            free.remove(hit)
    for i, exp in pending:                       # second pass: explain the misses
        if not free:
            out.append(Mismatch(f"{path}{_item_label(exp, i)}", exp, MISSING))
            continue
        best = min(free, key=lambda j: (len(mismatches(exp, actual[j])), j))
        sub = mismatches(exp, actual[best], "")
        label = _item_label(exp, i)
        if isinstance(exp, dict) and len(sub) < len(exp):   # same item, some fields differ
            free.remove(best)
            out += [Mismatch(f"{path}{label}{'.' if m.path else ''}{m.path}", m.expected, m.actual) for m in sub]
        else:
            out.append(Mismatch(f"{path}{label}", exp, MISSING))
    return out


def matches(expected: Any, actual: Any) -> bool:
    return not mismatches(expected, actual)


def project(actual: Any, expected: Any) -> Any:
    """`actual` cut down to the shape of `expected`, so a diff shows only what the lab asked about."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: project(actual[k], v) for k, v in expected.items() if k in actual}
    if isinstance(expected, list) and isinstance(actual, list):
        used: set[int] = set()
        out = []
        for exp in expected:
            cands = [j for j in range(len(actual)) if j not in used]
            if not cands:
                break
            best = min(cands, key=lambda j: (len(mismatches(exp, actual[j])), j))
            used.add(best)
            out.append(project(actual[best], exp))
        return out
    return actual


def unified_diff(expected: Any, actual: Any, name: str = "object") -> list[str]:
    """A YAML unified diff: expected fragment vs the same fields of the actual object."""
    exp = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True).splitlines()
    act = yaml.safe_dump(project(actual, expected), sort_keys=False, allow_unicode=True).splitlines()
    return list(difflib.unified_diff(exp, act, f"expected {name}", f"actual {name}", lineterm="", n=3))
