"""Why a check fails, in a learner's words (pure): pull errors, crash loops, pods running but not
ready, unschedulable pods, a Service that selects no pod. The cluster edge (runner/cluster/explain.py) gathers the objects."""
from __future__ import annotations

from typing import Any

from runner.accessors import conditions, containers, deleting, labels, meta, section, spec, state, status
from runner.accessors import name as obj_name

PULL = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
CONFIG = ("CreateContainerConfigError", "CreateContainerError", "RunContainerError")


def _name(o: dict[str, Any]) -> str:
    return obj_name(o)


def _probe(p: dict[str, Any]) -> str:
    """'httpGet :8081/readyz', 'exec cat /tmp/ready', 'tcpSocket :5432'."""
    if p.get("httpGet"):
        return f"httpGet :{p['httpGet'].get('port')}{p['httpGet'].get('path') or '/'}"
    if p.get("exec"):
        return "exec " + " ".join(p["exec"].get("command") or [])
    if p.get("tcpSocket"):
        return f"tcpSocket :{p['tcpSocket'].get('port')}"
    return "probe"


def pod_causes(pod: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(cause, container whose previous log explains it or None) for one pod."""
    out: list[tuple[str, str | None]] = []
    st = status(pod)
    images = {c.get("name"): c.get("image") for c in containers(pod)}
    statuses = (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or [])
    for cs in statuses:
        name = cs.get("name", "?")
        waiting = state(cs, "waiting")
        reason = waiting.get("reason") or ""
        last = section(section(cs, "lastState"), "terminated")
        if reason in PULL:
            out.append((f"{reason}: image {cs.get('image') or images.get(name)!r} cannot be pulled "
                        f"(pod {_name(pod)}, container {name})", None))
        elif reason == "CrashLoopBackOff" or (last and cs.get("restartCount", 0) >= 2 and not cs.get("ready")):
            code = last.get("exitCode")
            out.append((f"container {name} of pod {_name(pod)} is crash-looping "
                        f"({cs.get('restartCount', 0)} restarts{f', exit code {code}' if code is not None else ''})",
                        name))
        elif reason in CONFIG:
            out.append((f"{reason} in pod {_name(pod)}, container {name}: {waiting.get('message', '')}".rstrip(": "),
                        None))
    probes = {c.get("name"): c.get("readinessProbe") for c in containers(pod)}
    startups = {c.get("name"): c.get("startupProbe") for c in containers(pod)}
    if not out and not deleting(pod):
        for cs in st.get("containerStatuses") or []:
            probe = probes.get(cs.get("name"))
            startup = startups.get(cs.get("name"))
            if startup and cs.get("started") is False and "running" in section(cs, "state"):
                # readiness is not probed before the startup probe passes: that one is what holds it back
                out.append((f"pod {_name(pod)} is running but has not started: container {cs.get('name')} has not "
                            f"passed its startup probe ({_probe(startup)}; {cs.get('restartCount', 0)} restarts)",
                            cs.get("name")))
            elif probe and not cs.get("ready") and "running" in section(cs, "state"):
                out.append((f"pod {_name(pod)} is running but not ready: container {cs.get('name')} fails its "
                            f"readiness probe ({_probe(probe)})", None))
    for c in conditions(pod):
        if c.get("type") == "PodScheduled" and c.get("status") == "False":
            out.append((f"pod {_name(pod)} cannot be scheduled: {c.get('message') or c.get('reason')}", None))
    return out


def newest_first(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pods newest first: the newest runs the learner's latest template, so its cause leads (an older pod
    of the previous ReplicaSet, failing for the reason the learner is fixing, comes after)."""
    return sorted(pods, key=lambda p: str(meta(p).get("creationTimestamp") or ""), reverse=True)


def service_selects_none(svc: dict[str, Any], pods_in_namespace: list[dict[str, Any]]) -> str | None:
    """'the Service web selects 0 pods (selector app=webb)' with the labels pods do have."""
    sel = section(spec(svc), "selector")
    if not sel:
        return None
    def matches(p: dict[str, Any]) -> bool:
        have = labels(p)
        return all(have.get(k) == v for k, v in sel.items())
    if any(matches(p) for p in pods_in_namespace):
        return None
    sel_s = ",".join(f"{k}={v}" for k, v in sel.items())
    seen = sorted({f"{k}={v}" for p in pods_in_namespace for k, v in labels(p).items()
                   if k in sel})
    return f"the Service {_name(svc)} selects 0 pods (selector {sel_s})" + (
        f"; pods here have {', '.join(seen[:4])}" if seen else "")


def elsewhere(kind: str, what: str, namespace: str, found: list[str]) -> str | None:
    """'Deployment web not found in lab-x; found in default' (found: the other namespaces)."""
    if not found:
        return None
    return f"{kind} {what} not found in {namespace}; found in {', '.join(sorted(set(found))[:3])}"
