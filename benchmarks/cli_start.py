#!/usr/bin/env python3
"""Benchmark (not a test): how long `kubelab --help`, `list`, `show`, `status` take to start and finish.

  python3 benchmarks/cli_start.py [--runs 10] [--old DIR]

Each command runs --runs times (after one warm-up run that fills the lab index) through the console
script of this checkout's .venv; prints the median wall time and CPU time (user+sys, which a busy
machine inflates less than wall time). --old DIR: the same for another checkout (its own .venv), with
the ratio new / old. No cluster needed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = [["--help"], ["list"], ["show", "pod"], ["status"]]


def once(exe: Path, args: list[str], cwd: Path) -> tuple[float, float]:
    t0 = time.monotonic()
    p = subprocess.Popen([str(exe), *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{exe} {' '.join(args)} failed")
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime


def measure(checkout: Path, runs: int) -> dict[str, tuple[float, float]]:
    exe = checkout / ".venv" / "bin" / "kubelab"
    out = {}
    for args in COMMANDS:
        once(exe, args, checkout)
        xs = [once(exe, args, checkout) for _ in range(runs)]
        out[" ".join(args)] = (statistics.median(w for w, _ in xs), statistics.median(c for _, c in xs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--old", type=Path)
    a = ap.parse_args()
    new = measure(REPO, a.runs)
    old = measure(a.old.resolve(), a.runs) if a.old else {}
    load = os.getloadavg()[0]
    print(f"== kubelab CLI start ({time.strftime('%Y-%m-%d', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {load:.1f}, median of {a.runs})")
    for cmd, (wall, cpu) in new.items():
        line = f"kubelab {cmd:9} wall {wall:5.2f}s cpu {cpu:5.2f}s"
        if cmd in old:
            ow, oc = old[cmd]
            line += f" | old wall {ow:5.2f}s cpu {oc:5.2f}s | ratio wall {wall / ow:.2f} cpu {cpu / oc:.2f}"
        print(line)


if __name__ == "__main__":
    main()
