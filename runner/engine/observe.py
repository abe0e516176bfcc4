"""What a session observes: informers, the pods checks exec into or send from, HTTP, and one
evaluation of a check (the verdicts themselves are in runner.checks.*)."""
from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from runner import accessors as k8s
from runner.checks import http as http_check
from runner.checks.base import Result
from runner.cluster import pod_http, probes
from runner.cluster.client import api_budget
from runner.cluster.diagnose import pod_state
from runner.cluster.informer import Informer
from runner.engine.kinds import KINDS, InformerFailed, NotListed
from runner.engine.lifecycle import Lifecycle
from runner.errors import describe_error, is_permanent
from runner.placeholders import names_in
from runner.requires import host_target
from runner.schema import Check, Target
from runner.values import ValueMissing

EVAL_BUDGET = 5.0    # seconds an API call of one check evaluation waits for an API server that is away


class Observing(Lifecycle):
    def informer(self, t: Target) -> Informer:
        return self.informers.get(t.api_version, t.kind, t.namespace or self.namespace, t.selector_str(), t.name)

    def pick_pod(self, spec: Any) -> str:
        if spec.pod_name:
            return str(spec.pod_name)
        inf = self.informer(spec.pod)
        if not inf.synced.is_set():
            raise LookupError(inf.unlisted())       # unknown, which is not "no pod"
        pods = inf.objects()
        running = [o for o in pods if k8s.phase(o) == "Running" and not k8s.deleting(o)]
        if not running:
            raise LookupError(f"no Running pod for {spec.pod.describe()}" if pods else
                              f"no pod {spec.pod.describe()} exists in {self.namespace}")
        return str(running[0]["metadata"]["name"])

    def wait_pod(self, spec: Any, timeout: float | None = None) -> str:
        """pick_pod, waiting (on the pod watch) until one runs: a solve may exec right after an apply."""
        # wait on the very informer pick_pod/running read, or a change there is noticed only at the deadline
        inf = self.informer(spec.pod) if not spec.pod_name else self.informers.get("v1", "Pod", self.namespace)
        deadline = time.monotonic() + (timeout or self.lab.defaults.timeout)
        seen = -1
        while True:
            try:
                return self.pick_pod(spec) if not spec.pod_name else self.running(spec.pod_name)
            except LookupError:
                if time.monotonic() >= deadline:
                    raise
                seen = inf.wait_change(seen if seen >= 0 else inf.version, deadline - time.monotonic())

    def running(self, name: str) -> str:
        inf = self.informers.get("v1", "Pod", self.namespace)
        if not inf.synced.is_set():
            raise LookupError(inf.unlisted())
        pods = [o for o in inf.objects() if o["metadata"]["name"] == name]
        if not pods:
            raise LookupError(f"pod {name} does not exist in {self.namespace}")
        if k8s.phase(pods[0]) != "Running":
            raise LookupError(f"pod {name} is not Running ({pod_state(pods[0], time.time())})")
        return name

    def http(self, spec: Any) -> http_check.HttpResponse:
        with api_budget(EVAL_BUDGET):    # a check is evaluated again anyway: no minute-long retries inside
            return self._http(self.node_http(spec))

    def node_http(self, spec: Any) -> Any:
        """A `from: host` request to 127.0.0.1:P on a cluster that does not map P to this machine (any cluster
        but kind's with its port mappings) goes from the client pod to P on a node's address instead: a NodePort
        answers on every node, so the check keeps its lesson (runner/requires.py host_target)."""
        if spec.from_ != "host" or spec.tls is not None:     # a certificate can only be read from here
            return spec
        from runner.cluster.offers import offers
        u = urlsplit(spec.url)
        port = u.port or (443 if u.scheme == "https" else 80)
        addr = host_target(u.hostname, port, offers(self.kube))
        if addr is None:
            return spec
        return spec.model_copy(update={"from_": "cluster", "url": urlunsplit(u._replace(netloc=f"{addr}:{port}"))})

    def _http(self, spec: Any) -> http_check.HttpResponse:
        at = time.monotonic()
        if spec.pod is not None:       # sent from a lab pod, not the client pod (runner/cluster/pod_http.py)
            try:
                return pod_http.from_pod(self.kube, spec, spec.pod.namespace or self.namespace,
                                         self.informer(spec.pod).objects())
            except Exception as e:  # noqa: BLE001 - as below
                return http_check.HttpResponse(None, error=describe_error(e), at=at, lost=describe_error(e))
        try:
            if spec.from_ == "cluster":
                with self._lock:
                    if not self._client_ready:
                        probes.ensure_client_pod(self.kube, self.namespace)
                        self._client_ready = True
            r = probes.http_probe(self.kube, self.namespace, spec)
        except Exception as e:  # noqa: BLE001 - no client pod or no exec (API server away, 403): no request was made
            return http_check.HttpResponse(None, error=describe_error(e), at=at, lost=describe_error(e))
        if spec.tls and spec.tls.secret:
            r.secret_cert = self.secret_cert(spec.tls.secret)
        return r

    def secret_cert(self, name: str) -> str | None:
        """tls.crt of a Secret in the lab namespace (PEM), None when the Secret does not exist."""
        objs = self.informers.get("v1", "Secret", self.namespace, None, name).objects()
        if not objs:
            return None
        return base64.b64decode(k8s.section(objs[0], "data").get("tls.crt") or "").decode("utf-8", "replace")

    def sources(self, c: Check) -> tuple[list[Informer], float]:
        """Informers whose changes should re-evaluate the check, and the longest wait between evaluations."""
        infs, tick = self._own_sources(c)
        if self.current is not None and self.current.values:     # a value's object changing changes the check
            used = names_in(c.model_dump(by_alias=True, exclude_unset=True))
            infs += [self.informer(v.target) for n, v in self.current.values.items() if v.at == "check" and n in used]
        return infs, tick

    def _own_sources(self, c: Check) -> tuple[list[Informer], float]:
        return KINDS[c.kind].sources(self, c.spec)

    def evaluate(self, c: Check) -> Result:
        """One evaluation of one check; errors become failures with the reason."""
        try:
            c = self.final(c)
        except ValueMissing as e:
            return Result.failed(f"{c.label()}: {e}", [str(e)])
        judge = KINDS[c.kind].evaluate
        if judge is None:
            raise ValueError(f"{c.kind} is evaluated by its sampler")
        try:
            return judge(self, c.spec)
        except InformerFailed as e:
            return Result(False, f"{c.label()}: {e}", [str(e)], fatal=True)
        except NotListed as e:       # never listed (API server away): unknown, not absent
            return Result.failed(f"{c.label()}: not observed yet: {e}", [str(e)])
        except Exception as e:  # noqa: BLE001
            return Result(False, f"{c.label()}: {describe_error(e)}", [describe_error(e)], fatal=is_permanent(e))
