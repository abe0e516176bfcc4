"""How the Service routing health check shows up: `kubelab cluster status` and the gate at the start
of verify and run (KUBELAB_SKIP_HEALTH=1 skips the gate, e.g. to run a lab on a cluster known broken)."""
from __future__ import annotations

import os

from runner.cluster.client import Kube, status_of
from runner.cluster.health import cached_check, check
from runner.health_logic import REPAIR, HealthReport
from runner.render import Out


def report_lines(rep: HealthReport) -> list[str]:
    lines = []
    for n in rep.nodes:
        if n.error:
            lines.append(f"  {n.node}: cannot probe ({n.error})")
        else:
            lines.append(f"  {n.node}: " + "; ".join(f"{r.target.name} {'ok' if r.ok else 'FAILED'} ({r.detail})"
                                                     for r in n.results))
    return lines


def show_health(out: Out, kube: Kube) -> bool:
    rep = check(kube, progress=out.line)
    data = {"ok": rep.ok, "seconds": round(rep.seconds, 2), "problems": rep.problems,
            "nodes": [{"node": n.node, "pod": n.pod, "error": n.error,
                       "probes": [{"probe": r.target.name, "ok": r.ok, "detail": r.detail} for r in n.results]}
                      for n in rep.nodes]}
    if rep.ok:
        out.line(f"Service routing and DNS: ok on {len(rep.nodes)} node(s) [{rep.seconds:.1f}s]", "green")
    else:
        out.line(f"Service routing or DNS BROKEN [{rep.seconds:.1f}s]:", "bold red")
        for p in rep.problems:
            out.line(f"  {p}", "red")
        out.line(REPAIR, "bold")
    for line in report_lines(rep):
        out.line(line)
    out.flush_json(data)
    return rep.ok


def gate(out: Out, kube: Kube) -> bool:
    if os.environ.get("KUBELAB_SKIP_HEALTH"):
        return True
    try:
        rep = cached_check(kube, progress=out.err)
    except Exception as e:  # noqa: BLE001 - re-raised unless it is a permission problem
        if status_of(e) in (401, 403):
            return True     # e.g. a workshop learner's credentials: the instructor's status check covers it
        raise
    if rep is None or rep.ok:
        return True
    out.err(f"kubelab: the cluster cannot run labs: Service routing or DNS is broken [{rep.seconds:.1f}s]")
    for p in rep.problems:
        out.err(f"  {p}")
    out.err(REPAIR)
    return False
