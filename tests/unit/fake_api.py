"""A small fake Kubernetes API server over real HTTP, for engine and informer tests without a cluster:
discovery of one kind (v1 Pod), a list answered from a mutable store, and watch streams played from
scripts (events, a 410 Gone, an end of stream). The client library and kubelab's own code run unchanged
against it, so what is tested is the code path a cluster would drive."""
from __future__ import annotations

import http.server
import json
import queue
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

RESOURCES = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": [
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
     "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}]}

# What a watch request gets: a list of events (dicts sent as they are), threading.Events to wait for
# (the test's own moment, e.g. after changing the store), then "close" to end the stream, or nothing
# more: the stream stays open until the server stops or the client goes.
Script = list[dict[str, Any] | str | threading.Event]


def pod(name: str, rv: int, phase: str = "Running") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "ns", "resourceVersion": str(rv), "uid": f"uid-{name}"},
            "status": {"phase": phase}}


def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "object": obj}


GONE = {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                    "message": "too old resource version", "reason": "Expired", "code": 410}}


@dataclass
class FakeAPI:
    """State the handler serves: `pods` answers lists; `watches` feeds one script per watch request."""
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    rv: int = 100
    list_status: int = 200                   # e.g. 403: every list is refused
    watches: queue.Queue[Script] = field(default_factory=queue.Queue)
    lists: int = 0                           # list requests served
    watch_rvs: list[str] = field(default_factory=list)   # resourceVersion each watch asked for
    stop: threading.Event = field(default_factory=threading.Event)

    def body(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if path == "/version":
            return 200, {"major": "1", "minor": "37", "gitVersion": "v1.37.2", "gitCommit": "0", "gitTreeState": "clean",
                         "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.26", "compiler": "gc",
                         "platform": "linux/amd64"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
        if path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
        if path == "/api/v1":
            return 200, RESOURCES
        if path == "/api/v1/namespaces/ns/pods":
            self.lists += 1
            if self.list_status != 200:
                return self.list_status, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                          "message": 'pods is forbidden: User "u" cannot list resource "pods"',
                                          "reason": "Forbidden", "code": self.list_status}
            return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": str(self.rv)},
                         "items": [dict(p) for p in self.pods.values()]}
        return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}


def serve(api: FakeAPI) -> tuple[http.server.ThreadingHTTPServer, int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if query.get("watch") == ["true"] or query.get("watch") == ["1"]:
                self.watch(query)
                return
            code, body = api.body(url.path.rstrip("/") or "/", query)
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def watch(self, query: dict[str, list[str]]) -> None:
            api.watch_rvs.append((query.get("resourceVersion") or [""])[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                script = api.watches.get(timeout=5)
            except queue.Empty:
                script = []
            try:
                for item in script:
                    if item == "close":
                        break
                    if isinstance(item, threading.Event):
                        item.wait(10)
                        continue
                    line = json.dumps(item).encode() + b"\n"
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
                else:   # no "close": hold the stream open, as a quiet cluster does
                    api.stop.wait(30)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass    # the client went away
            self.close_connection = True

        def log_message(self, *a: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    # shutdown() waits for the serving loop's next poll: 0.5 s by default, in every test's teardown
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return srv, srv.server_address[1]
