"""What lint knows without a cluster: the built-in kinds of Kubernetes v1.37 and the offline image set."""
from __future__ import annotations

import re
from pathlib import Path

from runner import accessors as k8s

# group/version -> kinds served by a v1.37 API server (plus the add-ons' metrics.k8s.io and Gateway API).
BUILTIN_KINDS: dict[str, frozenset[str]] = {gv: frozenset(kinds.split()) for gv, kinds in {
    "v1": "Binding ComponentStatus ConfigMap Endpoints Event LimitRange Namespace Node PersistentVolume "
          "PersistentVolumeClaim Pod PodTemplate ReplicationController ResourceQuota Secret Service ServiceAccount",
    "apps/v1": "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet",
    "batch/v1": "CronJob Job",
    "autoscaling/v1": "HorizontalPodAutoscaler",
    "autoscaling/v2": "HorizontalPodAutoscaler",
    "policy/v1": "Eviction PodDisruptionBudget",
    "networking.k8s.io/v1": "IPAddress Ingress IngressClass NetworkPolicy ServiceCIDR",
    "discovery.k8s.io/v1": "EndpointSlice",
    "rbac.authorization.k8s.io/v1": "ClusterRole ClusterRoleBinding Role RoleBinding",
    "storage.k8s.io/v1": "CSIDriver CSINode CSIStorageCapacity StorageClass VolumeAttachment VolumeAttributesClass",
    "scheduling.k8s.io/v1": "PriorityClass",
    "coordination.k8s.io/v1": "Lease",
    "events.k8s.io/v1": "Event",
    "node.k8s.io/v1": "RuntimeClass",
    "admissionregistration.k8s.io/v1": "MutatingWebhookConfiguration ValidatingWebhookConfiguration "
                                       "ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding",
    "apiextensions.k8s.io/v1": "CustomResourceDefinition",
    "apiregistration.k8s.io/v1": "APIService",
    "certificates.k8s.io/v1": "CertificateSigningRequest",
    "flowcontrol.apiserver.k8s.io/v1": "FlowSchema PriorityLevelConfiguration",
    "resource.k8s.io/v1": "DeviceClass ResourceClaim ResourceClaimTemplate ResourceSlice",
    "authentication.k8s.io/v1": "SelfSubjectReview TokenReview",
    "authorization.k8s.io/v1": "LocalSubjectAccessReview SelfSubjectAccessReview SelfSubjectRulesReview "
                               "SubjectAccessReview",
    "metrics.k8s.io/v1beta1": "NodeMetrics PodMetrics",
    # Gateway API v1.4.1 standard channel: CRDs build/addons.sh applies from the pinned module (not in the repo).
    "gateway.networking.k8s.io/v1": "BackendTLSPolicy GRPCRoute Gateway GatewayClass HTTPRoute",
    "gateway.networking.k8s.io/v1beta1": "Gateway GatewayClass HTTPRoute ReferenceGrant",
    "gateway.networking.k8s.io/v1alpha3": "BackendTLSPolicy",
}.items()}

_IMAGE_REF = re.compile(r'"((?:[a-z0-9.-]+/)+[a-z0-9._-]+:\$\{?([A-Z_]+)\}?)"')


def crd_kinds(docs: list[object]) -> dict[str, set[str]]:
    """group/version -> kinds defined by the CustomResourceDefinitions among these parsed documents."""
    out: dict[str, set[str]] = {}
    for d in docs:
        if not isinstance(d, dict) or d.get("kind") != "CustomResourceDefinition":
            continue
        spec = k8s.spec(d)
        kind = k8s.section(spec, "names").get("kind")
        for v in spec.get("versions") or []:
            if kind and isinstance(v, dict) and v.get("name"):
                out.setdefault(f"{spec.get('group')}/{v['name']}", set()).add(kind)
    return out


def offline_images(versions_env: str, images_sh: str) -> set[str]:
    """The images the cluster build tags and loads (images.sh) with their pinned tags (versions.env)."""
    pins = dict(re.findall(r"^([A-Z_]+)=(\S+)", versions_env, re.M))
    out = set()
    for ref, var in _IMAGE_REF.findall(images_sh):
        if var in pins:
            out.add(re.sub(r"\$\{?[A-Z_]+\}?", pins[var], ref))
    return out


def normalize_image(ref: str) -> str:
    """busybox:1.35.0 -> docker.io/library/busybox:1.35.0 (how the container runtime names it)."""
    name, _, tag = ref.partition("@")[0].rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}"
    return f"{name}:{tag}"


def read_offline_images(data_root: Path) -> set[str]:
    build = data_root / "build"
    try:
        return offline_images((build / "versions.env").read_text(), (build / "images.sh").read_text())
    except OSError:
        return set()
