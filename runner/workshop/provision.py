"""`kubelab workshop up|down|status` against the cluster: apply the plan, issue tokens, write kubeconfigs."""
from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from runner import accessors as k8s
from runner.cluster import nodeports
from runner.cluster.client import Kube, call
from runner.cluster.objects import NS_LABEL
from runner.errors import NotFound
from runner.loader import LoadedLab
from runner.workshop.admission import admission_objects
from runner.workshop.lab_objects import add_needs
from runner.workshop.needs import LabNeeds, lab_needs
from runner.workshop.plan import LEARNER_LABEL, MANAGED_BY, SA_NAME, LearnerPlan, kubeconfig, plan, shared_objects

FIELD_MANAGER = "kubelab-workshop"
MANAGED = f"app.kubernetes.io/managed-by={MANAGED_BY}"


def plans_for(kube: Kube, learners: list[str], labs: list[LoadedLab]) -> tuple[list[LearnerPlan], dict[str, LabNeeds]]:
    """The learners' plans with what the labs need beyond their namespaces (runner/workshop/needs.py)."""
    def cluster_scoped(api_version: str, kind: str) -> bool:
        return not kube.resource(api_version, kind).namespaced

    def resolve(api_version: str, kind: str) -> tuple[str, str]:
        r = kube.resource(api_version, kind)
        return str(r.group or ""), str(r.name)
    needs = {lab.id: lab_needs(lab, cluster_scoped) for lab in labs}
    # classes every claim may name: the cluster's own, not a lab run's or a learner's
    classes = call(kube.resource("storage.k8s.io/v1", "StorageClass").get).to_dict().get("items") or []
    shared = sorted(c["metadata"]["name"] for c in classes
                    if not {NS_LABEL, LEARNER_LABEL} & set(k8s.labels(c)))
    plans = [add_needs(p, needs, resolve, shared) for p in plan(learners, [lab.id for lab in labs])]
    return plans, needs


@dataclass
class Issued:
    learner: str
    kubeconfig: Path
    namespaces: list[str]
    expires: str


def _apply(kube: Kube, obj: dict[str, Any]) -> None:
    res = kube.resource(obj["apiVersion"], obj["kind"])
    meta = obj["metadata"]
    call(kube.dyn.server_side_apply, res, body=obj, name=meta["name"], namespace=meta.get("namespace"),
         field_manager=FIELD_MANAGER, force_conflicts=True)


def _ca_data(kube: Kube) -> str:
    path = kube.cfg.ssl_ca_cert
    if not path:
        raise RuntimeError("the admin kubeconfig has no certificate authority to hand to learners")
    return base64.b64encode(Path(path).read_bytes()).decode()


def _owner_of(kube: Kube, namespace: str) -> str | None:
    """The learner a namespace already belongs to, or None if it does not exist."""
    try:
        ns = call(kube.resource("v1", "Namespace").get, name=namespace)
    except NotFound:
        return None
    return (ns.metadata.labels or {}).get(LEARNER_LABEL) or "(not a workshop namespace)"


def up(kube: Kube, plans: list[LearnerPlan], out_dir: Path, hours: float, cluster_name: str,
       server: str | None = None, progress: Callable[[str], None] = print,
       node_port_labs: frozenset[str] = frozenset()) -> list[Issued]:
    # Refuse before creating anything if a namespace we would hand out belongs to someone else.
    for p in plans:
        for ns in [p.home, *p.namespaces()]:
            owner = _owner_of(kube, ns)
            if owner not in (None, p.name):
                raise RuntimeError(f"namespace {ns} already exists and belongs to {owner}, not learner {p.name}: "
                                   f"pick another learner name or remove it")
    for obj in shared_objects() + admission_objects():
        _apply(kube, obj)
    out_dir.mkdir(parents=True, exist_ok=True)
    ca, host = _ca_data(kube), server or kube.cfg.host
    issued = []
    for p in plans:
        t0 = time.monotonic()
        for obj in p.objects():
            _apply(kube, obj)
        req = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
            audiences=[], expiration_seconds=int(hours * 3600)))
        tok = call(kube.core.create_namespaced_service_account_token, SA_NAME, p.home, req)
        path = out_dir / f"{p.name}.kubeconfig"
        doc = kubeconfig(p.name, host, ca, tok.status.token, cluster_name, p.namespaces()[0] if p.namespaces() else p.home)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        path.chmod(0o600)
        expires = tok.status.expiration_timestamp.strftime("%Y-%m-%d %H:%M UTC")
        issued.append(Issued(p.name, path, p.namespaces(), expires))
        progress(f"learner {p.name}: {len(p.namespaces())} namespaces, kubeconfig {path} "
                 f"(token until {expires}) [{time.monotonic() - t0:.1f}s]")
    _claim_node_ports(kube, plans, node_port_labs, progress)
    _write_list(out_dir, issued)
    return issued


