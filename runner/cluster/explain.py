"""Put the cause of a failed check first: what the learner can fix (pull error, crash loop, a Service
that selects nothing, the object in another namespace), with the check's own wording kept in the details.

Never raises: an explanation must not hide the failure it explains.
"""
from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from runner import accessors as k8s
from runner.checks import causes, hpa_causes, hpa_state, probe_kill
from runner.checks.base import Result
from runner.cluster.client import Kube, call
from runner.cluster.diagnose import diagnose
from runner.schema import Check, Target

WORKLOADS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job")


def _list(kube: Kube, api_version: str, kind: str, namespace: str | None, **kw: Any) -> list[dict[str, Any]]:
    res = kube.resource(api_version, kind)
    if namespace and res.namespaced:
        kw["namespace"] = namespace
    return call(res.get, **kw).to_dict().get("items") or []


def _sel(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items())


def _targets(c: Check) -> list[Target]:
    s = c.spec
    if c.kind in ("match", "count", "condition", "event"):
        return [s.target]
    if c.kind == "exec":
        return [s.pod] if s.pod else [Target(kind="Pod", name=s.pod_name)]
    return []


def _services_of_http(kube: Kube, ns: str, c: Check) -> tuple[list[str], list[str]]:
    """(Service names, Ingress names) an http check goes through."""
    s = c.spec
    u = urlsplit(s.url)
    host = (u.hostname or "").split(".")
    if s.from_ == "cluster":
        if host[0] and not host[0].isdigit() and (len(host) == 1 or host[1] == ns):
            return [host[0]], []
        return [], []
    svcs, ings = [], []
    if u.port and u.port not in (80, 443):
        svcs = [x["metadata"]["name"] for x in _list(kube, "v1", "Service", ns)
                if any(p.get("nodePort") == u.port for p in k8s.entries(k8s.spec(x), "ports"))]
    if s.host:
        for ing in _list(kube, "networking.k8s.io/v1", "Ingress", ns):
            rules = [r for r in k8s.entries(k8s.spec(ing), "rules") if r.get("host") in (s.host, None)]
            if rules:
                ings.append(ing["metadata"]["name"])
                for r in rules:
                    for p in k8s.entries(k8s.section(r, "http"), "paths"):
                        name = k8s.dig(p, "backend", "service").get("name")
                        if name and name not in svcs:
                            svcs.append(name)
    return svcs, ings


