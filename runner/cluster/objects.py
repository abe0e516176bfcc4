"""Server-side apply, delete, patch and read of lab objects; labels that make reset complete."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, NamedTuple

from runner import manifest_files
from runner.cluster import companions
from runner.cluster.client import Kube, call, status_of
from runner.errors import ActionFailed, LabError, NotFound
from runner.placeholders import substitute
from runner.schema import ApplySpec, PatchSpec, Target

FIELD_MANAGER = "kubelab"
LAB_LABEL = "kubelab.io/lab"
NS_LABEL = "kubelab.io/namespace"


class Written(NamedTuple):
    """An object a write left behind: what a wait right after it must see (runner/engine/freshness.py)."""
    api_version: str
    kind: str
    namespace: str | None
    name: str
    version: str | None                 # its resourceVersion after the write; None when deleted
    labels: dict[str, str]


def written_of(api_version: str, kind: str, obj: Any) -> Written:
    meta = (obj.to_dict() if hasattr(obj, "to_dict") else obj or {}).get("metadata") or {}
    return Written(api_version, kind, meta.get("namespace"), meta.get("name", ""), meta.get("resourceVersion"),
                   meta.get("labels") or {})


def load_documents(spec: ApplySpec, manifests_dir: Path, variables: dict[str, str]) -> list[dict[str, Any]]:
    """The objects to apply, placeholders replaced; LabError naming the manifest when it is not usable."""
    try:
        docs = manifest_files.load(spec, manifests_dir)
    except ValueError as e:
        raise LabError(f"{manifest_files.source(spec, manifests_dir)}: {e}") from None
    return [substitute(d, variables) for d in docs]


def prepare(kube: Kube, doc: dict[str, Any], namespace: str, lab_id: str) -> tuple[Any, dict[str, Any]]:
    """Force the lab namespace on namespaced objects and add the labels reset relies on."""
    res = kube.resource(doc.get("apiVersion", "v1"), doc["kind"])
    meta = doc.setdefault("metadata", {})
    if res.namespaced:     # the run's second namespace is kept (runner/cluster/companions.py), any other not
        meta["namespace"] = companions.object_namespace(meta.get("namespace"), namespace)
    else:
        meta.pop("namespace", None)
    meta.setdefault("labels", {}).update({LAB_LABEL: lab_id, NS_LABEL: namespace})
    return res, doc


def apply_docs(kube: Kube, docs: list[dict[str, Any]], namespace: str, lab_id: str,
               written: list[Written] | None = None) -> list[str]:
    applied = []
    for doc in docs:
        res, body = prepare(kube, doc, namespace, lab_id)
        meta = body["metadata"]
        second = body["kind"] == "Namespace" and body.get("apiVersion", "v1") == "v1"
        if second and not companions.is_companion(meta["name"], namespace):
            raise LabError(f"Namespace {meta['name']}: a lab may only create its run's second namespace, "
                           f"named <word>-${{NAMESPACE}} (here <word>-{namespace})")
        if not second or companions.ensure(kube, body, namespace, NS_LABEL):
            out = call(kube.dyn.server_side_apply, res, body=body, name=meta["name"],
                       namespace=meta.get("namespace"), field_manager=FIELD_MANAGER, force_conflicts=True)
            if written is not None:
                written.append(written_of(body.get("apiVersion", "v1"), body["kind"], out))
        if second:     # pods are refused until the namespace has its default ServiceAccount
            _wait_default_service_account(kube, meta["name"], time.monotonic() + 120)
        applied.append(f"{body['kind']}/{meta['name']}")
    return applied


def ensure_namespace(kube: Kube, namespace: str, lab_id: str, timeout: float = 120.0) -> None:
    """Create (SSA) the lab namespace; if a previous reset is still deleting it, wait for that first."""
    res = kube.resource("v1", "Namespace")
    labels = {LAB_LABEL: lab_id, NS_LABEL: namespace}
    deadline = time.monotonic() + timeout
    while True:
        try:
            ns = call(res.get, name=namespace)
            if not ns.metadata.get("deletionTimestamp"):
                # already ours (an earlier step, or provisioned by `kubelab workshop up` for a learner
                # who may not write namespaces): nothing to write
                if all((ns.metadata.labels or {}).get(k) == v for k, v in labels.items()):
                    # perhaps created a moment ago by another kubelab process: its pods need the account too
                    _wait_default_service_account(kube, namespace, deadline)
                    return
                break
        except NotFound:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"namespace {namespace} is still terminating after {timeout:.0f}s")
        time.sleep(0.5)  # a terminating namespace has no watchable "done" other than NotFound; short poll
    try:
        call(kube.dyn.server_side_apply, res, name=namespace, field_manager=FIELD_MANAGER, force_conflicts=True,
             body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": labels}})
    except Exception as e:
        if status_of(e) == 403:
            raise PermissionError(f"namespace {namespace} is not there and your account may not create it: "
                                  "ask the instructor to run `kubelab workshop up` again for you") from None
        raise
    _wait_default_service_account(kube, namespace, deadline)


def _wait_default_service_account(kube: Kube, namespace: str, deadline: float) -> None:
    """Pods are refused ("serviceaccount default not found") until a controller adds it to a new namespace:
    usually milliseconds, much longer on a busy control plane."""
    res = kube.resource("v1", "ServiceAccount")
    while True:
        try:
            call(res.get, name="default", namespace=namespace)
            return
        except NotFound:
            pass
        except Exception as e:  # noqa: BLE001 - an account that may not read service accounts: pods will tell
            if status_of(e) == 403:
                return
            raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"namespace {namespace} has no default ServiceAccount yet: is kube-controller-manager running?")
        time.sleep(0.1)


def namespace_active(kube: Kube, namespace: str) -> bool:
    """The namespace exists and is not being deleted (another terminal's `kubelab reset` removes it)."""
    try:
        ns = call(kube.resource("v1", "Namespace").get, name=namespace)
    except NotFound:
        return False
    return not ns.metadata.get("deletionTimestamp")


def list_targets(kube: Kube, target: Target, namespace: str) -> list[dict[str, Any]]:
    res = kube.resource(target.api_version, target.kind)
    kw: dict[str, Any] = {}
    if res.namespaced:
        kw["namespace"] = target.namespace or namespace
    if target.name:
        try:
            return [call(res.get, name=target.name, **kw).to_dict()]
        except NotFound:
            return []
    return call(res.get, label_selector=target.selector_str(), **kw).to_dict().get("items") or []


def delete_target(kube: Kube, target: Target, namespace: str, written: list[Written] | None = None) -> list[str]:
    res = kube.resource(target.api_version, target.kind)
    gone = []
    for obj in list_targets(kube, target, namespace):
        meta = obj["metadata"]
        try:
            call(res.delete, name=meta["name"], namespace=meta.get("namespace"), propagation_policy="Background")
            gone.append(f"{target.kind}/{meta['name']}")
            if written is not None:
                written.append(written_of(target.api_version, target.kind, obj)._replace(version=None))
        except NotFound:
            pass
    return gone


def patch_target(kube: Kube, spec: PatchSpec, namespace: str, written: list[Written] | None = None) -> list[str]:
    res = kube.resource(spec.target.api_version, spec.target.kind)
    ctype = {"merge": "application/merge-patch+json", "strategic": "application/strategic-merge-patch+json",
             "json": "application/json-patch+json"}[spec.type]
    done = []
    objs = list_targets(kube, spec.target, namespace)
    if not objs:
        raise ActionFailed(f"patch: {spec.target.describe()} not found in {namespace}")
    for obj in objs:
        meta = obj["metadata"]
        out = call(kube.dyn.patch, res, body=spec.patch, name=meta["name"], namespace=meta.get("namespace"),
                   content_type=ctype, field_manager=FIELD_MANAGER)
        if written is not None:
            written.append(written_of(spec.target.api_version, spec.target.kind, out))
        done.append(f"{spec.target.kind}/{meta['name']}")
    return done


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, NotFound) or status_of(exc) == 404
