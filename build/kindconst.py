#!/usr/bin/env python3
"""Print a Go string constant from a source file, resolving `a + b` over the file's other string consts.

kind keeps its default storage manifest and image names as Go constants; the node image build reads
them from the pinned module so that our node serves the same manifests kind expects.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

CONST = re.compile(r"(?:const\s+)?(\w+)\s*=\s*((?:`[^`]*`|\"(?:[^\"\\]|\\.)*\"|\w+)(?:\s*\+\s*(?:`[^`]*`|\"(?:[^\"\\]|\\.)*\"|\w+))*)")
PART = re.compile(r"`([^`]*)`|\"((?:[^\"\\]|\\.)*)\"|(\w+)")


def consts(src: str) -> dict[str, str]:
    raw = {m.group(1): m.group(2) for m in CONST.finditer(src)}
    resolved: dict[str, str] = {}

    def value(name: str) -> str:
        if name not in resolved:
            parts = []
            for bq, dq, ident in PART.findall(raw[name]):
                parts.append(bq if bq or not (dq or ident) else dq if dq else value(ident))
            resolved[name] = "".join(parts)
        return resolved[name]

    return {name: value(name) for name in raw if not raw[name].isidentifier() or raw[name] in raw}


def main() -> int:
    path, name = Path(sys.argv[1]), sys.argv[2]
    values = consts(path.read_text())
    if name not in values:
        print(f"{path}: no string constant {name}", file=sys.stderr)
        return 1
    sys.stdout.write(values[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
