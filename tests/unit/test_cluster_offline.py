"""Cluster-level bad input without a cluster: a kubeconfig that is not YAML, a missing context, a closed port,
a server that accepts but never answers, refused credentials. One line, exit 2, within seconds."""
from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from runner import limits
from runner.cluster.client import ClusterUnavailable, connect

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "http://127.0.0.1:{port}"}}}}]
users: [{{name: u, user: {{token: not-a-valid-token}}}}]
contexts: [{{name: ctx, context: {{cluster: c, user: u}}}}]
current-context: ctx
"""


@pytest.fixture
def kubeconfig(tmp_path):
    def write(port: int) -> str:
        p = tmp_path / "kubeconfig"
        p.write_text(KUBECONFIG.format(port=port))
        return str(p)
    return write


@pytest.fixture
def silent_server():
    """Accepts connections and never answers a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    for s in held:
        s.close()
    srv.close()


@pytest.fixture
def status_server():
    """Answers every request with a fixed Kubernetes Status (e.g. 401 Unauthorized)."""
    answer = {"code": 401}

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = (f'{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized",'
                    f'"reason":"Unauthorized","code":{answer["code"]}}}').encode()
            self.send_response(answer["code"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: object) -> None:
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()  # a quick shutdown()
    yield srv.server_address[1], answer
    srv.shutdown()
    srv.server_close()


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_kubeconfig_that_is_not_yaml_is_one_line(tmp_path, cli):
    bad = tmp_path / "kc"
    bad.write_text("apiVersion: v1\nclusters: [oops\n\tkind: {{\n")
    with pytest.raises(ClusterUnavailable, match=rf"kubeconfig {bad} is not valid YAML: line \d+"):
        connect(str(bad))
    code, out, err = cli("--kubeconfig", str(bad), "check", "pod")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("text", ["- just\n- a list\n", "just a string\n", "clusters: 5\n", ""])
def test_kubeconfig_of_the_wrong_shape_is_one_line(tmp_path, text):
    bad = tmp_path / "kc"
    bad.write_text(text)
    with pytest.raises(ClusterUnavailable, match="kubeconfig"):
        connect(str(bad))


def test_missing_context_is_one_line(kubeconfig):
    with pytest.raises(ClusterUnavailable, match="no-such-context"):
        connect(kubeconfig(_free_port()), "no-such-context")


def test_closed_port_fails_within_the_budget(kubeconfig, monkeypatch):
    monkeypatch.setattr(limits, "CONNECT_BUDGET", 1.0)
    t0 = time.monotonic()
    with pytest.raises(ClusterUnavailable, match="connection refused.*is it running"):
        connect(kubeconfig(_free_port()))
    assert time.monotonic() - t0 < 10


def test_server_that_never_answers_fails_within_the_budget(kubeconfig, silent_server, monkeypatch):
    monkeypatch.setattr(limits, "CONNECT_BUDGET", 1.0)
    t0 = time.monotonic()
    with pytest.raises(ClusterUnavailable, match="no answer"):
        connect(kubeconfig(silent_server))
    assert time.monotonic() - t0 < 10


def test_every_request_is_bounded_even_after_connecting(kubeconfig, silent_server, status_server, monkeypatch):
    """A server that stops answering after connect: a plain API call ends with a timeout instead of hanging."""
    port, answer = status_server
    answer["code"] = 200
    monkeypatch.setattr(limits, "REQUEST_TIMEOUT", (1.0, 1.0))
    from kubernetes import client

    from runner.cluster.bounds import bound_requests
    cfg = client.Configuration()
    cfg.host = f"http://127.0.0.1:{silent_server}"
    cfg.retries = 0
    api = client.ApiClient(cfg)
    bound_requests(api)
    with pytest.raises(Exception) as e:    # the first call also loads the client's models: slow on a busy machine
        client.CoreV1Api(api).list_namespaced_pod("default")
    assert "Read timed out" in str(e.value), e.value
    t0 = time.monotonic()
    with pytest.raises(Exception) as e:
        client.CoreV1Api(api).list_namespaced_pod("default")
    assert "Read timed out" in str(e.value), e.value
    assert time.monotonic() - t0 < 15      # the 1 s read timeout; unbounded, it would never return


def test_refused_credentials_are_reported_at_once(kubeconfig, status_server):
    port, _ = status_server
    t0 = time.monotonic()
    with pytest.raises(ClusterUnavailable, match=r"refused the credentials .* \(401 Unauthorized\): get a fresh kubeconfig"):
        connect(kubeconfig(port))
    assert time.monotonic() - t0 < 10


def test_cluster_kubeconfig_honours_xdg_cache_home(monkeypatch, tmp_path):
    from runner.cluster.kubeconfig import cluster_kubeconfig
    monkeypatch.delenv("KUBELAB_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cluster_kubeconfig() == tmp_path / "kubelab" / "kubeconfig"
    monkeypatch.setenv("KUBELAB_CACHE", str(tmp_path / "own"))
    assert cluster_kubeconfig() == tmp_path / "own" / "kubeconfig"
    monkeypatch.setenv("KUBELAB_CLUSTER", "second")   # build/cluster.sh's second cluster
    assert cluster_kubeconfig() == tmp_path / "own" / "kubeconfig-second"


def test_the_second_clusters_context_is_the_default_in_a_merged_kubeconfig(monkeypatch, tmp_path):
    from runner.cluster.kubeconfig import resolve_context
    merged = tmp_path / "config"
    merged.write_text("contexts:\n- name: kind-kubelab\n- name: kind-second\ncurrent-context: kind-kubelab\n")
    monkeypatch.delenv("KUBELAB_CONTEXT", raising=False)
    monkeypatch.delenv("KUBELAB_CLUSTER", raising=False)
    assert resolve_context(str(merged)) == "kind-kubelab"
    monkeypatch.setenv("KUBELAB_CLUSTER", "second")
    assert resolve_context(str(merged)) == "kind-second"


def test_makefile_and_benchmark_honour_xdg_cache_home(tmp_path):
    import os
    import subprocess
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("KUBELAB_CACHE", "KUBECONFIG")}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    r = subprocess.run(["make", "-s", "-C", str(root), "--eval", "print-kc: ; @echo $(KUBECONFIG)", "print-kc"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.stdout.strip() == f"{tmp_path}/kubelab/kubeconfig", r.stdout + r.stderr
    line = next(x for x in (root / "benchmarks" / "cluster.sh").read_text().splitlines() if x.startswith("CACHE="))
    r = subprocess.run(["bash", "-c", f"{line}; echo $CACHE"], env=env, capture_output=True, text=True, timeout=30)
    assert r.stdout.strip() == f"{tmp_path}/kubelab"


def test_a_403_to_version_is_an_api_server_still_starting_not_refused_credentials(kubeconfig, status_server, monkeypatch):
    """Seen right after an API server restart: /version (open to everyone) answered 403 while RBAC loaded."""
    monkeypatch.setattr(limits, "CONNECT_BUDGET", 1.0)      # retried, then this answer: 1 s is enough to see it
    port, answer = status_server
    answer["code"] = 403
    t0 = time.monotonic()
    with pytest.raises(ClusterUnavailable, match=r"still starting") as e:
        connect(kubeconfig(port))
    assert "credentials" not in str(e.value) and time.monotonic() - t0 < 10
