#!/usr/bin/env python3
"""Benchmark (not a test): wall time of `kubelab verify --parallel N` against an older checkout, same run.

  python3 benchmarks/verify_all.py --old DIR [--rounds 2] [--parallel 3] [--learner NAME] [labs...]

The labs are the old checkout's (all of them, or those named): each tool verifies its own version of those
lab ids, so the older runner is measured on the lab files it was written for. Rounds alternate who goes first; both use
the cluster of $KUBECONFIG (default: make cluster's). Prints every run, then medians and the ratio
new / old (< 1: faster now), with the steps each side verified (today's labs may have more).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STEP = re.compile(r"^  - id: ", re.M)


def lab_ids(checkout: Path) -> list[str]:
    return sorted(p.parent.name for p in (checkout / "labs").glob("*/lab.yaml"))


def steps(checkout: Path, labs: list[str]) -> int:
    return sum(len(STEP.findall((checkout / "labs" / lab / "lab.yaml").read_text())) for lab in labs)


def run(checkout: Path, learner: str, parallel: int, labs: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    argv = [str(checkout / ".venv" / "bin" / "python"), "-m", "runner", "--plain", "--learner", learner,
            "verify", "--parallel", str(parallel), *labs]
    t0 = time.monotonic()
    p = subprocess.run(argv, cwd=checkout, env=env, capture_output=True, text=True)
    return time.monotonic() - t0, p.returncode, (p.stdout + p.stderr)[-1500:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="a kubelab checkout from before (its own .venv)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=3)
    ap.add_argument("--learner", default="verifybench")
    ap.add_argument("labs", nargs="*", help="lab ids (default: every lab of the old checkout)")
    a = ap.parse_args()
    old = a.old.resolve()
    for c in (REPO, old):
        if not (c / ".venv" / "bin" / "python").exists():
            sys.exit(f"{c}: no .venv (run `make setup` there)")
    labs = a.labs or lab_ids(old)
    missing = [lab for lab in labs for c in (REPO, old) if not (c / "labs" / lab / "lab.yaml").exists()]
    if missing:
        sys.exit(f"labs not in both checkouts: {sorted(set(missing))}")
    # the same work in both: the health gate (an exec probe whose good result is kept 5 minutes) is skipped
    env = {**os.environ, "KUBELAB_SKIP_HEALTH": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    tools = [("now", REPO, a.learner), ("old", old, a.learner + "-old")]
    walls: dict[str, list[float]] = {name: [] for name, _, _ in tools}
    for r in range(a.rounds):
        for name, checkout, learner in (tools if r % 2 == 0 else tools[::-1]):
            wall, rc, tail = run(checkout, learner, a.parallel, labs, env)
            walls[name].append(wall)
            print(f"round {r + 1} {name:4} wall {wall:6.1f}s exit {rc} (load {os.getloadavg()[0]:.0f})", flush=True)
            if rc != 0:
                print("  " + tail.replace("\n", "\n  "), flush=True)
    now, before = statistics.median(walls["now"]), statistics.median(walls["old"])
    print(f"\n== kubelab verify --parallel {a.parallel} of {len(labs)} labs ({', '.join(labs)}), "
          f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, {a.rounds} rounds, medians")
    print(f"old ({old.name}, {steps(old, labs)} steps) {before:.1f}s | now ({steps(REPO, labs)} steps) {now:.1f}s "
          f"| ratio now / old {now / before:.2f}")


if __name__ == "__main__":
    main()
