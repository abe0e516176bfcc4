"""The cluster `make cluster` gives is a working Kubernetes: nodes, system pods, DNS, storage,
NodePort from the host, privileged pods. Runs against the live kind cluster."""
from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable

import pytest
from kubernetes import client, watch
from kubernetes.stream import stream

BUSYBOX = "docker.io/library/busybox:1.35.0"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"
MAPPED_NODE_PORTS = range(30080, 30085)  # manifests/cluster/kind.yaml maps these to 127.0.0.1


def wait_pod(core: client.CoreV1Api, ns: str, name: str, done: Callable[[client.V1Pod], bool], timeout: int = 120) -> client.V1Pod:
    """Watch one pod until `done` holds for it; fail with its status otherwise."""
    w = watch.Watch()
    last = None
    for ev in w.stream(core.list_namespaced_pod, ns, field_selector=f"metadata.name={name}", timeout_seconds=timeout):
        last = ev["object"]
        if done(last):
            w.stop()
            return last
    pytest.fail(f"pod {ns}/{name} did not get there in {timeout}s; {describe(last)}")


def describe(pod: client.V1Pod | None) -> str:
    if pod is None:
        return "no such pod"
    waiting = [f"{c.name}: {c.state.waiting.reason} ({c.state.waiting.message})"
               for c in pod.status.container_statuses or [] if c.state and c.state.waiting]
    return f"phase {pod.status.phase}; " + ("; ".join(waiting) or "no container waiting")


def phase_is(*phases: str) -> Callable[[client.V1Pod], bool]:
    return lambda p: p.status.phase in phases


def run_pod(core: client.CoreV1Api, ns: str, name: str, command: list[str],
            container: dict | None = None, **spec: object) -> client.V1Pod:
    container = client.V1Container(name="main", image=BUSYBOX, image_pull_policy="IfNotPresent", command=command,
                                   **(container or {}))
    pod = client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels={"app": name}),
                       spec=client.V1PodSpec(containers=[container], restart_policy="Never", **spec))
    return core.create_namespaced_pod(ns, pod)


def logs(core: client.CoreV1Api, ns: str, name: str, wait: float = 10.0) -> str:
    """The log of a finished pod. Read at once it can still be empty: containerd copies the output to the log
    file after the kubelet reports the exit (CI, 2026-11-27: a Succeeded nslookup pod read '')."""
    deadline = time.monotonic() + wait
    while not (out := core.read_namespaced_pod_log(name, ns)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return out


def test_two_nodes_ready(core: client.CoreV1Api) -> None:
    nodes = core.list_node().items
    ready = {n.metadata.name: next(c.status for c in n.status.conditions if c.type == "Ready") for n in nodes}
    assert len(nodes) == 2, ready
    assert set(ready.values()) == {"True"}, ready
    roles = sorted("control-plane" if "node-role.kubernetes.io/control-plane" in n.metadata.labels else "worker" for n in nodes)
    assert roles == ["control-plane", "worker"]


def test_kube_system_pods_running(core: client.CoreV1Api) -> None:
    pods = core.list_namespaced_pod("kube-system").items
    for prefix in ("etcd-", "kube-apiserver-", "kube-controller-manager-", "kube-scheduler-", "kube-proxy-", "coredns-"):
        assert any(p.metadata.name.startswith(prefix) for p in pods), f"no {prefix}* pod in kube-system"
    not_running = {p.metadata.name: p.status.phase for p in pods if p.status.phase != "Running"}
    assert not not_running, not_running


def test_dns_resolves_kubernetes_service(core: client.CoreV1Api, namespace: str) -> None:
    run_pod(core, namespace, "dns", ["nslookup", "kubernetes.default.svc.cluster.local"])
    pod = wait_pod(core, namespace, "dns", phase_is("Succeeded", "Failed"))
    out = logs(core, namespace, "dns")
    assert pod.status.phase == "Succeeded", out
    assert "10.96.0.1" in out, out


def test_pvc_binds_when_used_and_keeps_data(core: client.CoreV1Api, namespace: str) -> None:
    storage = client.StorageV1Api(core.api_client)
    default = [s for s in storage.list_storage_class().items
               if (s.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
    assert len(default) == 1 and default[0].volume_binding_mode == "WaitForFirstConsumer"
    pvc = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="data"),
        spec=client.V1PersistentVolumeClaimSpec(access_modes=["ReadWriteOnce"],
                                                resources=client.V1VolumeResourceRequirements(requests={"storage": "16Mi"})))
    core.create_namespaced_persistent_volume_claim(namespace, pvc)
    time.sleep(3)  # a bug would bind it at once: give it the chance to show
    assert core.read_namespaced_persistent_volume_claim("data", namespace).status.phase == "Pending"
    volume = {"volumes": [client.V1Volume(name="d", persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(claim_name="data"))],
              "container": {"volume_mounts": [client.V1VolumeMount(name="d", mount_path="/data")]}}
    run_pod(core, namespace, "writer", ["sh", "-c", "echo kubelab-$(hostname) > /data/f && cat /data/f"], **volume)
    assert wait_pod(core, namespace, "writer", phase_is("Succeeded", "Failed")).status.phase == "Succeeded"
    assert core.read_namespaced_persistent_volume_claim("data", namespace).status.phase == "Bound"
    run_pod(core, namespace, "reader", ["cat", "/data/f"], **volume)
    assert wait_pod(core, namespace, "reader", phase_is("Succeeded", "Failed")).status.phase == "Succeeded"
    assert logs(core, namespace, "reader").strip() == "kubelab-writer"


def web_pod() -> client.V1Pod:
    """agnhost serving HTTP on 8080 as pod `web` (app=web), Ready once it answers."""
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name="web", labels={"app": "web"}),
        spec=client.V1PodSpec(containers=[client.V1Container(
            name="web", image=AGNHOST, image_pull_policy="IfNotPresent", args=["netexec", "--http-port=8080"],
            readiness_probe=client.V1Probe(http_get=client.V1HTTPGetAction(path="/", port=8080), period_seconds=1))]))


