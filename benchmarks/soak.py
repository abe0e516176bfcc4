#!/usr/bin/env python3
"""Soak (not a test): verify labs in a loop on one kind cluster for hours, recording every failure with
its cause and, every minute, kube-proxy's Service map size on each node.

  .venv/bin/python benchmarks/soak.py [--hours 4] [--cluster kubelab] [--learner soak] [--parallel 2]
                                      [--pause 0] [--sample 60] [--resync-every S] [--out DIR] [labs...]
  .venv/bin/python benchmarks/soak.py --summary DIR      # figures of a finished or running soak

Each round: the Service routing health check (runner/cluster/health.py), then `verify` of the labs.
A failed lab is blamed on the cluster when the health check right after it finds routing or DNS broken,
else on the lab. Samples: element count of `service-ips` per node (nft in the node), whether the
`kubernetes` and `kube-dns` Service entries are in it, kube-proxy's full/partial sync and failure counts.
Records go to DIR (default build-results/soak-<time>): rounds.jsonl, samples.jsonl, summary.txt.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.cluster.client import cluster_kubeconfig, connect, describe_error  # noqa: E402
from runner.cluster.health import check  # noqa: E402
from runner.loader import find_lab, load_all  # noqa: E402
from runner.verify import verify_lab  # noqa: E402

METRICS = {"full_syncs": "kubeproxy_sync_full_proxy_rules_duration_seconds_count",
           "partial_syncs": "kubeproxy_sync_partial_proxy_rules_duration_seconds_count",
           "sync_failures": "kubeproxy_sync_proxy_rules_nftables_sync_failures_total"}


def hms(s: float) -> str:
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"


def sh(cmd: list[str], timeout: float = 20) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
    except (subprocess.TimeoutExpired, OSError):
        return ""


def nodes_of(cluster: str) -> list[str]:
    out = sh(["docker", "ps", "--filter", f"label=io.x-k8s.kind.cluster={cluster}", "--format", "{{.Names}}"])
    return sorted(out.split())


def system_keys(kube: Any) -> list[str]:
    """service-ips keys every node must hold: the kubernetes and kube-dns Service ports."""
    keys = []
    for ns, name in (("default", "kubernetes"), ("kube-system", "kube-dns")):
        svc = kube.core.read_namespaced_service(name, ns)
        keys += [f"{svc.spec.cluster_ip} . {p.protocol.lower()} . {p.port}" for p in svc.spec.ports]
    return keys


def map_keys(node: str) -> list[str] | None:
    out = sh(["docker", "exec", node, "nft", "-j", "list", "map", "ip", "kube-proxy", "service-ips"])
    try:
        data = json.loads(out)["nftables"]
    except (ValueError, KeyError, TypeError):
        return None     # no map (table gone) or nft failed
    elems = next((o["map"].get("elem", []) for o in data if "map" in o), [])
    return [" . ".join(str(x) for x in e[0]["concat"]) for e in elems if isinstance(e[0], dict) and "concat" in e[0]]


def proxy_metrics(node: str) -> dict[str, float]:
    text = sh(["docker", "exec", node, "curl", "-s", "-m", "5", "http://127.0.0.1:10249/metrics"])
    out = {}
    for key, metric in METRICS.items():
        m = re.search(rf"^{metric}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.M)
        if m:
            out[key] = float(m.group(1))
    return out


def sample(cluster: str, keys: list[str], t0: float) -> dict[str, Any]:
    rec: dict[str, Any] = {"t": round(time.time() - t0, 1), "nodes": {}}
    for node in nodes_of(cluster):
        mk = map_keys(node)
        rec["nodes"][node] = {"map_size": None if mk is None else len(mk),
                              "missing_system": keys if mk is None else [k for k in keys if k not in mk],
                              **proxy_metrics(node)}
    return rec


def sampler(cluster: str, kube: Any, every: float, path: Path, stop: threading.Event, t0: float) -> None:
    keys: list[str] = []
    while not stop.is_set():
        try:
            keys = system_keys(kube) or keys
        except Exception:  # noqa: BLE001 - an API hiccup must not stop the sampling
            pass
        rec = sample(cluster, keys, t0)
        with path.open("a") as f:
            f.write(json.dumps(rec) + "\n")
        stop.wait(every)


ZONE = "topology.kubernetes.io/zone"


def set_zone(kube: Any, value: str | None) -> None:
    """A change of a node's zone label makes kube-proxy resync fully (OnTopologyChange): the hourly event
    that used to empty its Service map, on demand. None removes the label."""
    for n in kube.core.list_node().items:
        kube.core.patch_node(n.metadata.name, {"metadata": {"labels": {ZONE: value}}})


def resyncer(kube: Any, every: float, path: Path, stop: threading.Event, t0: float) -> None:
    n = 0
    while not stop.wait(every):
        n += 1
        try:
            set_zone(kube, f"soak-{n % 2}")
            with path.open("a") as f:
                f.write(json.dumps({"t": round(time.time() - t0, 1), "forced_full_sync": n}) + "\n")
        except Exception as e:  # noqa: BLE001 - reported, the soak goes on
            print(f"  could not relabel nodes: {describe_error(e)}", flush=True)


def health_record(kube: Any) -> dict[str, Any]:
    try:
        rep = check(kube, start_wait=90)
        # a probe too busy to answer is no finding: the round goes on, and its failures are not blamed on routing
        return {"ok": rep.ok or not rep.conclusive, "unprobed": not rep.ok and not rep.conclusive,
                "seconds": round(rep.seconds, 1), "problems": rep.problems}
    except Exception as e:  # noqa: BLE001 - an unreachable API is a cluster failure too
        return {"ok": False, "seconds": None, "problems": [f"health check failed: {describe_error(e)}"]}


def lab_failure(r: Any) -> str:
    if r.error:
        return r.error
    bad = next((s for s in r.steps if s.status == "failed"), None)
    return f"step {bad.step} / {bad.phase}: {bad.message}" if bad else ""


def run_round(kube: Any, labs: list[Any], learner: str, parallel: int) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        reports = list(pool.map(lambda lab: verify_lab(kube, lab, learner=learner), labs))
    return [{"lab": r.lab, "ok": r.ok, "seconds": round(r.seconds, 1), "failure": lab_failure(r)} for r in reports]


def soak(args: argparse.Namespace) -> Path:
    default = cluster_kubeconfig()
    kubeconfig = str(default if args.cluster == "kubelab" else default.parent / f"kubeconfig-{args.cluster}")
    kube = connect(args.kubeconfig or kubeconfig, args.context)
    labs = [find_lab(x) for x in args.labs] if args.labs else load_all()[0]
    out = Path(args.out or ROOT / "build-results" / f"soak-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "meta.json").write_text(json.dumps({"cluster": args.cluster, "hours": args.hours, "labs": [x.id for x in labs],
                                               "parallel": args.parallel, "sample": args.sample,
                                               "resync_every": args.resync_every, "started": time.strftime("%FT%TZ", time.gmtime())}))
    t0 = time.time()
    stop = threading.Event()
    th = threading.Thread(target=sampler, args=(args.cluster, kube, args.sample, out / "samples.jsonl", stop, t0),
                          daemon=True)
    th.start()
    if args.resync_every:
        threading.Thread(target=resyncer, args=(kube, args.resync_every, out / "resyncs.jsonl", stop, t0),
                         daemon=True).start()
    print(f"soak of {len(labs)} labs on cluster {args.cluster} for {args.hours}h; records in {out}", flush=True)
    rnd = 0
    try:
        while time.time() - t0 < args.hours * 3600:
            rnd += 1
            before = health_record(kube)
            labs_out = run_round(kube, labs, f"soak-{args.learner}", args.parallel) if before["ok"] else []
            after = health_record(kube) if any(not x["ok"] for x in labs_out) else None
            for x in labs_out:
                if not x["ok"]:
                    x["cause"] = "cluster" if after and not after["ok"] else "lab"
            rec = {"round": rnd, "t": round(time.time() - t0, 1), "health_before": before, "health_after": after,
                   "labs": labs_out}
            with (out / "rounds.jsonl").open("a") as f:
                f.write(json.dumps(rec) + "\n")
            ok = sum(x["ok"] for x in labs_out)
            last = last_sample(out)
            print(f"[{hms(time.time() - t0)}] round {rnd}: health {'ok' if before['ok'] else 'BROKEN'}; "
                  f"{ok}/{len(labs_out)} labs ok; service-ips: {last}", flush=True)
            for x in labs_out:
                if not x["ok"]:
                    print(f"  {x['lab']} FAILED ({x['cause']}): {x['failure']}", flush=True)
            if not before["ok"]:
                print("  " + "; ".join(before["problems"]), flush=True)
            stop.wait(args.pause if before["ok"] else 30)
    except KeyboardInterrupt:
        print("interrupted: summary of what ran", flush=True)
    finally:
        stop.set()
        th.join(timeout=30)
        if args.resync_every:
            set_zone(kube, None)
    return out


def last_sample(out: Path) -> str:
    try:
        rec = json.loads((out / "samples.jsonl").read_text().splitlines()[-1])
        return ", ".join(f"{n} {v['map_size']}" for n, v in rec["nodes"].items())
    except (OSError, IndexError, ValueError, KeyError):
        return "-"


def summary(out: Path) -> str:
    rounds = [json.loads(x) for x in (out / "rounds.jsonl").read_text().splitlines() if x.strip()] \
        if (out / "rounds.jsonl").exists() else []
    samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines() if x.strip()] \
        if (out / "samples.jsonl").exists() else []
    meta = json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else {}
    span = max([r["t"] for r in rounds] + [s["t"] for s in samples] + [0])
    labs = [x for r in rounds for x in r["labs"]]
    failed = [x for x in labs if not x["ok"]]
    broken = [r for r in rounds if not r["health_before"]["ok"]]
    lines = [f"== soak {out.name}: cluster {meta.get('cluster', '?')}, started {meta.get('started', '?')}, "
             f"ran {hms(span)} of {meta.get('hours', '?')}h planned",
             f"rounds: {len(rounds)}; labs verified: {len(labs)}; passed: {len(labs) - len(failed)}; failed: {len(failed)} "
             f"(cluster-caused: {sum(x.get('cause') == 'cluster' for x in failed)}, "
             f"lab: {sum(x.get('cause') == 'lab' for x in failed)})",
             f"rounds skipped because the health check found routing or DNS broken: {len(broken)}"]
    for x in failed:
        lines.append(f"  {x['lab']} ({x.get('cause')}): {x['failure'][:200]}")
    for r in broken[:10]:
        lines.append(f"  round {r['round']} at {hms(r['t'])}: {'; '.join(r['health_before']['problems'])[:300]}")
    nodes = sorted({n for s in samples for n in s["nodes"]})
    resyncs = len((out / "resyncs.jsonl").read_text().splitlines()) if (out / "resyncs.jsonl").exists() else 0
    lines.append(f"service-ips samples: {len(samples)} (every ~{meta.get('sample', 60)}s); "
                 f"full resyncs forced by relabelling the nodes: {resyncs}")
    for n in nodes:
        vals = [s["nodes"][n] for s in samples if n in s["nodes"]]
        sizes = [v["map_size"] for v in vals if v["map_size"] is not None]
        lost = [s["t"] for s in samples if n in s["nodes"] and s["nodes"][n]["missing_system"]]
        last = vals[-1] if vals else {}
        line = (f"  {n}: map size min {min(sizes, default='-')} max {max(sizes, default='-')} "
                f"last {sizes[-1] if sizes else '-'}; samples missing kubernetes/kube-dns entries: {len(lost)}")
        if lost:
            line += f" (first at {hms(lost[0])})"
        if "full_syncs" in last:
            line += (f"; kube-proxy syncs: full {last['full_syncs']:.0f}, partial {last.get('partial_syncs', 0):.0f}, "
                     f"failed {last.get('sync_failures', 0):.0f}")
        lines.append(line)
    verdict = "NO Service routing loss" if not broken and not any(
        s["nodes"][n]["missing_system"] for s in samples for n in s["nodes"]) else "Service routing LOSS seen"
    lines.append(f"verdict: {verdict}")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("labs", nargs="*", help="lab ids (default: all)")
    p.add_argument("--hours", type=float, default=4.0)
    p.add_argument("--cluster", default="kubelab", help="kind cluster name (its node containers are sampled)")
    p.add_argument("--kubeconfig", default=None, help="default: the one build/cluster.sh wrote for --cluster")
    p.add_argument("--context", default=None)
    p.add_argument("--learner", default="soak")
    p.add_argument("--parallel", type=int, default=2, help="labs verified at the same time")
    p.add_argument("--pause", type=float, default=0.0, help="seconds between rounds (spares a shared machine)")
    p.add_argument("--sample", type=float, default=60.0, help="seconds between Service map samples")
    p.add_argument("--resync-every", type=float, default=0.0, metavar="SECONDS",
                   help="force kube-proxy's full resync this often by relabelling the nodes' zone (0: only its "
                        "own hourly one); not for a cluster others use")
    p.add_argument("--out", default=None)
    p.add_argument("--summary", metavar="DIR", default=None, help="print the figures of a soak's records and exit")
    args = p.parse_args()
    if not 0 < args.hours <= 48 or not 1 <= args.parallel <= 16 or not 1 <= args.sample <= 3600 \
            or not 0 <= args.pause <= 3600 or not (args.resync_every == 0 or 10 <= args.resync_every <= 86400):
        p.error("--hours in (0, 48], --parallel in [1, 16], --sample in [1, 3600], --pause in [0, 3600], "
                "--resync-every 0 or in [10, 86400]")
    out = Path(args.summary) if args.summary else soak(args)
    text = summary(out)
    if not args.summary:
        (out / "summary.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
