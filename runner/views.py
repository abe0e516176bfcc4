"""Rows of the live `observe` tables, computed from watched objects (pure; rendering is elsewhere)."""
from __future__ import annotations

from typing import Any

import jmespath

from runner import accessors as k8s
from runner.checks.invariant import pod_is_ready

Table = tuple[list[str], list[list[str]]]


def _owner(obj: dict[str, Any]) -> str:
    refs = k8s.entries(k8s.meta(obj), "ownerReferences")
    return f"{refs[0]['kind']}/{refs[0]['name']}" if refs else "-"


def pods(objs: list[dict[str, Any]]) -> Table:
    """Pods grouped by owner (ReplicaSet) with a ready count per group, so a rollout is visible."""
    rows: list[list[str]] = []
    by_owner: dict[str, list[dict[str, Any]]] = {}
    for o in sorted(objs, key=lambda o: o["metadata"]["name"]):
        by_owner.setdefault(_owner(o), []).append(o)
    for owner, group in sorted(by_owner.items()):
        live = [o for o in group if not k8s.deleting(o)]
        rows.append([owner, f"{len(live)} pods", "", f"{sum(1 for o in live if pod_is_ready(o))} ready", "", ""])
        for o in group:
            cs = k8s.container_statuses(o)
            ready = sum(1 for c in cs if c.get("ready"))
            phase = "Terminating" if k8s.deleting(o) else k8s.status(o).get("phase", "?")
            waiting = next((k8s.state(c, "waiting").get("reason") for c in cs if k8s.state(c, "waiting")), None)
            total = len(cs) or len(k8s.containers(o))
            rows.append(["", o["metadata"]["name"], waiting or phase, f"{ready}/{total}",
                         str(sum(c.get("restartCount", 0) for c in cs)), k8s.spec(o).get("nodeName") or "-"])
    return ["OWNER", "POD", "STATUS", "READY", "RESTARTS", "NODE"], rows


def pvcs(objs: list[dict[str, Any]]) -> Table:
    rows = [[o["metadata"]["name"], k8s.status(o).get("phase", "?"), k8s.spec(o).get("volumeName") or "-",
             k8s.dig(o, "status", "capacity").get("storage", "-"),
             k8s.spec(o).get("storageClassName") or "-"] for o in objs]
    return ["CLAIM", "PHASE", "VOLUME", "CAPACITY", "CLASS"], rows


def endpoints(slices: list[dict[str, Any]]) -> Table:
    """EndpointSlices of one Service: each address with its readiness and the target pod."""
    rows = []
    for s in slices:
        ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in s.get("ports") or []) or "-"
        for ep in s.get("endpoints") or []:
            cond = k8s.section(ep, "conditions")
            state = "ready" if cond.get("ready") else ("terminating" if cond.get("terminating") else "not ready")
            pod = k8s.section(ep, "targetRef").get("name", "-")
            rows.append([",".join(ep.get("addresses") or []), ports, state, pod])
    return ["ADDRESS", "PORTS", "STATE", "POD"], rows or [["(none)", "", "", ""]]


def events(evs: list[dict[str, Any]], limit: int = 8) -> Table:
    when = k8s.event_time
    rows = [[when(e)[11:19], e.get("type", ""), e.get("reason", ""), (e.get("message") or "").strip()[:100]]
            for e in sorted(evs, key=when)[-limit:]]
    return ["TIME", "TYPE", "REASON", "MESSAGE"], rows


def objects(objs: list[dict[str, Any]], columns: dict[str, str]) -> Table:
    rows = []
    for o in objs:
        row = []
        for expr in columns.values():
            try:
                v = jmespath.search(expr, o)
            except jmespath.exceptions.JMESPathError:
                v = "?"
            row.append("-" if v is None else str(v))
        rows.append(row)
    return list(columns), rows
