"""Workshop isolation on the live cluster: what one learner's kubeconfig can and cannot do."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="module")
def target(learners: tuple[list[LearnerPlan], Path]) -> tuple[LearnerPlan, LearnerPlan, Path]:
    """Learner b's running pod, reached by b (positive controls: the 403s below mean something)."""
    (a, b), out = learners
    cb = _core(out / f"{b.name}.kubeconfig")
    theirs = b.namespaces()[0]
    cb.create_namespaced_pod(theirs, _sleeper("target"))
    _wait_running(cb, theirs, "target")
    assert stream(cb.connect_get_namespaced_pod_exec, "target", theirs, command=["echo", "own"],
                  stderr=True, stdin=False, stdout=True, tty=False).strip() == "own"
    return a, b, out


def test_learner_works_in_own_namespace(target: tuple[LearnerPlan, LearnerPlan, Path]) -> None:
    a, _, out = target
    ca, mine = _core(out / f"{a.name}.kubeconfig"), a.namespaces()[0]
    ca.create_namespaced_config_map(mine, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="mine")))
    assert ca.read_namespace(mine).metadata.name == mine


def _attempts(a: LearnerPlan, b: LearnerPlan, out: Path) -> dict[str, Callable[[], object]]:
    ca = _core(out / f"{a.name}.kubeconfig")
    rbac = client.RbacAuthorizationV1Api(config.new_client_from_config(config_file=str(out / f"{a.name}.kubeconfig")))
    mine, theirs = a.namespaces()[0], b.namespaces()[0]
    return {
        "get their pod": lambda: ca.read_namespaced_pod("target", theirs),
        "list their pods": lambda: ca.list_namespaced_pod(theirs),
        "watch their pods": lambda: next(iter(watch.Watch().stream(ca.list_namespaced_pod, theirs, timeout_seconds=2))),
        "exec in their pod": lambda: stream(ca.connect_get_namespaced_pod_exec, "target", theirs, command=["true"],
                                            stderr=True, stdin=False, stdout=True, tty=False),
        "delete their namespace": lambda: ca.delete_namespace(theirs),
        "delete own namespace": lambda: ca.delete_namespace(mine),   # not even their own: the instructor owns them
        "list namespaces": lambda: ca.list_namespace(),
        "list pods cluster-wide": lambda: ca.list_pod_for_all_namespaces(),
        "create a ClusterRoleBinding": lambda: rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(
            metadata=client.V1ObjectMeta(name=f"{a.name}-escalate"),
            role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"),
            subjects=[client.RbacV1Subject(kind="ServiceAccount", name="learner", namespace=a.home)])),
        "create a PersistentVolume": lambda: ca.create_persistent_volume(client.V1PersistentVolume(
            metadata=client.V1ObjectMeta(name=f"{a.name}-pv"),
            spec=client.V1PersistentVolumeSpec(capacity={"storage": "1Gi"}, access_modes=["ReadWriteOnce"],
                                               host_path=client.V1HostPathVolumeSource(path="/tmp/x")))),
        "delete the workshop's quota": lambda: ca.delete_namespaced_resource_quota("kubelab-quota", mine),
        "raise the workshop's quota": lambda: ca.patch_namespaced_resource_quota(
            "kubelab-quota", mine, {"spec": {"hard": {"pods": "1000"}}}),
        "delete the workshop's limits": lambda: ca.delete_namespaced_limit_range("kubelab-limits", mine),
        "run a pod that mounts the node": lambda: ca.create_namespaced_pod(mine, client.V1Pod(
            metadata=client.V1ObjectMeta(name="node-root"), spec=client.V1PodSpec(
                containers=[client.V1Container(name="c", image="busybox:1.35.0", command=["true"],
                                               volume_mounts=[client.V1VolumeMount(name="h", mount_path="/host")])],
                volumes=[client.V1Volume(name="h", host_path=client.V1HostPathVolumeSource(path="/"))]))),
    }


ATTEMPTS = ["get their pod", "list their pods", "watch their pods", "exec in their pod", "delete their namespace",
            "delete own namespace", "list namespaces", "list pods cluster-wide", "create a ClusterRoleBinding",
            "create a PersistentVolume", "delete the workshop's quota", "raise the workshop's quota",
            "delete the workshop's limits", "run a pod that mounts the node"]


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_learner_is_forbidden(target: tuple[LearnerPlan, LearnerPlan, Path], attempt: str) -> None:
    a, b, out = target
    _forbidden(_attempts(a, b, out)[attempt])


def test_up_is_idempotent_and_quota_applies(learners: tuple[list[LearnerPlan], Path]) -> None:
    (a, _), out = learners
    again = provision.up(connect(), [a], out, hours=1, cluster_name="kind-kubelab", progress=lambda _: None)
    assert again[0].namespaces == a.namespaces()
    ca = _core(out / f"{a.name}.kubeconfig")
    assert ca.read_namespaced_resource_quota("kubelab-quota", a.namespaces()[0]).spec.hard["pods"] == "30"


def test_learner_makes_own_quota_and_limits(learners: tuple[list[LearnerPlan], Path]) -> None:
    """resources-qos has the learner create a LimitRange and a ResourceQuota: their own, beside the workshop's."""
    (a, _), out = learners
    ca, mine = _core(out / f"{a.name}.kubeconfig"), a.namespaces()[0]
    ca.create_namespaced_limit_range(mine, client.V1LimitRange(
        metadata=client.V1ObjectMeta(name="defaults"), spec=client.V1LimitRangeSpec(limits=[
            client.V1LimitRangeItem(type="Container", default_request={"cpu": "10m"})])))
    ca.create_namespaced_resource_quota(mine, client.V1ResourceQuota(
        metadata=client.V1ObjectMeta(name="small"), spec=client.V1ResourceQuotaSpec(hard={"pods": "5"})))
    ca.patch_namespaced_resource_quota("small", mine, {"spec": {"hard": {"pods": "6"}}})
    ca.delete_namespaced_resource_quota("small", mine)
    ca.delete_namespaced_limit_range("defaults", mine)
    assert ca.read_namespaced_resource_quota("kubelab-quota", mine).spec.hard["pods"] == "30"
