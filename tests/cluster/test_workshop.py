"""Workshop isolation on the live cluster: what one learner's kubeconfig can and cannot do."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from runner.cluster.client import connect
from runner.workshop import provision
from runner.workshop.plan import LearnerPlan, plan


@pytest.fixture(scope="module")
def learners(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[LearnerPlan], Path]]:
    tag = uuid.uuid4().hex[:5]
    plans = plan([f"ws{tag}a", f"ws{tag}b"], ["pod"])
    out = tmp_path_factory.mktemp("workshop")
    kube = connect()
    provision.up(kube, plans, out, hours=1, cluster_name="kind-kubelab", progress=lambda _: None)
    yield plans, out
    provision.down(kube, [p.name for p in plans], progress=lambda _: None)


def _core(path: Path) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=str(path)))


def _forbidden(fn, *args, **kwargs) -> None:  # noqa: ANN001
    with pytest.raises(ApiException) as e:
        fn(*args, **kwargs)
    # exec runs over a websocket: a refused upgrade arrives as status 0 with the handshake's status in the text
    assert e.value.status == 403 or "Handshake status 403" in str(e.value), e.value


def _sleeper(name: str) -> client.V1Pod:
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name), spec=client.V1PodSpec(
        termination_grace_period_seconds=0, containers=[client.V1Container(
            name="c", image="busybox:1.35.0", image_pull_policy="IfNotPresent", command=["sleep", "3600"])]))


def _wait_running(core: client.CoreV1Api, ns: str, name: str) -> None:
    for ev in watch.Watch().stream(core.list_namespaced_pod, ns, field_selector=f"metadata.name={name}",
                                   timeout_seconds=90):
        if ev["object"].status.phase == "Running":
            return
    pytest.fail(f"pod {ns}/{name} did not start")


def test_learner_is_held_to_own_namespaces(learners: tuple[list[LearnerPlan], Path]) -> None:
    (a, b), out = learners
    ca, cb = _core(out / f"{a.name}.kubeconfig"), _core(out / f"{b.name}.kubeconfig")
    mine, theirs = a.namespaces()[0], b.namespaces()[0]
    # positive controls: each learner works in their own namespace (so the 403s below mean something)
    cb.create_namespaced_pod(theirs, _sleeper("target"))
    _wait_running(cb, theirs, "target")
    assert stream(cb.connect_get_namespaced_pod_exec, "target", theirs, command=["echo", "own"],
                  stderr=True, stdin=False, stdout=True, tty=False).strip() == "own"
    ca.create_namespaced_config_map(mine, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="mine")))
    assert ca.read_namespace(mine).metadata.name == mine
    # learner a against learner b: get, list, watch, exec, delete the namespace
    _forbidden(ca.read_namespaced_pod, "target", theirs)
    _forbidden(ca.list_namespaced_pod, theirs)
    _forbidden(lambda: next(iter(watch.Watch().stream(ca.list_namespaced_pod, theirs, timeout_seconds=2))))
    _forbidden(stream, ca.connect_get_namespaced_pod_exec, "target", theirs, command=["true"],
               stderr=True, stdin=False, stdout=True, tty=False)
    _forbidden(ca.delete_namespace, theirs)
    _forbidden(ca.delete_namespace, mine)     # not even their own: the instructor owns namespaces
    _forbidden(ca.list_namespace)
    _forbidden(ca.list_pod_for_all_namespaces)
    # nothing cluster-wide that would lift the fence
    rbac = client.RbacAuthorizationV1Api(config.new_client_from_config(config_file=str(out / f"{a.name}.kubeconfig")))
    _forbidden(rbac.create_cluster_role_binding, client.V1ClusterRoleBinding(
        metadata=client.V1ObjectMeta(name=f"{a.name}-escalate"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name="learner", namespace=a.home)]))
    _forbidden(ca.create_persistent_volume, client.V1PersistentVolume(
        metadata=client.V1ObjectMeta(name=f"{a.name}-pv"),
        spec=client.V1PersistentVolumeSpec(capacity={"storage": "1Gi"}, access_modes=["ReadWriteOnce"],
                                           host_path=client.V1HostPathVolumeSource(path="/tmp/x"))))


def test_up_is_idempotent_and_quota_applies(learners: tuple[list[LearnerPlan], Path]) -> None:
    (a, _), out = learners
    again = provision.up(connect(), [a], out, hours=1, cluster_name="kind-kubelab", progress=lambda _: None)
    assert again[0].namespaces == a.namespaces()
    ca = _core(out / f"{a.name}.kubeconfig")
    assert ca.read_namespaced_resource_quota("kubelab-quota", a.namespaces()[0]).spec.hard["pods"] == "30"
