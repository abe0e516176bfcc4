"""Workshop load: N learners verifying one lab at the same time, each process holding only its learner's kubeconfig.

For N in 1, 3, 6 (--learners): wall time until every learner's verify is done, the API server's CPU seconds and
resident memory (its own /metrics: process_cpu_seconds_total, process_resident_memory_bytes), the API requests
served per second (apiserver_request_total), and each runner process's peak RSS (VmHWM). Ratios are against
N=1 measured in the same run. Learners are named bench<tag><i> and removed at the end (`workshop down`).

    .venv/bin/python benchmarks/workshop.py [--lab pod] [--learners 1,3,6]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from runner.cluster.client import connect

KUBELAB = [sys.executable, "-m", "runner.cli", "--plain"]


def apiserver_metrics(api: object) -> dict[str, float]:
    """CPU seconds, resident bytes and requests served so far, from the API server's /metrics."""
    text = get_text(api, "/metrics")
    out = {"cpu": 0.0, "rss": 0.0, "requests": 0.0}
    for line in text.splitlines():
        if line.startswith("process_cpu_seconds_total "):
            out["cpu"] = float(line.split()[1])
        elif line.startswith("process_resident_memory_bytes "):
            out["rss"] = float(line.split()[1])
        elif line.startswith("apiserver_request_total{"):
            out["requests"] += float(line.rsplit(" ", 1)[1])
    return out


def get_text(api: object, path: str) -> str:
    """A plain GET on the API server with the admin's credentials (client certificate or token)."""
    headers = {}
    api.update_params_for_auth(headers, [], ["BearerToken"], path, "GET", None)  # type: ignore[attr-defined]
    resp = api.rest_client.request("GET", api.configuration.host + path, headers=headers)  # type: ignore[attr-defined]
    return str(resp.read().decode())


def peak_rss(pid: int) -> int:
    try:
        m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        return int(m.group(1)) * 1024 if m else 0
    except OSError:
        return 0


def run(n: int, lab: str, admin: str, api: object, work: Path) -> dict[str, float]:
    names = [f"bench{uuid.uuid4().hex[:4]}{i}" for i in range(1, n + 1)]
    roster = work / f"roster-{n}.txt"
    roster.write_text("\n".join(names) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "KUBELAB_LEARNER"}
    kc = work / f"kc-{n}"
    subprocess.run([*KUBELAB, "workshop", "up", "--roster", str(roster), "--labs", lab, "--out", str(kc)],
                   env={**env, "KUBECONFIG": admin}, check=True, capture_output=True)
    try:
        before = apiserver_metrics(api)
        t0 = time.monotonic()
        logs = [work / f"verify-{x}.log" for x in names]
        procs = [subprocess.Popen([*KUBELAB, "verify", lab], env={**env, "KUBECONFIG": str(kc / f"{x}.kubeconfig")},
                                  stdout=log.open("w"), stderr=subprocess.STDOUT) for x, log in zip(names, logs)]
        peaks = dict.fromkeys(range(n), 0)
        while any(p.poll() is None for p in procs):
            for i, p in enumerate(procs):
                if p.poll() is None:
                    peaks[i] = max(peaks[i], peak_rss(p.pid))
            time.sleep(0.5)
        wall = time.monotonic() - t0
        after = apiserver_metrics(api)
        ok = sum(p.returncode == 0 for p in procs)
        failed = [why(log) for p, log in zip(procs, logs) if p.returncode != 0]
    finally:
        subprocess.run([*KUBELAB, "workshop", "down", "--roster", str(roster)], env={**env, "KUBECONFIG": admin},
                       check=False, capture_output=True)
    return {"n": n, "ok": ok, "failed": failed, "load": os.getloadavg()[0],
            "wall": wall, "cpu": after["cpu"] - before["cpu"], "rss": after["rss"],
            "rps": (after["requests"] - before["requests"]) / wall, "runner_rss": max(peaks.values()) / 2**20}


def why(log: Path) -> str:
    """A failed verify's verdict: its FAILED/error line (the last one), else its last line."""
    lines = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
    verdicts = [x for x in lines if x.startswith("FAILED") or ": error:" in x]
    return (verdicts or lines or ["(no output)"])[-1][:300]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", default="pod")
    ap.add_argument("--learners", default="1,3,6")
    args = ap.parse_args()
    kube = connect()
    admin = kube.kubeconfig or ""
    print(f"== workshop benchmark: lab {args.lab}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in [int(x) for x in args.learners.split(",")]:
            r = run(n, args.lab, admin, kube.api, Path(d))
            rows.append(r)
            base = rows[0]
            print(f"{n} learner(s): {r['ok']}/{n} passed, wall {r['wall']:.1f}s (x{r['wall'] / base['wall']:.2f}), "
                  f"API server CPU {r['cpu']:.1f}s (x{r['cpu'] / max(base['cpu'], 0.01):.2f}), "
                  f"RSS {r['rss'] / 2**20:.0f} MiB, {r['rps']:.1f} requests/s, "
                  f"runner peak RSS {r['runner_rss']:.0f} MiB per learner; load at the end {r['load']:.0f}", flush=True)
            for f in r["failed"]:
                print(f"  failed: {f}", flush=True)


if __name__ == "__main__":
    main()
