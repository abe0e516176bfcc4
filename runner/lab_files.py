"""Files a lab refers to (markdown, manifests): kept inside the lab's own folders and bounded in size."""
from __future__ import annotations

from pathlib import Path

from runner import safe_yaml


def inside(base: Path, rel: str) -> Path:
    """base/rel with symlinks resolved; ValueError when rel is absolute or leads outside base
    (a lab must not be able to show or apply any file of the machine)."""
    if not rel or "\0" in rel:
        raise ValueError(f"{rel!r} is not a file name")
    if len(rel) > 1024 or any(len(part) > 255 for part in rel.split("/")):
        raise ValueError(f"{rel[:40]!r}...: file name too long")
    if Path(rel).is_absolute():
        raise ValueError(f"{rel!r} is an absolute path: give a path inside {base}")
    try:
        root, target = base.resolve(), (base / rel).resolve()
    except (OSError, RuntimeError) as e:   # RuntimeError: a symlink loop (Python 3.11)
        raise ValueError(f"{rel!r}: cannot resolve the path ({e})") from None
    if not target.is_relative_to(root):
        raise ValueError(f"{rel!r} leads outside {base} (a lab may only use files in its own folders)")
    return target


def is_file(path: Path) -> bool:
    """Path.is_file() that answers False instead of raising (a too long name, a permission problem)."""
    try:
        return path.is_file()
    except OSError:
        return False


def read_text(base: Path, rel: str) -> str:
    """The UTF-8 text of base/rel (inside base, bounded); ValueError with the reason, OSError if unreadable."""
    path = inside(base, rel)
    if not is_file(path):
        raise ValueError(f"{rel}: file not found ({base / rel})")
    return safe_yaml.read_text(path)