def _pods_of(kube: Kube, ns: str, kind: str, objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if kind == "Pod":
        return objs
    pods: list[dict[str, Any]] = []
    for o in objs[:3]:
        sel = k8s.section(k8s.spec(o), "selector")
        labels = sel.get("matchLabels") if kind in WORKLOADS else sel
        if labels:
            pods += _list(kube, "v1", "Pod", ns, label_selector=_sel(labels))
    return pods


def _crash_log(kube: Kube, ns: str, pod: str, container: str) -> str:
    for previous in (True, False):
        try:
            text = call(kube.core.read_namespaced_pod_log, pod, ns, container=container, previous=previous, tail_lines=3)
        except Exception:  # noqa: BLE001 - no previous instance yet: try the current one
            continue
        if (text or "").startswith("unable to retrieve container logs"):
            continue   # the kubelet's answer once that instance is gone, not the container's output
        lines = [x for x in (text or "").splitlines() if x.strip()]
        if lines:
            return lines[-1].strip()[:200]
    return ""


def _pod_events(kube: Kube, ns: str, pod: str) -> list[dict[str, Any]]:
    try:
        return _list(kube, "v1", "Event", ns, field_selector=f"involvedObject.kind=Pod,involvedObject.name={pod}")
    except Exception:  # noqa: BLE001 - without events the crash loop is still named
        return []


def _last_stop(kube: Kube, ns: str) -> tuple[str, float] | None:
    """(pod, seconds ago) of the namespace's newest pod stop: an HPA's reading may still hold its load."""
    try:
        stop = hpa_state.last_stop(_list(kube, "v1", "Event", ns))
    except Exception:  # noqa: BLE001 - without events the HPA's reading is still explained
        return None
    return (stop[0], time.time() - stop[1]) if stop else None


def find_causes(kube: Kube, ns: str, c: Check, objects: list[tuple[str, str]]) -> tuple[list[str], list[tuple[str, str]]]:
    """(causes, extra objects for the diagnostics) of a failed check."""
    found: list[str] = []
    pods: list[dict[str, Any]] = []
    services: list[str] = []
    extra: list[tuple[str, str]] = []
    for t in _targets(c):
        objs = _list(kube, t.api_version, t.kind, t.namespace or ns,
                     **({"field_selector": f"metadata.name={t.name}"} if t.name else {"label_selector": t.selector_str()}))
        if not objs and c.kind != "absent":
            what = t.name or f"with {t.selector_str()}"
            try:   # other namespaces: a learner's kubeconfig may not list them, then say only "does not exist"
                others = _list(kube, t.api_version, t.kind, None,
                               **({"field_selector": f"metadata.name={t.name}"} if t.name else {"label_selector": t.selector_str()}))
            except Exception:  # noqa: BLE001
                others = []
            other_ns = [o["metadata"].get("namespace") for o in others if o["metadata"].get("namespace") != (t.namespace or ns)]
            found.append(causes.elsewhere(t.kind, what, t.namespace or ns, [x for x in other_ns if x])
                         or f"{t.kind} {what} does not exist in {t.namespace or ns}")
            continue
        if t.kind == "HorizontalPodAutoscaler":
            stopped = _last_stop(kube, t.namespace or ns)
            found += [w for o in objs[:3] for w in hpa_causes.hpa_causes(o, stopped, time.time())]
        elif t.kind == "Service":
            services += [o["metadata"]["name"] for o in objs]
        elif t.kind == "EndpointSlice":
            services += [n for o in objs if (n := k8s.labels(o).get("kubernetes.io/service-name"))]
        pods += _pods_of(kube, ns, t.kind, objs)
    if c.kind == "http":
        svcs, ings = _services_of_http(kube, ns, c)
        services += svcs
        extra += [("Ingress", i) for i in ings]
    all_pods: list[dict[str, Any]] | None = None
    for name in dict.fromkeys(x for x in services if x):
        try:
            svc = call(kube.resource("v1", "Service").get, name=name, namespace=ns).to_dict()
        except Exception:  # noqa: BLE001
            found.append(f"Service {name} does not exist in {ns}")
            continue
        extra.append(("Service", name))
        if all_pods is None:
            all_pods = _list(kube, "v1", "Pod", ns)
        none = causes.service_selects_none(svc, all_pods)
        if none:
            found.append(none)
        else:
            pods += _pods_of(kube, ns, "Service", [svc])
    seen: set[str] = set()
    for p in causes.newest_first(pods):
        if p["metadata"]["name"] in seen:
            continue
        seen.add(p["metadata"]["name"])
        for why, container in causes.pod_causes(p):
            if container:
                probe = probe_kill.probe_failure(_pod_events(kube, ns, p["metadata"]["name"]),
                                                 p["metadata"]["name"], container)
                line = "" if probe else _crash_log(kube, ns, p["metadata"]["name"], container)
                why += f"; {probe}" if probe else (f"; last log line: {line!r}" if line else "")
            found.append(why)
    return list(dict.fromkeys(found)), [o for o in extra if o not in objects]


def annotate(kube: Kube, namespace: str, c: Check, r: Result) -> list[str]:
    """Causes first in r.summary (the check's own summary moves to the details); returns the diagnostics."""
    try:
        why, extra = find_causes(kube, namespace, c, r.objects)
    except Exception as e:  # noqa: BLE001
        why, extra = [], []
        r.details.append(f"(cause not determined: {type(e).__name__}: {e})")
    if why:
        r.details.insert(0, f"the check says: {r.summary}")
        r.details[1:1] = [f"cause: {w}" for w in why[1:]]
        r.summary = why[0] + (f" (+{len(why) - 1} more)" if len(why) > 1 else "")
    try:
        return diagnose(kube, namespace, r.objects + extra)
    except Exception as e:  # noqa: BLE001
        return [f"(diagnostics unavailable: {type(e).__name__}: {e})"]
