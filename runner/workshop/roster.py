"""Who takes part: learner names from a count or a roster file, validated before anything is created."""
from __future__ import annotations

import re
from pathlib import Path

# A learner name ends up in namespace names (lab-<id>-<name>, at most 63 characters in all).
NAME = re.compile(r"^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$")


class RosterError(ValueError):
    """The roster cannot be used; str() is one line saying what to fix. Nothing was created."""


def from_count(n: int, prefix: str = "learner") -> list[str]:
    if not 1 <= n <= 500:
        raise RosterError(f"--learners must be between 1 and 500 (got {n})")
    return [f"{prefix}-{i}" for i in range(1, n + 1)]


def from_text(text: str, source: str) -> list[str]:
    """One name per line; blank lines and `#` comments ignored."""
    names = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    return validate([n for n in names if n], source)


def from_file(path: Path) -> list[str]:
    try:
        return from_text(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as e:
        raise RosterError(f"{path}: cannot read the roster: {e}") from None


def validate(names: list[str], source: str = "roster") -> list[str]:
    if not names:
        raise RosterError(f"{source}: no learner names (one per line)")
    bad = [n for n in names if not NAME.match(n)]
    if bad:
        raise RosterError(f"{source}: invalid learner name(s) {', '.join(repr(b[:40]) for b in bad[:5])}: "
                          "use lowercase letters, digits and '-', starting with a letter, at most 20 characters")
    seen: set[str] = set()
    dups = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dups:
        raise RosterError(f"{source}: duplicate learner name(s): {', '.join(dups)}")
    return names
