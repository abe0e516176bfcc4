"""Why a check fails, in a learner's words (pure): pull errors, crash loops, pods running but not
ready, unschedulable pods, a Service that selects no pod. The cluster edge (runner/cluster/explain.py) gathers the objects."""
from __future__ import annotations

from typing import Any

PULL = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
CONFIG = ("CreateContainerConfigError", "CreateContainerError", "RunContainerError")


def _name(o: dict[str, Any]) -> str:
    return str((o.get("metadata") or {}).get("name", "?"))


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
    st = pod.get("status") or {}
    images = {c.get("name"): c.get("image") for c in (pod.get("spec") or {}).get("containers") or []}
    statuses = (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or [])
    for cs in statuses:
        name = cs.get("name", "?")
        waiting = (cs.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason") or ""
        last = (cs.get("lastState") or {}).get("terminated") or {}
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
    probes = {c.get("name"): c.get("readinessProbe") for c in (pod.get("spec") or {}).get("containers") or []}
    if not out and not (pod.get("metadata") or {}).get("deletionTimestamp"):
        for cs in st.get("containerStatuses") or []:
            probe = probes.get(cs.get("name"))
            if probe and not cs.get("ready") and "running" in (cs.get("state") or {}):
                out.append((f"pod {_name(pod)} is running but not ready: container {cs.get('name')} fails its "
                            f"readiness probe ({_probe(probe)})", None))
    for c in st.get("conditions") or []:
        if c.get("type") == "PodScheduled" and c.get("status") == "False":
            out.append((f"pod {_name(pod)} cannot be scheduled: {c.get('message') or c.get('reason')}", None))
    return out


def service_selects_none(svc: dict[str, Any], pods_in_namespace: list[dict[str, Any]]) -> str | None:
    """'the Service web selects 0 pods (selector app=webb)' with the labels pods do have."""
    sel = (svc.get("spec") or {}).get("selector") or {}
    if not sel:
        return None
    def matches(p: dict[str, Any]) -> bool:
        labels = (p.get("metadata") or {}).get("labels") or {}
        return all(labels.get(k) == v for k, v in sel.items())
    if any(matches(p) for p in pods_in_namespace):
        return None
    sel_s = ",".join(f"{k}={v}" for k, v in sel.items())
    seen = sorted({f"{k}={v}" for p in pods_in_namespace for k, v in ((p.get("metadata") or {}).get("labels") or {}).items()
                   if k in sel})
    return f"the Service {_name(svc)} selects 0 pods (selector {sel_s})" + (
        f"; pods here have {', '.join(seen[:4])}" if seen else "")


def elsewhere(kind: str, what: str, namespace: str, found: list[str]) -> str | None:
    """'Deployment web not found in lab-x; found in default' (found: the other namespaces)."""
    if not found:
        return None
    return f"{kind} {what} not found in {namespace}; found in {', '.join(sorted(set(found))[:3])}"
