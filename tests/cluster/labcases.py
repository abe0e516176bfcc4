"""Alternative solutions and typical mistakes of the labs, run against the live cluster.

* `tests/fixtures/alternatives/<lab>/<step>/<name>.yaml|.sh`: another correct way to do a step
  (kubectl-created objects, other names where the task fixes none). Applied *instead of* the step's
  solve, the step's checks must all pass.
* `manifests/<lab>/mistakes/<file>` with its entry in `tests/fixtures/mistakes/<lab>.yaml`
  (step, check, cause): used instead of the solve, the named check must fail, its own hint must
  come first, and the failure summary must name the cause.

Each case runs in its own namespace (learner `<base>-c<n>`): the earlier steps are replayed with
their solves, then the case's files stand in for the step's solve.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runner import hints
from runner.cluster import objects as kobj
from runner.cluster.client import Kube, describe_error
from runner.engine import Outcome, Session
from runner.loader import LoadedLab, find_lab, repo_root
from runner.schema import ApplySpec, PatchSpec, Step, Target

ROOT = repo_root()
ALTERNATIVES = ROOT / "tests" / "fixtures" / "alternatives"
MISTAKES = ROOT / "tests" / "fixtures" / "mistakes"
MISTAKE_CAP = 90.0     # a mistake's check must still fail after this long (crash loops need ~2 restarts)


@dataclass
class Case:
    kind: str                      # alternative | mistake
    lab: str
    step: str
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)   # mistakes: check, cause, patch

    @property
    def id(self) -> str:
        return f"{self.lab}/{self.step}/{self.path.name}"


@dataclass
class CaseResult:
    outcomes: list[Outcome] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)        # hints in the order a learner would see them
    named: Outcome | None = None                          # mistakes: the outcome of the check they name
    named_hint: str | None = None                         # mistakes: that check's own hint (English)
    error: str = ""
    seconds: float = 0.0


def alternative_cases() -> list[Case]:
    cases = []
    for f in sorted(ALTERNATIVES.glob("*/*/*")):
        if f.suffix in (".yaml", ".sh"):
            cases.append(Case("alternative", f.parent.parent.name, f.parent.name, f))
    return cases


def mistake_index(lab: str) -> dict[str, dict[str, Any]]:
    p = MISTAKES / f"{lab}.yaml"
    return yaml.safe_load(p.read_text(encoding="utf-8")) or {} if p.is_file() else {}


def mistake_cases() -> list[Case]:
    """Every file in manifests/<lab>/mistakes/ of a lab with an index (tests/fixtures/mistakes/<lab>.yaml)
    is a case; a file without an entry is a case too (it then fails, naming the missing entry)."""
    cases = []
    for f in sorted((ROOT / "manifests").glob("*/mistakes/*.yaml")):
        lab = f.parent.parent.name
        if not (MISTAKES / f"{lab}.yaml").is_file():
            continue
        meta = mistake_index(lab).get(f.name) or {}
        cases.append(Case("mistake", lab, meta.get("step", "?"), f, meta))
    return cases


def _kubectl_env(kube: Kube, namespace: str, learner: str) -> dict[str, str]:
    env = dict(os.environ, NAMESPACE=namespace, LEARNER=learner, KUBELAB_LEARNER=learner,
               KUBELAB=f"{sys.executable} -m runner")
    if kube.kubeconfig:
        env["KUBECONFIG"] = kube.kubeconfig
    if kube.context:
        env["KUBECTL_CONTEXT"] = kube.context
    kubectl = shutil.which("kubectl")
    if kubectl:
        env["KUBECTL"] = kubectl
    return env


def _act(sess: Session, case: Case) -> None:
    """Do what the case's file stands for, instead of the step's solve."""
    if case.path.suffix == ".sh":
        r = subprocess.run(["bash", "-euo", "pipefail", str(case.path)], cwd=ROOT, capture_output=True, text=True,
                           env={**_kubectl_env(sess.kube, sess.namespace, sess.learner or ""),
                                **{k: v for k, v in sess.vars.items() if k == "NODE_PORT"}}, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"{case.path.name} exited {r.returncode}: {(r.stderr or r.stdout).strip()[-400:]}")
        return
    spec = ApplySpec(file=case.path.name)
    docs = kobj.load_documents(spec, case.path.parent, sess.vars)
    if case.meta.get("patch"):
        target = Target.model_validate(_sub(case.meta["patch"], sess.vars))
        for d in docs:
            kobj.patch_target(sess.kube, PatchSpec(target=target, type="strategic", patch=d), sess.namespace)
        return
    kobj.apply_docs(sess.kube, docs, sess.namespace, sess.lab.id)


def _sub(value: Any, variables: dict[str, str]) -> Any:
    from runner.placeholders import substitute
    return substitute(value, variables)


def _replay(sess: Session, step: Step) -> None:
    """Bring the namespace to the state after `step`: apply, solve, wait for its plain checks."""
    sess.apply(step)
    sess.begin_step(step)
    sess.solve(step)
    plain = [c for c in step.check if c.kind != "invariant"]
    if plain:
        limit = 2 * max(c.timeout or sess.lab.defaults.timeout for c in plain)   # a busy cluster is slow
        results = sess.wait_many(plain, limit, lambda rs: all(r.ok for r in rs))
        bad = [f"{c.label()}: {r.summary}" for c, r in zip(plain, results) if not r.ok]
        if bad:
            raise RuntimeError(f"replaying step {step.id} failed: {bad[0]}")


def shown_hints(step: Step, outcomes: list[Outcome], sess: Session, lang: str = "en") -> list[str]:
    """The hints in the order the runner reveals them after these outcomes."""
    return [sess.text(h, lang) for h in hints.ordered(step, outcomes)]


def run_case(kube: Kube, case: Case, learner: str) -> CaseResult:
    t0 = time.monotonic()
    res = CaseResult()
    try:
        loaded: LoadedLab = find_lab(case.lab)
    except Exception as e:  # noqa: BLE001 - reported by the test
        res.error = f"lab {case.lab}: {describe_error(e)}"
        return res
    sess = Session(kube, loaded, learner)
    try:
        sess.reset()
        sess.prepare()
        for s in loaded.lab.steps:
            if s.id == case.step:
                break
            _replay(sess, sess.step(s.id))
        else:
            raise LookupError(f"no step {case.step!r} in lab {case.lab}")
        step = sess.step(case.step)
        sess.apply(step)
        sess.begin_step(step)
        samplers = sess.start_samplers(step)
        try:
            _act(sess, case)
            cap = MISTAKE_CAP if case.kind == "mistake" else None
            res.outcomes = sess.check_step(step, samplers, timeout_cap=cap)
        finally:
            for smp in samplers.values():
                smp.stop()
        res.hints = shown_hints(step, res.outcomes, sess)
        if case.kind == "mistake":
            _name_outcome(res, step, case, sess)
    except Exception as e:  # noqa: BLE001 - reported by the test
        res.error = describe_error(e)
    finally:
        try:
            sess.reset()
        except Exception as e:  # noqa: BLE001
            res.error = res.error or f"reset failed: {describe_error(e)}"
        sess.close()
    res.seconds = time.monotonic() - t0
    return res


def _name_outcome(res: CaseResult, step: Step, case: Case, sess: Session) -> None:
    """Find the outcome of the check the mistake names (outcomes: plain checks in order, then invariants)."""
    order = [c for c in step.check if c.kind != "invariant"] + [c for c in step.check if c.kind == "invariant"]
    wanted = _sub(str(case.meta.get("check", "")), sess.vars)
    for c, o in zip(order, res.outcomes):
        if c.label() == wanted:
            res.named = o
            res.named_hint = sess.text(c.hint, "en") if c.hint is not None else None
            return
    res.error = f"step {case.step} has no check named {wanted!r}"
