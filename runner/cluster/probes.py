"""Probes that are not API objects: HTTP from the host or a client pod, and exec in a pod."""
from __future__ import annotations

import http.client
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

import yaml
from kubernetes.stream import stream

from runner.checks.exec import ExecOutput
from runner.checks.http import HttpResponse
from runner.cluster.client import Kube, call, describe_error, is_permanent, translated
from runner.errors import ClusterError, ExecChannelLost
from runner.schema import HttpSpec

CLIENT_POD = "kubelab-client"
CLIENT_IMAGE = "docker.io/library/busybox:1.35.0"


def host_http(spec: HttpSpec) -> HttpResponse:
    """A request from this machine (kind maps 127.0.0.1:80/443 and NodePorts 30080-30084)."""
    u = urlsplit(spec.url)
    secure = u.scheme == "https"
    port = u.port or (443 if secure else 80)
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    at = time.monotonic()
    cert = None
    try:
        sock = socket.create_connection((u.hostname, port), timeout=spec.request_timeout)
        if secure:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE   # lab certificates are self-signed
            sock = ctx.wrap_socket(sock, server_hostname=spec.sni or spec.host or u.hostname)
            cert = sock.getpeercert(binary_form=True)     # DER, for `tls:` assertions
        conn = http.client.HTTPConnection(u.hostname or "", port, timeout=spec.request_timeout)
        conn.sock = sock
        conn.request(spec.method, path, headers={"Host": spec.host or u.netloc, "Connection": "close"})
        r = conn.getresponse()
        body = r.read(1 << 20).decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        return HttpResponse(r.status, headers, body, at=at, cert=cert)
    except (OSError, http.client.HTTPException) as e:
        return HttpResponse(None, error=f"{type(e).__name__}: {e}", at=at)


def parse_wget(stdout: str, stderr: str, exit_code: int | None, at: float = 0.0) -> HttpResponse:
    """busybox `wget -S -O -`: headers on stderr ("  HTTP/1.1 200 OK", "  Name: value"), body on stdout.
    On 4xx/5xx busybox exits 1 but still printed the status line; a missing one means no response."""
    status: int | None = None
    headers: dict[str, str] = {}
    for line in stderr.splitlines():
        s = line.strip()
        if s.startswith("HTTP/"):
            parts = s.split()
            status, headers = (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None), {}
        elif line.startswith("  ") and ":" in s and status is not None:
            k, v = s.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if status is None:
        err = " ".join(x for x in stderr.splitlines() if x.startswith("wget:")) or (
            "timed out" if exit_code in (124, 143) else stderr.strip() or f"wget exited with {exit_code}")
        return HttpResponse(None, error=err, at=at)
    return HttpResponse(status, headers, stdout, at=at)


def wget_command(spec: HttpSpec) -> list[str]:
    """busybox wget; its own -T option crashes this static build, so `timeout` bounds the request."""
    cmd = ["timeout", str(max(1, int(spec.request_timeout))), "wget", "-S", "-O", "-"]
    if spec.host:
        cmd += ["--header", f"Host: {spec.host}"]
    if spec.url.startswith("https"):
        cmd.append("--no-check-certificate")
    return cmd + [spec.url]


def client_pod_manifest(namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": CLIENT_POD, "namespace": namespace, "labels": {"kubelab.io/role": "client"}},
            "spec": {"terminationGracePeriodSeconds": 0, "restartPolicy": "Always",
                     "containers": [{"name": "client", "image": CLIENT_IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]}]}}