def test_nodeport_answers_from_host(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_pod(namespace, web_pod())
    used = {p.node_port for s in core.list_service_for_all_namespaces().items for p in s.spec.ports or [] if p.node_port}
    free = [p for p in MAPPED_NODE_PORTS if p not in used]
    assert free, f"every NodePort mapped to the host is taken: {sorted(used)}"
    port = free[-1]
    svc = client.V1Service(metadata=client.V1ObjectMeta(name="web"), spec=client.V1ServiceSpec(
        type="NodePort", selector={"app": "web"},
        ports=[client.V1ServicePort(port=80, target_port=8080, node_port=port)]))
    core.create_namespaced_service(namespace, svc)
    wait_pod(core, namespace, "web", lambda p: any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or []))
    deadline, last = time.monotonic() + 60, None
    while time.monotonic() < deadline:  # kube-proxy programs the NodePort shortly after the endpoint is ready
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hostname", timeout=2) as r:
                assert r.read().decode() == "web"
                return
        except OSError as e:
            last = e
            time.sleep(1)
    pytest.fail(f"NodePort {port} did not answer from the host: {last}")


def test_privileged_pod_runs(core: client.CoreV1Api, namespace: str) -> None:
    # A privileged container asks for every capability; the runc wrapper drops those the host lacks.
    # Mounting needs CAP_SYS_ADMIN, which only the privileged container has.
    script = "mount -t tmpfs kubelab /tmp && grep kubelab /proc/mounts"
    run_pod(core, namespace, "priv", ["sh", "-c", script],
            container={"security_context": client.V1SecurityContext(privileged=True)})
    run_pod(core, namespace, "plain", ["sh", "-c", script])
    pod = wait_pod(core, namespace, "priv", phase_is("Succeeded", "Failed"))
    assert pod.status.phase == "Succeeded", logs(core, namespace, "priv")
    assert "kubelab /tmp tmpfs" in logs(core, namespace, "priv")
    assert wait_pod(core, namespace, "plain", phase_is("Succeeded", "Failed")).status.phase == "Failed"


def test_exec_into_pod(core: client.CoreV1Api, namespace: str) -> None:
    run_pod(core, namespace, "sleeper", ["sleep", "300"])
    wait_pod(core, namespace, "sleeper", phase_is("Running"))
    out = stream(core.connect_get_namespaced_pod_exec, "sleeper", namespace, command=["cat", "/etc/hostname"],
                 stderr=True, stdin=False, stdout=True, tty=False)
    assert out.strip() == "sleeper"
