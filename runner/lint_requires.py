"""`kubelab lint`: a lab that uses something of the default kind cluster must declare it in `requires:`
(runner/requires.py), so that on another cluster it is reported as not runnable instead of failing obscurely.
Pure: from the validated lab and its parsed manifests to the words it needs but does not declare."""
from __future__ import annotations

from typing import Any

from runner import accessors as k8s
from runner.schema import Lab


def _claims_default_class(obj: dict[str, Any]) -> bool:
    """A claim (or a StatefulSet's claim template) that names no class: the default StorageClass serves it."""
    if obj.get("kind") == "PersistentVolumeClaim":
        return "storageClassName" not in (obj.get("spec") or {})
    if obj.get("kind") == "StatefulSet":
        return any("storageClassName" not in (t.get("spec") or {})
                   for t in (obj.get("spec") or {}).get("volumeClaimTemplates") or [] if isinstance(t, dict))
    return False


def needed(lab: Lab, objects: list[Any]) -> dict[str, str]:
    """requirement word -> what in the lab needs it (first found)."""
    out: dict[str, str] = {}
    data = lab.model_dump(by_alias=True, exclude_none=True)
    for d in k8s.mappings(data):
        http = d.get("http")
        if isinstance(http, dict) and http.get("from") == "host" and http.get("tls"):
            out.setdefault("host-ports", f"the certificate check on {http.get('url')} is read from this machine")
    if "traefik.kubelab-system" in str(data):
        out.setdefault("shared-traefik", "a command or check calls traefik.kubelab-system")
    for obj in objects:
        for d in k8s.mappings(obj):
            spec: dict[str, Any] = d["spec"] if isinstance(d.get("spec"), dict) else {}
            kind = d.get("kind")
            if spec.get("ingressClassName") == "traefik" or spec.get("gatewayClassName") == "traefik":
                out.setdefault("shared-traefik", f"{kind} {d.get('metadata', {}).get('name')} names class traefik")
            if kind == "HorizontalPodAutoscaler":
                out.setdefault("metrics-api", "a HorizontalPodAutoscaler reads the metrics API")
            if kind == "NetworkPolicy":
                out.setdefault("network-policy", f"NetworkPolicy {d.get('metadata', {}).get('name')} must be enforced")
            if d.get("key") == "node-role.kubernetes.io/control-plane":
                if d.get("operator") == "DoesNotExist" and "values" not in d:      # a node selector term
                    out.setdefault("worker-node", "a node affinity keeps it off control-plane nodes")
                elif "effect" in d or "tolerationSeconds" in d or d.get("operator") == "Exists":   # a toleration
                    out.setdefault("tainted-node", "a toleration for the control plane's taint is the lesson")
            if _claims_default_class(d):
                out.setdefault("default-storage-class", f"{kind} {d.get('metadata', {}).get('name')} names no "
                                                        "StorageClass")
    return {w: why for w, why in out.items() if w not in lab.requires}
