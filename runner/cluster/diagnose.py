"""What to show next to a failed check: recent events of the objects involved, last log lines of pods."""
from __future__ import annotations

import time
from typing import Any

from runner import accessors as k8s
from runner.cluster.client import Kube, call


def recent_events(kube: Kube, namespace: str, kind: str, name: str, limit: int = 8) -> list[str]:
    try:
        evs = call(kube.core.list_namespaced_event, namespace,
                   field_selector=f"involvedObject.kind={kind},involvedObject.name={name}").items
    except Exception as e:  # noqa: BLE001 - diagnostics must never hide the real failure
        return [f"(events unavailable: {e})"]
    def when(e: Any) -> str:
        t = e.last_timestamp or e.event_time or e.first_timestamp or e.metadata.creation_timestamp
        return t.isoformat() if t else ""
    evs = sorted(evs, key=when)[-limit:]
    return [f"{when(e)[11:19]} {e.type:<7} {e.reason}: {(e.message or '').strip()}"
            + (f" (x{e.count})" if (e.count or 1) > 1 else "") for e in evs]


def last_logs(kube: Kube, namespace: str, pod: str, lines: int = 10) -> list[str]:
    out: list[str] = []
    try:
        p = call(kube.core.read_namespaced_pod, pod, namespace)
    except Exception as e:  # noqa: BLE001
        return [f"(pod unavailable: {e})"]
    for c in p.spec.containers:
        try:
            text = call(kube.core.read_namespaced_pod_log, pod, namespace, container=c.name, tail_lines=lines)
        except Exception as e:  # noqa: BLE001 - e.g. container not started yet
            text = f"(no logs: {getattr(e, 'reason', e)})"
        body = [f"  {line}" for line in (text or "").splitlines()[-lines:]] or ["  (empty)"]
        out += [f"{pod}/{c.name}:"] + body
    return out


def service_state(kube: Kube, namespace: str, name: str) -> list[str]:
    """Selector, matching pods and endpoints: what a wrong selector or a not-ready pod looks like."""
    try:
        svc = call(kube.core.read_namespaced_service, name, namespace)
    except Exception as e:  # noqa: BLE001
        return [f"Service/{name}: {getattr(e, 'reason', e)}"]
    sel = svc.spec.selector or {}
    sel_s = ",".join(f"{k}={v}" for k, v in sel.items())
    pods = (call(kube.resource("v1", "Pod").get, namespace=namespace, label_selector=sel_s).to_dict().get("items")
            or []) if sel else []
    slices = kube.resource("discovery.k8s.io/v1", "EndpointSlice")
    items = call(slices.get, namespace=namespace,
                 label_selector=f"kubernetes.io/service-name={name}").to_dict().get("items") or []
    eps = [e for s in items for e in s.get("endpoints") or []]
    ready = sum(1 for e in eps if k8s.section(e, "conditions").get("ready"))
    idle = not_serving(pods, eps, time.time())
    return [f"Service/{name}: selector {sel_s or '(none)'}; pods matching it: {len(pods)}; "
            f"endpoints: {ready} ready of {len(eps)}" + (f"; not serving: {', '.join(idle)}" if idle else "")]


def not_serving(pods: list[dict[str, Any]], endpoints: list[dict[str, Any]], now: float, limit: int = 3) -> list[str]:
    """The selected pods that no ready endpoint stands for, with why and for how long: a rollout whose new pod
    is still being created looks, from the Service, like an old answer."""
    serving = {k8s.section(e, "targetRef").get("name") for e in endpoints if k8s.section(e, "conditions").get("ready")}
    out = [f"{k8s.name(p)} ({pod_state(p, now)})" for p in pods if k8s.name(p) not in serving]
    return out[:limit] + ([f"{len(out) - limit} more"] if len(out) > limit else [])


def pod_state(pod: dict[str, Any], now: float) -> str:
    """Where a pod is, as kubectl's STATUS column would put it, and its age: "ContainerCreating, created 95s
    ago", "Unschedulable: 0/3 nodes are available: …"."""
    waiting = next((r for c in k8s.container_statuses(pod) if (r := k8s.state(c, "waiting").get("reason"))), None)
    unscheduled = k8s.condition(pod, "PodScheduled") or {}
    if k8s.deleting(pod):
        why = "terminating"
    elif waiting:
        why = waiting
    elif unscheduled.get("status") == "False":
        why = f"{unscheduled.get('reason') or 'not scheduled'}: {unscheduled.get('message') or ''}".rstrip(": ")
    elif k8s.phase(pod) == "Running":
        why = "running, not ready"
    else:
        why = k8s.phase(pod) or "Pending"
    created = k8s.meta(pod).get("creationTimestamp")
    return why + (f", created {max(0.0, now - k8s.epoch(created)):.0f}s ago" if created else "")


def ingress_state(kube: Kube, namespace: str, name: str) -> list[str]:
    """Class, rules (host, path -> service:port) and address: what a wrong host or backend looks like."""
    try:
        ing = call(kube.resource("networking.k8s.io/v1", "Ingress").get, name=name, namespace=namespace).to_dict()
    except Exception as e:  # noqa: BLE001
        return [f"Ingress/{name}: {getattr(e, 'reason', e)}"]
    spec = k8s.spec(ing)
    rules = []
    for r in k8s.entries(spec, "rules"):
        for p in k8s.entries(k8s.section(r, "http"), "paths"):
            svc = k8s.dig(p, "backend", "service")
            port = k8s.section(svc, "port").get("number") or k8s.section(svc, "port").get("name")
            rules.append(f"{r.get('host') or '*'}{p.get('path', '/')} ({p.get('pathType')}) -> {svc.get('name')}:{port}")
    addr = [i.get("ip") or i.get("hostname") for i in k8s.entries(k8s.dig(ing, "status", "loadBalancer"), "ingress")]
    return [f"Ingress/{name}: class {spec.get('ingressClassName') or '(none)'}; address {', '.join(a for a in addr if a) or '(none)'}; "
            f"rules: {'; '.join(rules) or '(none)'}"]


def diagnose(kube: Kube, namespace: str, objects: list[tuple[str, str]], max_objects: int = 5) -> list[str]:
    lines: list[str] = []
    for kind, name in list(dict.fromkeys(objects))[:max_objects]:
        if kind == "Service":
            lines += service_state(kube, namespace, name)
        if kind == "Ingress":
            lines += ingress_state(kube, namespace, name)
        ev = recent_events(kube, namespace, kind, name)
        lines.append(f"events of {kind}/{name}:")
        lines += [f"  {e}" for e in ev] or ["  (none)"]
        if kind == "Pod":
            lines.append("last log lines:")
            lines += [f"  {x}" for x in last_logs(kube, namespace, name)]
    return lines
