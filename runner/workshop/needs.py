"""What a lab needs beyond a learner's own namespaces, read from the lab's data (pure: no cluster access).

A learner holds `admin` in their lab namespaces and nothing cluster-wide, so three things come from the lab:
- cluster-scoped objects its steps `apply:` (the runner's part, e.g. pv-pvc's StorageClass and PV): the
  instructor's `kubelab workshop up` creates them per learner namespace; the learner may read and patch them
  by name, never create or delete one;
- cluster-scoped kinds its checks and views read (e.g. PersistentVolumes): the learner may read that kind;
- `${NODE_PORT}`: `up` claims the port for the namespace (claiming needs cluster-wide reads a learner lacks).
What cannot work for a learner at all (a solve that creates a cluster-scoped object, a pod that needs the node
under the PodSecurity `baseline` level) is a blocker, named with its reason.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runner import accessors as k8s
from runner import manifest_files
from runner.loader import LoadedLab
from runner.placeholders import substitute

# (apiVersion, kind) -> cluster-scoped? (the caller asks the cluster's discovery)
Scope = Callable[[str, str], bool]


@dataclass
class LabNeeds:
    lab: str
    cluster_docs: list[dict[str, Any]] = field(default_factory=list)   # placeholders not yet replaced
    cluster_reads: list[tuple[str, str]] = field(default_factory=list)
    node_port: bool = False
    blockers: list[str] = field(default_factory=list)    # why a learner cannot run this lab
    skipped: list[str] = field(default_factory=list)     # cleanup actions a learner cannot do (left out)

    def docs_for(self, namespace: str, learner: str) -> list[dict[str, Any]]:
        """The cluster-scoped objects of one lab namespace, as the runner would apply them there."""
        variables = {"NAMESPACE": namespace, "LAB": self.lab, "LEARNER": learner,
                     "HOST_SUFFIX": f"{namespace}.localtest.me"}
        out = []
        for d in self.cluster_docs:
            doc = substitute(d, variables)
            meta = doc.setdefault("metadata", {})
            meta.pop("namespace", None)
            meta.setdefault("labels", {}).update({"kubelab.io/lab": self.lab, "kubelab.io/namespace": namespace})
            out.append(doc)
        return out


def _docs(loaded: LoadedLab, spec: Any) -> list[dict[str, Any]]:
    try:
        return manifest_files.load(spec, loaded.manifests)
    except (OSError, ValueError):      # `kubelab lint` reports broken manifests; nothing to provision from them
        return []


def node_access(doc: dict[str, Any]) -> str | None:
    """What in a pod-bearing object the PodSecurity `baseline` level refuses (learner namespaces enforce it)."""
    for d in k8s.mappings(doc.get("spec")):
        if "hostPath" in d and isinstance(d["hostPath"], dict) and doc.get("kind") != "PersistentVolume":
            return f"a hostPath volume ({d['hostPath'].get('path')})"
        for key in ("hostNetwork", "hostPID", "hostIPC", "privileged"):
            if d.get(key) is True:
                return f"{key}: true"
        if isinstance(d.get("hostPort"), int) and d["hostPort"]:
            return f"hostPort {d['hostPort']}"
    return None


def lab_needs(loaded: LoadedLab, cluster_scoped: Scope) -> LabNeeds:
    needs = LabNeeds(loaded.id)
    lab = loaded.lab

    def scoped(doc: dict[str, Any]) -> bool:
        try:
            return cluster_scoped(doc.get("apiVersion", "v1"), doc["kind"])
        except (ValueError, KeyError):     # a kind this cluster does not serve: verify reports it
            return False
    for s in lab.steps:
        for spec in s.apply:
            for d in _docs(loaded, spec):
                if scoped(d):
                    needs.cluster_docs.append(d)
                elif (why := node_access(d)):
                    needs.blockers.append(f"step {s.id}: {d['kind']}/{d['metadata']['name']} needs {why}")
        for a in s.solve:
            for d in _docs(loaded, a.apply) if a.apply else []:
                if scoped(d):
                    needs.blockers.append(f"step {s.id}: the solution creates the cluster-scoped "
                                          f"{d['kind']} {d['metadata']['name']}, which a learner may not")
                elif (why := node_access(d)):
                    needs.blockers.append(f"step {s.id}: {d['kind']}/{d['metadata']['name']} needs {why}")
        for a in s.cleanup:
            for d in _docs(loaded, a.apply) if a.apply else []:
                why = "cluster-scoped" if scoped(d) else node_access(d)
                if why:
                    needs.skipped.append(f"step {s.id} cleanup: {d['kind']}/{d['metadata']['name']} ({why})")
    data = lab.model_dump(by_alias=True, exclude_none=True)
    reads: dict[tuple[str, str], None] = {}
    for d in k8s.mappings(data):
        t = d.get("target")
        if isinstance(t, dict) and isinstance(t.get("kind"), str):
            key = (t.get("apiVersion", "v1"), t["kind"])
            try:
                if cluster_scoped(*key):
                    reads[key] = None
            except ValueError:
                continue
            if isinstance(t.get("namespace"), str) and "${NAMESPACE}" not in t["namespace"]:
                needs.blockers.append(f"reads {t['kind']} in namespace {t['namespace']}, outside the learner's own")
    needs.cluster_reads = list(reads)
    text = loaded.lab.model_dump_json()
    needs.node_port = "NODE_PORT" in text or any(
        "NODE_PORT" in p.read_text(errors="ignore") for p in loaded.manifests.glob("**/*.y*ml"))
    needs.blockers = list(dict.fromkeys(needs.blockers))
    return needs
