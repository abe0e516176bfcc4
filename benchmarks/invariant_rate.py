#!/usr/bin/env python3
"""Benchmark (not a test): how many samples an HTTP invariant takes for its `every`.

  python3 benchmarks/invariant_rate.py [--every 0.3] [--seconds 10] [--learner NAME]

Runs the same in-cluster HTTP probe (a client pod's wget to a Service, as `from: cluster` does)
for the same time twice: the old sequential loop (one request, then wait what is left of the
period) as the baseline, then runner.sampler.Sampler (requests started on the period). Prints the
sample rate of each and its ratio to the rate asked for.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner.cluster.client import connect  # noqa: E402
from runner.engine import Session  # noqa: E402
from runner.loader import LoadedLab  # noqa: E402
from runner.sampler import Sampler  # noqa: E402
from runner.schema import Check, Lab  # noqa: E402

WEB = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
           "name": "web", "image": "registry.k8s.io/e2e-test-images/agnhost:2.66.1",
           "imagePullPolicy": "IfNotPresent", "args": ["netexec", "--http-port=8080"]}]}}
SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
       "spec": {"selector": {"app": "web"}, "ports": [{"port": 8080}]}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=float, default=0.3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--learner", default="bench-rate")
    a = ap.parse_args()
    lab = Lab.model_validate({"id": "bench", "title": "b", "concept": "b", "objectives": ["x"],
                              "steps": [{"id": "s", "title": "s"}]})
    sess = Session(connect(), LoadedLab(lab, Path("."), Path(".")), learner=a.learner)
    sess.prepare()
    try:
        from runner.cluster.objects import apply_docs
        apply_docs(sess.kube, [WEB, SVC], sess.namespace, "bench")
        check = Check.model_validate({"invariant": {"every": a.every, "min_samples": 1,
                                                    "http": {"url": "http://web:8080/hostname"}}})
        ready = sess.wait(Check.model_validate({"condition": {"target": {"kind": "Pod", "name": "web"},
                                                              "type": "Ready"}}), 120)
        assert ready.result.ok, ready.result.summary
        sess.http(check.invariant.http)            # client pod up before timing
        asked = 1 / a.every
        # baseline: the loop the runner had before (sequential: a slow request stretches the period)
        n, t0 = 0, time.monotonic()
        while time.monotonic() - t0 < a.seconds:
            s = time.monotonic()
            sess.http(check.invariant.http)
            n += 1
            time.sleep(max(0.0, a.every - (time.monotonic() - s)))
        base = n / (time.monotonic() - t0)
        smp = Sampler(sess, check)
        time.sleep(a.seconds)
        smp.stop()
        rate = len(smp.samples) / a.seconds
        ok = sum(1 for x in smp.samples if x.status == 200)
        print(f"asked: every {a.every * 1000:.0f}ms = {asked:.2f} samples/s over {a.seconds:.0f}s")
        print(f"sequential loop (baseline): {base:.2f} samples/s = {base / asked:.2f} of asked")
        print(f"Sampler (on the period):    {rate:.2f} samples/s = {rate / asked:.2f} of asked "
              f"({ok} of {len(smp.samples)} answered 200, {smp.skipped} periods skipped); "
              f"{rate / base:.2f}x the baseline")
    finally:
        sess.reset()
        sess.close()


if __name__ == "__main__":
    main()
