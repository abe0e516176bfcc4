#!/usr/bin/env python3
"""Benchmark (not a test): how long `kubelab --help`, `list`, `show`, `status` take from start to exit.

  python3 benchmarks/cli_start.py [--runs 9] [--old DIR]

Every command runs --runs times (after one warm-up run that fills the lab index) with this checkout's .venv
Python, its output to /dev/null (plain mode); `list` and `show` also on a terminal (rich tables and panels).
Printed: the median wall time and the median CPU time (user+sys of the process, which a busy machine inflates
much less than wall time), and the ratio to baselines measured in the same rounds: `python -c pass` (Python's
own start) and `python -c "import rich"`. --old DIR: the same commands from another checkout's code (e.g. a
worktree of an older commit), on the same Python and packages, alternated with this one in every round; prints
new / old. Each checkout gets an empty lab index and progress folder of its own (a temporary KUBELAB_CACHE and
XDG_STATE_HOME), so runs do not depend on what this machine cached before. The kubeconfig is the one kubelab
would use here: `list` reads the cluster once, in the warm-up (no cluster: it says so and goes on).
"""
from __future__ import annotations

import argparse
import os
import platform
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = [["--help"], ["list"], ["show", "pod"], ["status"]]
TTY = [["list"], ["show", "pod"]]     # also run on a terminal: rich output
GOAL = 0.3   # seconds (issue 10)
# How the console script starts kubelab (runner.entry:main), with the checkout's code first on the path.
LAUNCH = "import sys; sys.argv[0] = 'kubelab'; from runner.entry import main; main()"


def once(cmd: list[str], env: dict[str, str], tty: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of one run; tty: its stdout is a terminal (rich tables and panels, as people see it)."""
    master, slave = pty.openpty() if tty else (-1, subprocess.DEVNULL)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=env.get("PWD", str(REPO)), env={**env, "COLUMNS": "120"} if tty else env,
                         stdout=slave, stderr=subprocess.PIPE)
    if tty:
        os.close(slave)
        while True:                                   # drain the terminal until the command closes it
            try:
                if not os.read(master, 65536):
                    break
            except OSError:
                break
        os.close(master)
    assert p.stderr is not None
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {err.decode(errors='replace')[-500:]}")
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime


def user_kubeconfig() -> str | None:
    """The kubeconfig kubelab would use here (runner/cluster/kubeconfig.py): `list` reads the cluster once
    (in the warm-up run) to show which labs run here, then uses the answer it kept (runner/offers_cache.py)."""
    if os.environ.get("KUBECONFIG"):
        return os.environ["KUBECONFIG"].split(os.pathsep)[0]
    cache = os.environ.get("KUBELAB_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubelab"
    for p in (Path(cache) / "kubeconfig", Path.home() / ".kube" / "config"):
        if p.is_file():
            return str(p)
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--old", type=Path, help="another checkout to compare with (its runner/ and labs/)")
    a = ap.parse_args()
    venv_py = REPO / ".venv" / "bin" / "python"
    py = str(venv_py if venv_py.exists() else sys.executable)
    tmp = Path(tempfile.mkdtemp(prefix="kubelab-cli-start-"))
    checkouts = {"new": REPO, **({"old": a.old.resolve()} if a.old else {})}
    kubeconfig = user_kubeconfig()
    envs = {}
    for name, root in checkouts.items():
        envs[name] = {**os.environ, "PYTHONPATH": str(root), "PWD": str(root), "KUBELAB_LABS": str(root / "labs"),
                      "KUBELAB_CACHE": str(tmp / name / "cache"), "XDG_STATE_HOME": str(tmp / name / "state"),
                      "KUBECONFIG": kubeconfig or ""}
    cases: list[tuple[str, str, list[str]]] = [("base", "python -c pass", [py, "-c", "pass"]),
                                               ("base", "python -c 'import rich'", [py, "-c", "import rich"])]
    for args in COMMANDS + [[*t, "(tty)"] for t in TTY]:
        for name in checkouts:
            cases.append((name, "kubelab " + " ".join(args), [py, "-c", LAUNCH, *[x for x in args if x != "(tty)"]]))

    def run(name: str, label: str, cmd: list[str]) -> tuple[float, float]:
        return once(cmd, envs.get(name, envs["new"]), tty=label.endswith("(tty)"))
    for name, label, cmd in cases:                           # warm-up: fills each checkout's lab index
        run(name, label, cmd)
    load0 = os.getloadavg()[0]
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {(n, c): [] for n, c, _ in cases}
    for _ in range(a.runs):                                  # rounds: every case once, so load drifts hit all alike
        for name, label, cmd in cases:
            samples[name, label].append(run(name, label, cmd))
    load1 = os.getloadavg()[0]
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in samples.items()}
    base_w, base_c = med["base", "python -c pass"]
    print(f"== kubelab CLI start, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {load0:.1f} -> {load1:.1f}, "
          f"median of {a.runs} rounds; kubeconfig {kubeconfig or 'none'}")
    print(f"{'':34} {'wall':>6} {'cpu':>6}   {'x python -c pass (wall, cpu)':>28}" + ("   new/old (wall, cpu)" if a.old else ""))
    worst = 0.0
    for name, label, _ in cases:
        if name == "old":
            continue
        w, c = med[name, label]
        line = f"{label:34} {w:5.2f}s {c:5.2f}s   {w / base_w:13.1f} {c / base_c:14.1f}"
        if a.old and name == "new":
            ow, oc = med["old", label]
            line += f"   {w / ow:8.2f} {c / oc:6.2f}   (old: {ow:.2f}s, {oc:.2f}s cpu)"
        if name == "new":
            worst = max(worst, w)
        print(line)
    print(f"goal: every command at most {GOAL:.1f}s; slowest {worst:.2f}s wall "
          f"({'met' if worst <= GOAL else 'not met'} at this load; cpu times are the steadier figure)")


if __name__ == "__main__":
    main()
