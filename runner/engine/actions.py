"""What a session does to the cluster: a step's apply, its solve, and each action kind."""
from __future__ import annotations

import time
from typing import Any

from runner.checks import exec as exec_check
from runner.cluster import objects as kobj
from runner.cluster import probes
from runner.cluster.rollout import rollout_undo
from runner.engine.outcome import WaitFailed
from runner.engine.waiting import Waiting
from runner.errors import ActionFailed
from runner.schema import Action, Step


class Actions(Waiting):
    def apply(self, step: Step) -> list[str]:
        done = []
        for spec in step.apply:
            docs = kobj.load_documents(spec, self.loaded.manifests, self.vars)
            done += kobj.apply_docs(self.kube, docs, self.namespace, self.lab.id)
        return done

    def run_action(self, a: Action) -> list[str]:
        if not (a.apply or a.wait):      # apply: load_documents does the final pass; wait: its check does
            a = self.final(a)
        if a.wait or a.exec:
            return self._observe(a)
        barrier = self.writes()
        docs = kobj.load_documents(a.apply, self.loaded.manifests, self.vars) if a.apply else []
        kinds = [(d.get("apiVersion", "v1"), d.get("kind", "")) for d in docs]
        target = a.delete or (a.patch.target if a.patch else None)
        if target:
            kinds.append((target.api_version, target.kind))
        if a.rollout_undo:
            kinds.append(("apps/v1", "Deployment"))
        if a.tls_secret:
            kinds.append(("v1", "Secret"))
        before = barrier.held(kinds)
        written: list[kobj.Written] = []
        try:
            return self._write(a, docs, written)
        finally:
            barrier.wrote(before, written)

    def _write(self, a: Action, docs: list[dict[str, Any]], written: list[kobj.Written]) -> list[str]:
        ns = self.namespace
        if a.rollout_undo:
            return rollout_undo(self.kube, ns, a.rollout_undo.name, a.rollout_undo.to_revision, written)
        if a.apply:
            return kobj.apply_docs(self.kube, docs, ns, self.lab.id, written)
        if a.delete:
            return kobj.delete_target(self.kube, a.delete, ns, written)
        if a.patch:
            return kobj.patch_target(self.kube, a.patch, ns, written)
        if a.tls_secret:
            t = a.tls_secret
            from runner.tls import tls_secret_manifest  # cryptography only for the labs that make a certificate
            return kobj.apply_docs(self.kube, [tls_secret_manifest(t.name, t.hosts, t.days)], ns, self.lab.id, written)
        raise ValueError(f"unknown action {a.kind}")

    def _observe(self, a: Action) -> list[str]:
        ns = self.namespace
        if a.exec:
            self.writes().wait()
            pod = self.wait_pod(a.exec)
            out = probes.pod_exec(self.kube, ns, pod, a.exec.command, a.exec.container)
            r = exec_check.evaluate(a.exec, out)
            if not r.ok:
                raise ActionFailed(f"solve exec failed: {r.summary}")
            return [f"exec {' '.join(a.exec.command)} in {pod}"]
        if a.wait:
            if a.wait.seconds is not None:
                time.sleep(a.wait.seconds)
                return [f"waited {a.wait.seconds:g}s"]
            assert a.wait.check is not None      # the schema: exactly one of seconds, check
            o = self.wait(a.wait.check)
            if not o.result.ok:
                raise WaitFailed(o)
            return [f"waited for {o.label} ({o.elapsed:.1f}s)"]
        raise ValueError(f"unknown action {a.kind}")

    def solve(self, step: Step) -> list[str]:
        done = []
        for a in step.solve:
            done += self.run_action(a)
        return done
