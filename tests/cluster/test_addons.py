"""The add-ons `build/cluster.sh up` installs do their job on the live cluster: kube-router enforces
NetworkPolicy on both nodes, metrics-server serves the metrics API, the shared Traefik routes a
Gateway API HTTPRoute and an Ingress of class traefik from this machine's 127.0.0.1:80."""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from kubernetes import client
from kubernetes.stream import stream

BUSYBOX = "docker.io/library/busybox:1.35.0"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"
CONTROL_PLANE_TAINT = client.V1Toleration(key="node-role.kubernetes.io/control-plane", operator="Exists",
                                          effect="NoSchedule")


def eventually(probe: Callable[[], object], want: Callable[[object], bool], what: str, timeout: float = 60) -> object:
    """Call probe until want(result) holds; fail naming what was awaited and the last result."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = probe()
        if want(last):
            return last
        time.sleep(1)
    pytest.fail(f"{what}: not within {timeout:.0f}s; last: {last!r}")


def pod_on(node: str, name: str, labels: dict[str, str], container: client.V1Container) -> client.V1Pod:
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels=labels),
                        spec=client.V1PodSpec(node_name=node, tolerations=[CONTROL_PLANE_TAINT],
                                              termination_grace_period_seconds=1, containers=[container]))


def web(name: str) -> client.V1Container:
    return client.V1Container(name="web", image=AGNHOST, image_pull_policy="IfNotPresent",
                              args=["netexec", "--http-port=8080"],
                              readiness_probe=client.V1Probe(http_get=client.V1HTTPGetAction(path="/", port=8080),
                                                             period_seconds=1))


def sleeper() -> client.V1Container:
    return client.V1Container(name="c", image=BUSYBOX, image_pull_policy="IfNotPresent", command=["sleep", "600"])


def running_ips(core: client.CoreV1Api, ns: str, names: list[str]) -> dict[str, str]:
    def probe() -> dict[str, str]:
        pods = {p.metadata.name: p for p in core.list_namespaced_pod(ns).items}
        return {n: pods[n].status.pod_ip for n in names
                if n in pods and pods[n].status.phase == "Running" and pods[n].status.pod_ip}
    return eventually(probe, lambda got: len(got) == len(names), f"pods {names} Running in {ns}", 300)


def fetch(core: client.CoreV1Api, ns: str, pod: str, ip: str) -> str:
    """What `wget` from pod gets from ip:8080/hostname, or 'blocked' after 3s (`timeout`: busybox wget -T crashes)."""
    out = stream(core.connect_get_namespaced_pod_exec, pod, ns, stderr=True, stdin=False, stdout=True, tty=False,
                 command=["sh", "-c", f"timeout 3 wget -q -O - http://{ip}:8080/hostname 2>/dev/null || echo blocked"])
    return out.strip().splitlines()[-1] if out.strip() else ""


def policy(name: str, ns: str, pod_labels: dict[str, str], sources: list[dict[str, str]] | None) -> dict:
    spec: dict = {"podSelector": {"matchLabels": pod_labels}, "policyTypes": ["Ingress"]}
    if sources is not None:
        spec["ingress"] = [{"from": [{"podSelector": {"matchLabels": s}} for s in sources]}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def test_networkpolicy_enforced_on_both_nodes(core: client.CoreV1Api, namespace: str) -> None:
    nodes = sorted(n.metadata.name for n in core.list_node().items)
    assert len(nodes) == 2, nodes
    names = []
    for i, node in enumerate(nodes):  # a server, a labelled client and an unlabelled one on each node
        core.create_namespaced_pod(namespace, pod_on(node, f"web-{i}", {"app": "web"}, web(f"web-{i}")))
        core.create_namespaced_pod(namespace, pod_on(node, f"client-{i}", {"role": "client"}, sleeper()))
        core.create_namespaced_pod(namespace, pod_on(node, f"stranger-{i}", {}, sleeper()))
        names += [f"web-{i}", f"client-{i}", f"stranger-{i}"]
    ips = running_ips(core, namespace, names)
    servers = {n: ips[n] for n in ("web-0", "web-1")}
    clients = [f"client-{i}" for i in range(2)] + [f"stranger-{i}" for i in range(2)]

    def answers(who: list[str]) -> dict[str, str]:  # "client-0->web-1": "web-1" or "blocked"
        return {f"{c}->{s}": fetch(core, namespace, c, ip) for c in who for s, ip in servers.items()}

    every = {f"{c}->{s}": s for c in clients for s in servers}
    eventually(lambda: answers(clients), lambda got: got == every, "every pod reaches both servers before any policy")

    net = client.NetworkingV1Api(core.api_client)
    net.create_namespaced_network_policy(namespace, policy("default-deny", namespace, {}, None))
    blocked = {k: "blocked" for k in every}
    eventually(lambda: answers(clients), lambda got: got == blocked, "default-deny blocks every request, on both nodes")

    net.create_namespaced_network_policy(namespace, policy("allow-clients", namespace, {"app": "web"}, [{"role": "client"}]))
    want = {k: (k.split("->")[1] if k.startswith("client-") else "blocked") for k in every}
    eventually(lambda: answers(clients), lambda got: got == want,
               "allow-by-label lets the role=client pods through on both nodes, the others stay blocked")


def test_metrics_api_serves_nodes_and_pods(core: client.CoreV1Api) -> None:
    metrics = client.CustomObjectsApi(core.api_client)
    nodes = {n.metadata.name for n in core.list_node().items}

    def node_usage() -> dict[str, dict]:
        items = metrics.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")["items"]
        return {i["metadata"]["name"]: i["usage"] for i in items}
    usage = eventually(node_usage, lambda got: set(got) == nodes, "`kubectl top nodes`: usage of every node", 120)
    assert all(u["cpu"] and u["memory"] for u in usage.values()), usage

    def pod_usage() -> dict[str, list]:
        items = metrics.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", "kube-system", "pods")["items"]
        return {i["metadata"]["name"]: i["containers"] for i in items}
    pods = eventually(pod_usage, lambda got: any(n.startswith("kube-apiserver-") for n in got),
                      "`kubectl top pods -n kube-system`: usage of the API server pod", 120)
    api = next(v for k, v in pods.items() if k.startswith("kube-apiserver-"))
    assert api[0]["usage"]["memory"].endswith("Ki") and int(api[0]["usage"]["memory"][:-2]) > 0, api


def http_get(url: str, host: str) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=3) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def backend(core: client.CoreV1Api, ns: str) -> None:
    """Pod `web` (netexec answers /hostname with its name) behind Service web:80."""
    core.create_namespaced_pod(ns, client.V1Pod(metadata=client.V1ObjectMeta(name="web", labels={"app": "web"}),
                                                spec=client.V1PodSpec(containers=[web("web")])))
    core.create_namespaced_service(ns, client.V1Service(metadata=client.V1ObjectMeta(name="web"), spec=client.V1ServiceSpec(
        selector={"app": "web"}, ports=[client.V1ServicePort(port=80, target_port=8080)])))


def test_gateway_and_httproute_route_a_request(core: client.CoreV1Api, namespace: str) -> None:
    backend(core, namespace)
    gw = client.CustomObjectsApi(core.api_client)
    host = f"web.{namespace}.localtest.me"
    gw.create_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "gateways", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw"},
        "spec": {"gatewayClassName": "traefik", "listeners": [
            {"name": "http", "protocol": "HTTP", "port": 80, "hostname": f"*.{namespace}.localtest.me"}]}})
    gw.create_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "httproutes", {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web"},
        "spec": {"parentRefs": [{"name": "gw"}], "hostnames": [host],
                 "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}})
    eventually(lambda: http_get("http://127.0.0.1/hostname", host), lambda got: got == (200, "web"),
               f"GET http://127.0.0.1/hostname with Host {host} answered by pod web through the HTTPRoute", 90)
    status = gw.get_namespaced_custom_object("gateway.networking.k8s.io", "v1", namespace, "gateways", "gw")["status"]
    assert [a["value"] for a in status.get("addresses", [])] == ["127.0.0.1"], status
    assert {c["type"]: c["status"] for c in status["conditions"]}.get("Programmed") == "True", status
    assert http_get("http://127.0.0.1/hostname", f"other.{namespace}.localtest.me")[0] == 404


def test_ingress_class_traefik_routes_with_strict_prefixes(core: client.CoreV1Api, namespace: str) -> None:
    backend(core, namespace)
    net = client.NetworkingV1Api(core.api_client)
    host, plain = f"web.{namespace}.localtest.me", f"plain.{namespace}.localtest.me"

    def ingress(name: str, h: str, cls: str | None) -> client.V1Ingress:
        path = client.V1HTTPIngressPath(path="/hostname", path_type="Prefix", backend=client.V1IngressBackend(
            service=client.V1IngressServiceBackend(name="web", port=client.V1ServiceBackendPort(number=80))))
        return client.V1Ingress(metadata=client.V1ObjectMeta(name=name), spec=client.V1IngressSpec(
            ingress_class_name=cls, rules=[client.V1IngressRule(host=h, http=client.V1HTTPIngressRuleValue(paths=[path]))]))
    net.create_namespaced_ingress(namespace, ingress("classed", host, "traefik"))
    net.create_namespaced_ingress(namespace, ingress("classless", plain, None))
    eventually(lambda: http_get("http://127.0.0.1/hostname/x", host), lambda got: got[0] == 200,
               f"Host {host} path /hostname/x routed by IngressClass traefik", 90)
    assert http_get("http://127.0.0.1/hostnamex", host)[0] == 404  # Prefix matches path elements only
    assert http_get("http://127.0.0.1/hostname", plain)[0] == 404  # no class: no controller serves it
    status = net.read_namespaced_ingress("classed", namespace).status.load_balancer.ingress
    assert [i.ip for i in status or []] == ["127.0.0.1"]
    assert not net.read_namespaced_ingress("classless", namespace).status.load_balancer.ingress
