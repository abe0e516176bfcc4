"""How the Service routing health check shows up: `kubelab cluster status` and the gate at the start
of verify and run (KUBELAB_SKIP_HEALTH=1 skips the gate, e.g. to run a lab on a cluster known broken)."""
from __future__ import annotations

import os

from runner.cluster.client import Kube, call
from runner.cluster.health import cached_check, check
from runner.errors import Forbidden
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


def node_lines(kube: Kube) -> list[str]:
    """The nodes, as `kubectl get nodes` shows the essentials (kubelab cluster status)."""
    rows = [("NODE", "READY", "ROLES", "VERSION", "INTERNAL-IP")]
    for n in call(kube.core.list_node).items:
        ready = next((c.status for c in n.status.conditions or [] if c.type == "Ready"), "Unknown")
        roles = ",".join(sorted(k.split("/", 1)[1] for k in n.metadata.labels or {}
                                if k.startswith("node-role.kubernetes.io/"))) or "<none>"
        ip = next((a.address for a in n.status.addresses or [] if a.type == "InternalIP"), "")
        rows.append((n.metadata.name, ready, roles, n.status.node_info.kubelet_version, ip))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]


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
    except Forbidden:      # 401 or 403: e.g. a workshop learner's credentials; the instructor's status check covers it
        return True
    if rep is None or rep.ok:
        return True
    if not rep.conclusive:      # too busy to probe is not broken: say so, and go on
        for p in rep.problems:
            out.err(f"kubelab: {p}")
        return True
    out.err(f"kubelab: the cluster cannot run labs: Service routing or DNS is broken [{rep.seconds:.1f}s]")
    for p in rep.problems:
        out.err(f"  {p}")
    out.err(REPAIR)
    return False