def ensure_client_pod(kube: Kube, namespace: str, timeout: float = 60.0) -> None:
    """Create the busybox client pod (idempotent, server-side apply) and wait until it runs."""
    res = kube.resource("v1", "Pod")
    call(kube.dyn.server_side_apply, res, body=client_pod_manifest(namespace), namespace=namespace,
         field_manager="kubelab", force_conflicts=True)
    deadline = time.monotonic() + timeout
    from kubernetes import watch  # local: only this path needs a raw watch
    while time.monotonic() < deadline:
        pod = call(kube.core.read_namespaced_pod, CLIENT_POD, namespace)
        if pod.status.phase == "Running":
            return
        w = watch.Watch()
        try:
            with translated():
                for ev in w.stream(kube.core.list_namespaced_pod, namespace,
                                   field_selector=f"metadata.name={CLIENT_POD}",
                                   resource_version=pod.metadata.resource_version,
                                   timeout_seconds=max(1, int(deadline - time.monotonic()))):
                    if ev["object"].status.phase == "Running":
                        w.stop()
                        return
        except ClusterError as e:
            if e.status != 410:   # 410 Expired: the version read is already compacted (seen after an API
                raise             # server restart): read again

    raise TimeoutError(f"client pod {CLIENT_POD} in {namespace} not Running after {timeout:.0f}s")


def pod_exec(kube: Kube, namespace: str, pod: str, command: list[str], container: str | None = None,
             timeout: float = 30.0) -> ExecOutput:
    api = kube.exec_core()
    kw: dict[str, Any] = {"command": command, "stderr": True, "stdin": False, "stdout": True, "tty": False,
                          "_preload_content": False}
    if container:
        kw["container"] = container
    resp = call(stream, api.connect_get_namespaced_pod_exec, pod, namespace, **kw)
    try:
        try:
            resp.run_forever(timeout=timeout)
            out, err = resp.read_stdout(timeout=0.1) or "", resp.read_stderr(timeout=0.1) or ""
            code = None if resp.is_open() else exit_status(resp.read_channel(3))
        except Exception as e:  # noqa: BLE001 - the stream itself broke (TLS EOF, reset) mid-command
            raise ExecChannelLost(f"exec in {pod}: the connection through the API server broke "
                                  f"({describe_error(e)})") from None
        if code is None and not resp.is_open():
            raise ExecChannelLost(f"exec in {pod}: the connection through the API server closed before the "
                                  "command's exit status arrived (API server or node restarting?)")
        if code is None:
            err += f"\n(timed out after {timeout:.0f}s)"
        return ExecOutput(out, err, code, pod)
    finally:
        resp.close()


def exit_status(error_channel: str) -> int | None:
    """The exit code from the exec stream's status channel (a v1.Status); None when it never came."""
    try:
        st = yaml.safe_load(error_channel or "")
    except yaml.YAMLError:
        return None
    if not isinstance(st, dict) or "status" not in st:
        return None
    if st["status"] == "Success":
        return 0
    for cause in (st.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
            return int(cause["message"])
    return 1      # a failure status without an exit code (e.g. the command could not be started)


def cluster_http(kube: Kube, namespace: str, spec: HttpSpec) -> HttpResponse:
    """The request from the client pod, through an exec via the API server. When that channel fails (the API
    server away, the client pod gone) no request was measured: the response says lost, not failed."""
    at = time.monotonic()
    try:
        out = pod_exec(kube, namespace, CLIENT_POD, wget_command(spec), timeout=spec.request_timeout + 5)
    except Exception as e:  # noqa: BLE001 - any failure of the exec channel itself
        if is_permanent(e):
            raise         # 403 and the like: a problem of the lab or the account, reported as the check's error
        return HttpResponse(None, error=describe_error(e), at=at, lost=describe_error(e))
    if out.exit_code is None:      # exec timed out: the channel stalled (wget itself is bounded by `timeout`)
        return HttpResponse(None, error="exec timed out", at=at, lost=f"exec in {CLIENT_POD} gave no exit status in time")
    return parse_wget(out.stdout, out.stderr, out.exit_code, at)


def http_probe(kube: Kube, namespace: str, spec: HttpSpec) -> HttpResponse:
    return host_http(spec) if spec.from_ == "host" else cluster_http(kube, namespace, spec)
