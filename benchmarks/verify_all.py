#!/usr/bin/env python3
"""Benchmark (not a test): wall time of `kubelab verify --parallel N` against an older checkout, same run.

  python3 benchmarks/verify_all.py --old DIR [--rounds 2] [--parallel 3] [--learner NAME] [labs...]

Three runs per round, their order rotated, on the cluster of $KUBECONFIG (default: make cluster's):
  old             the old checkout verifying its own lab files (all its labs, or those named)
  now-old-labs    this checkout verifying the same old lab files: the runner alone, on the same work
  now             this checkout verifying today's version of those labs (more steps, stronger checks)
Prints every run, then medians and the ratios to old (< 1: faster now), with the steps each side verified.
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
LAB_TIME = re.compile(r"^(\S+): (?:OK|FAILED) in ([\d.]+)s", re.M)    # verify's line per lab


def steps(files: list[Path]) -> int:
    return sum(len(STEP.findall(f.read_text())) for f in files)


def run(checkout: Path, learner: str, parallel: int, labs: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    argv = [str(checkout / ".venv" / "bin" / "python"), "-m", "runner", "--plain", "--learner", learner,
            "verify", "--parallel", str(parallel), *labs]
    t0 = time.monotonic()
    p = subprocess.run(argv, cwd=checkout, env=env, capture_output=True, text=True)
    return time.monotonic() - t0, p.returncode, p.stdout + p.stderr


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
        # as installed: bytecode compiled, as make setup and pip do (see benchmarks/vs_chainsaw)
        subprocess.run([str(c / ".venv" / "bin" / "python"), "-m", "compileall", "-q", "runner"], cwd=c, check=True,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    ids = a.labs or sorted(p.parent.name for p in (old / "labs").glob("*/lab.yaml"))
    old_files = [old / "labs" / i / "lab.yaml" for i in ids]
    new_files = [REPO / "labs" / i / "lab.yaml" for i in ids]
    missing = [str(f) for f in old_files + new_files if not f.is_file()]
    if missing:
        sys.exit(f"labs not in both checkouts: {missing}")
    # the same work in all: the health gate (an exec probe whose good result is kept 5 minutes) is skipped
    env = {**os.environ, "KUBELAB_SKIP_HEALTH": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    tools = [("old", old, a.learner + "-old", [str(f) for f in old_files], old_files),
             ("now-old-labs", REPO, a.learner + "-ol", [str(f) for f in old_files], old_files),
             ("now", REPO, a.learner, ids, new_files)]
    walls: dict[str, list[float]] = {t[0]: [] for t in tools}
    for r in range(a.rounds):
        for name, checkout, learner, labs, _ in tools[r % 3:] + tools[:r % 3]:
            wall, rc, out = run(checkout, learner, a.parallel, labs, env)
            walls[name].append(wall)
            labs_s = ", ".join(f"{lab} {sec}s" for lab, sec in LAB_TIME.findall(out))
            print(f"round {r + 1} {name:12} wall {wall:6.1f}s exit {rc} (load {os.getloadavg()[0]:.0f}): {labs_s}",
                  flush=True)
            if rc != 0:
                print("  " + out[-1500:].replace("\n", "\n  "), flush=True)
    base = statistics.median(walls["old"])
    print(f"\n== kubelab verify --parallel {a.parallel} of {', '.join(ids)}: "
          f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, {a.rounds} rounds, medians")
    for name, _, _, _, files in tools:
        m = statistics.median(walls[name])
        print(f"{name:12} {m:6.1f}s  {steps(files):3} steps  ratio to old {m / base:.2f}")


if __name__ == "__main__":
    main()
