#!/usr/bin/env python3
"""Benchmark (not a test): check detection latency and the wall time of `kubelab verify`.

  python3 benchmarks/check_latency.py [--rounds 20] [--parallel 1] [--skip-verify] [labs...]

1. Detection latency: a ConfigMap is patched; we measure the time from the patch returning to a
   `match` check (waiting on its watch) passing. Also for a `count` check on pods after scaling
   a Deployment (includes the scheduler and kubelet, i.e. what a learner waits for).
2. `kubelab verify` wall time for all labs (or the labs given), per lab and in total.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner.cluster.client import connect  # noqa: E402
from runner.cluster.objects import apply_docs  # noqa: E402
from runner.engine import Session  # noqa: E402
from runner.loader import LoadedLab  # noqa: E402
from runner.schema import Check, Lab  # noqa: E402


def figures(name: str, xs: list[float]) -> None:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    print(f"{name}: n={len(xs)} median={statistics.median(xs) * 1000:.1f}ms p95={p95 * 1000:.1f}ms "
          f"max={xs[-1] * 1000:.1f}ms")


def detection(rounds: int) -> None:
    kube = connect()
    lab = Lab.model_validate({"id": "bench", "title": "bench", "concept": "bench", "objectives": ["x"],
                              "steps": [{"id": "s", "title": "s"}]})
    sess = Session(kube, LoadedLab(lab, Path("."), Path(".")), learner="latency")
    sess.reset()
    sess.prepare()
    ns = sess.namespace
    try:
        apply_docs(kube, [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"n": "0"}}],
                   ns, "bench")
        lat, lat_sent = [], []
        for i in range(1, rounds + 1):
            c = Check.model_validate({"match": {"target": {"kind": "ConfigMap", "name": "c"},
                                                "fields": {"data": {"n": str(i)}}}})
            sess.informer(c.match.target)          # watch established before the change
            changed = {}

            def change(i: int = i) -> None:
                time.sleep(0.2)
                changed["sent"] = time.monotonic()
                apply_docs(kube, [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                                   "data": {"n": str(i)}}], ns, "bench")
                changed["t"] = time.monotonic()
            th = threading.Thread(target=change)
            th.start()
            out = sess.wait(c, 30)
            done = time.monotonic()
            th.join()
            assert out.result.ok, out.result.summary
            lat.append(max(0.0, done - changed["t"]))
            lat_sent.append(done - changed["sent"])
        # the watch event can arrive before the apply response: both bounds are printed
        figures("match check latency from apply response to pass", lat)
        figures("match check latency from apply request sent to pass", lat_sent)

        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "w"}},
                        "template": {"metadata": {"labels": {"app": "w"}}, "spec": {
                            "terminationGracePeriodSeconds": 0,
                            "containers": [{"name": "w", "image": "docker.io/library/busybox:1.35.0",
                                            "imagePullPolicy": "IfNotPresent",
                                            "command": ["sh", "-c", "sleep 3600"]}]}}}}
        scale = []
        for n in (2, 3, 1, 3, 2):
            dep["spec"]["replicas"] = n
            c = Check.model_validate({"count": {"target": {"kind": "Pod", "selector": "app=w"},
                                                "fields": {"status": {"phase": "Running"}}, "equals": n}})
            sess.informer(c.count.target)
            t0 = time.monotonic()
            apply_docs(kube, [json.loads(json.dumps(dep))], ns, "bench")
            out = sess.wait(c, 120)
            assert out.result.ok, out.result.summary
            scale.append(time.monotonic() - t0)
        figures("count check after scaling (apply -> N Running pods seen)", scale)
    finally:
        sess.reset()


def verify_wall(labs: list[str], parallel: int) -> None:
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "runner", "--json", "verify", "--parallel", str(parallel), *labs],
                       capture_output=True, text=True)
    wall = time.monotonic() - t0
    try:
        reports = json.loads(r.stdout)
    except ValueError:
        print(r.stdout[-2000:], r.stderr[-2000:])
        reports = []
    for rep in reports:
        print(f"verify {rep['lab']}: {'ok' if rep['ok'] else 'FAILED'} {rep['seconds']:.1f}s")
    print(f"kubelab verify ({len(reports)} labs, parallel {parallel}): wall {wall:.1f}s, exit {r.returncode}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("labs", nargs="*")
    a = ap.parse_args()
    if not a.skip_latency:
        detection(a.rounds)
    if not a.skip_verify:
        verify_wall(a.labs, a.parallel)


if __name__ == "__main__":
    main()
