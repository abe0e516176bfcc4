"""A lab session's lifecycle: its namespace and variables, the step being judged, reset and close."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, cast

from runner.cluster import nodeports
from runner.cluster import objects as kobj
from runner.cluster.client import Kube
from runner.cluster.informer import Informers
from runner.cluster.reset import start_reset, sweep
from runner.errors import LabError, describe_error
from runner.loader import LoadedLab
from runner.placeholders import names_in, namespace_for, substitute, substitute_model
from runner.requires import host_target
from runner.schema import Action, Step
from runner.stepvalues import StepValues

CLOSE_WAIT = 8.0     # seconds close() waits for invariant requests still in flight (exec timeout: request + 5 s)

if TYPE_CHECKING:
    from runner.engine.observe import Observing
    from runner.sampler import Sampler


class Lifecycle:
    def __init__(self, kube: Kube, loaded: LoadedLab, learner: str | None = None,
                 namespace: str | None = None) -> None:
        self.kube, self.loaded, self.lab = kube, loaded, loaded.lab
        self.learner = learner
        self.namespace = namespace or namespace_for(self.lab.id, learner)
        self.vars = {"NAMESPACE": self.namespace, "LAB": self.lab.id, "LEARNER": learner or "",
                     "HOST_SUFFIX": f"{self.namespace}.localtest.me"}
        self.informers = Informers(kube)
        self.values = StepValues(cast("Observing", self))    # a whole Session at run time
        self.current: Step | None = None      # the step whose values:/checks are being judged
        self.uses_node_port = "NODE_PORT" in loaded.lab.model_dump_json() or any(
            "NODE_PORT" in p.read_text(errors="ignore") for p in loaded.manifests.glob("**/*.y*ml"))
        self.uses_node_address = "NODE_ADDRESS" in loaded.lab.model_dump_json()
        self._client_ready = False
        self.cleanup_failures: list[str] = []
        self._lock = threading.Lock()
        self._samplers: list[Sampler] = []

    def step(self, step_id: str) -> Step:
        """The step with ${NAMESPACE} & co. replaced everywhere (escapes and step values stay for `final`)."""
        if self.uses_node_port and "NODE_PORT" not in self.vars:
            port = nodeports.current(self.kube, self.namespace)     # claimed by prepare (run, solve, verify)
            if port:
                self.vars["NODE_PORT"] = str(port)
        self._node_address()
        self.current = substitute_model(self.lab.step(step_id), self.vars, final=False)
        return self.current

    def begin_step(self, step: Step, fresh: bool = True) -> None:
        """After the step's apply: read its `at: start` values (see runner/stepvalues.py)."""
        self.current = step
        self.values.begin(step, fresh)

    def final(self, model: Any) -> Any:
        """The last placeholder pass over a check or action: step values read now, $${X} -> ${X}."""
        data = model.model_dump(by_alias=True, exclude_unset=True)
        extra = self.values.variables(self.current, names_in(data))    # may raise ValueMissing
        return type(model).model_validate(substitute(data, {**self.vars, **extra}, final=True))

    def _node_address(self) -> None:
        """${NODE_ADDRESS}: where this machine reaches a node's ${NODE_PORT}: 127.0.0.1 on kind with its port
        mappings, else a node's InternalIP (read once per run, runner/cluster/offers.py)."""
        if not self.uses_node_address or "NODE_ADDRESS" in self.vars:
            return
        from runner.cluster.offers import offers
        here, port = offers(self.kube), int(self.vars.get("NODE_PORT") or 0)
        moved = host_target("127.0.0.1", port, here) if port else \
            (here.node_address if "host-ports" in here.missing else None)
        self.vars["NODE_ADDRESS"] = moved or "127.0.0.1"

    def text(self, t: Any, lang: str) -> str:
        self._node_address()
        return str(substitute(self.loaded.text(t, lang), self.vars))

    def prepare(self) -> None:
        kobj.ensure_namespace(self.kube, self.namespace, self.lab.id)
        if self.uses_node_port:
            self.vars["NODE_PORT"] = str(nodeports.claim(self.kube, self.namespace))

    def close(self) -> None:
        for smp in self._samplers:
            smp.stop()
        end = time.monotonic() + CLOSE_WAIT
        for smp in self._samplers:      # requests in flight end within their own timeout; not longer than this
            smp.join(max(0.0, end - time.monotonic()))
        self._samplers = []
        self.informers.stop()
        self._client_ready = False    # the client pod goes with the namespace; ask again next time

    def namespace_lost(self) -> bool:
        """True when the lab namespace is gone or going (a `kubelab reset` while `run` waits for a key)."""
        return not kobj.namespace_active(self.kube, self.namespace)

    def cluster_kinds(self) -> list[tuple[str, str]]:
        """Every (apiVersion, kind) in the lab's manifests, so reset also looks there."""
        kinds = []
        for s in self.lab.steps:
            specs = list(s.apply) + [a.apply for a in s.solve + s.cleanup if a.apply]
            for spec in specs:
                try:
                    docs = kobj.load_documents(spec, self.loaded.manifests, self.vars)
                except (OSError, LabError):   # a manifest broken since load: reset must still go on
                    continue
                kinds += [(d.get("apiVersion", "v1"), d["kind"]) for d in docs if d.get("kind")]
        return kinds

    def reset(self, timeout: float = 180.0) -> list[str]:
        """Delete everything of this run and wait until it is gone (TimeoutError names what is left).
        What was removed; cleanup actions that failed are in self.cleanup_failures (reset goes on)."""
        done = self.start_reset()
        left = sweep(self.kube, {self.namespace: self.cluster_kinds()}, timeout).get(self.namespace)
        if left:
            raise TimeoutError(f"still there after {timeout:.0f}s: {', '.join(left)}")
        return done

    def start_reset(self) -> list[str]:
        """The lab's cleanup actions, then issue the deletions without waiting (see runner/cluster/reset.py)."""
        self.close()
        done: list[str] = []
        self.cleanup_failures = []
        for s in reversed(self.lab.steps):
            for a in substitute_model(self.lab.step(s.id), self.vars, final=False).cleanup:
                try:
                    done += self.run_action(a)
                except Exception as e:  # noqa: BLE001 - cleanup is best effort; leftovers are reported
                    if not kobj.is_not_found(e):
                        self.cleanup_failures.append(f"{a.kind}: {describe_error(e)}")
        self.vars.pop("NODE_PORT", None)
        return done + start_reset(self.kube, self.namespace, self.cluster_kinds(), self.lab.defaults.zero_grace_cleanup)

    def run_action(self, a: Action) -> list[str]:
        raise NotImplementedError   # runner/engine/actions.py: reset runs the lab's cleanup actions