def _claim_node_ports(kube: Kube, plans: list[LearnerPlan], labs: frozenset[str],
                      progress: Callable[[str], None]) -> None:
    """${NODE_PORT} for the namespaces of labs that use it: claiming reads every namespace and Service, which a
    learner may not. Verify namespaces first (a workshop's concurrent verify needs them), then the labs'."""
    wanted = [(lab, ns) for verify in (True, False) for p in plans for lab, ns in p.lab_namespaces
              if lab in labs and ("-verify-" in ns) == verify]
    for lab, ns in wanted:
        try:
            nodeports.claim(kube, ns)
        except nodeports.NoFreePort as e:
            progress(f"{ns}: no NodePort for lab {lab} ({e}); its host checks cannot run there")


def _write_list(out_dir: Path, issued: list[Issued]) -> None:
    """A printable sheet for the instructor: who gets which file, until when."""
    lines = ["# Workshop learners", "", "| learner | kubeconfig | valid until | first lab namespace |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {i.learner} | {i.kubeconfig.name} | {i.expires} | {i.namespaces[0] if i.namespaces else '-'} |"
              for i in issued]
    lines += ["", "Each learner runs: `export KUBECONFIG=<their file>; kubelab run <lab>` (no --learner needed)."]
    (out_dir / "learners.md").write_text("\n".join(lines) + "\n")


def down(kube: Kube, learners: list[str] | None, progress: Callable[[str], None] = print) -> list[str]:
    """Delete what `up` created for these learners (all workshop learners when None); namespaces last."""
    sel = MANAGED + (f",{LEARNER_LABEL} in ({','.join(learners)})" if learners else "")
    removed = []
    for api, kind in [("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
                      ("rbac.authorization.k8s.io/v1", "ClusterRole"), ("v1", "PersistentVolume"),
                      ("storage.k8s.io/v1", "StorageClass"), ("networking.k8s.io/v1", "IngressClass"),
                      ("v1", "Namespace")]:
        res = kube.resource(api, kind)
        for obj in call(res.get, label_selector=sel).to_dict().get("items") or []:
            try:
                call(res.delete, name=obj["metadata"]["name"])
                removed.append(f"{kind}/{obj['metadata']['name']}")
            except NotFound:
                pass
    if learners is None:
        for obj in admission_objects()[::-1] + shared_objects():
            try:
                call(kube.resource(obj["apiVersion"], obj["kind"]).delete, name=obj["metadata"]["name"])
                removed.append(f"{obj['kind']}/{obj['metadata']['name']}")
            except NotFound:
                pass
    progress(f"removed {len(removed)} objects (namespaces finish terminating in the background)")
    return removed


def status(kube: Kube) -> list[dict[str, Any]]:
    """One row per learner: namespaces, pods and how many of them are not running."""
    nss = call(kube.resource("v1", "Namespace").get, label_selector=MANAGED).to_dict().get("items") or []
    rows: dict[str, dict[str, Any]] = {}
    for ns in nss:
        who = k8s.labels(ns).get(LEARNER_LABEL, "?")
        row = rows.setdefault(who, {"learner": who, "namespaces": 0, "pods": 0, "not_running": 0})
        row["namespaces"] += 1
    pods = call(kube.resource("v1", "Pod").get).to_dict().get("items") or []
    owner = {ns["metadata"]["name"]: k8s.labels(ns).get(LEARNER_LABEL) for ns in nss}
    for pod in pods:
        who = owner.get(pod["metadata"]["namespace"])
        if who in rows:
            rows[who]["pods"] += 1
            if k8s.phase(pod) not in ("Running", "Succeeded"):
                rows[who]["not_running"] += 1
    return sorted(rows.values(), key=lambda r: r["learner"])
