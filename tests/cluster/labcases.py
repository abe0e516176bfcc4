"""Alternative solutions and typical mistakes of the labs, and `kubelab check` after `kubelab solve`,
run against the live cluster.

* `tests/fixtures/alternatives/<lab>/<step>/<name>.yaml|.sh`: another correct way to do a step
  (kubectl-created objects, other names where the task fixes none). Applied *instead of* the step's
  solve, the step's checks must all pass.
* `manifests/<lab>/mistakes/<file>` with its entry in `tests/fixtures/mistakes/<lab>.yaml`
  (step, check, cause): used instead of the solve, the named check must fail, its own hint must
  come first, and the failure summary must name the cause.
* solve-check (one per lab): every step's solve as `kubelab solve` does it, then a one-shot check as
  `kubelab check` does it (a new session, invariants sampled during the check, quiet give-up).

One job per lab (run_lab, tests/cluster/labwalk.py) walks the lab once in one namespace (learner
`<base>-<random>`, so `kubelab render` in a script finds it): that walk is the solve-check, and each case
runs in it before its step's solve, the namespace restored after it (tests/cluster/nsrestore.py). A case
that asks for it, or every case after a restore that could not be proven, runs alone (run_case, here): a
fresh namespace where the earlier steps are replayed with their solves. Deletion runs in the background;
one sweep at the end proves every job left nothing.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runner import hints, safe_yaml
from runner.cluster import objects as kobj
from runner.cluster.client import Kube, describe_error
from runner.cluster.nodeports import NoFreePort
from runner.engine import Outcome, Session
from runner.loader import LoadedLab, find_lab, repo_root
from runner.schema import ApplySpec, PatchSpec, Step, Target
from runner.verify import PRECHECK_WINDOW, Cleanups, LabReport, StepReport, must_fail

ROOT = repo_root()
ALTERNATIVES = ROOT / "tests" / "fixtures" / "alternatives"
MISTAKES = ROOT / "tests" / "fixtures" / "mistakes"
MISTAKE_CAP = 90.0     # a mistake's check must still fail after this long (crash loops need ~2 restarts)
MISTAKE_QUIET = 10.0   # ... or once the namespace made no progress for this long (as `kubelab check` gives up)
CHECK_QUIET = 5.0      # `kubelab check`'s own quiet give-up
PORT_WAIT = 300.0      # at most this long for a free node port (they are few and shared)


@dataclass
class Case:
    kind: str                      # alternative | mistake | solve-check
    lab: str
    step: str                      # solve-check: "*"
    path: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)   # mistakes: check, cause, patch

    @property
    def fresh(self) -> bool:
        """The case needs a namespace of its own (what a restore cannot put back; see the fixtures' README)."""
        if self.meta.get("fresh"):
            return True
        return bool(self.path and self.path.suffix in (".sh", ".yaml")
                    and "# case: fresh namespace" in self.path.read_text())

    @property
    def id(self) -> str:
        return f"{self.lab}/{self.step}/{self.path.name}" if self.path else self.lab


@dataclass
class CaseResult:
    outcomes: list[Outcome] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)        # hints in the order a learner would see them
    named: Outcome | None = None                          # mistakes: the outcome of the check they name
    named_hint: str | None = None                         # mistakes: that check's own hint (English)
    failed_steps: list[str] = field(default_factory=list)  # solve-check: steps whose check did not pass
    error: str = ""
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)   # solve-check: check time per step
    report: LabReport | None = None                       # its cleanup (namespace, what the sweep found)


def alternative_cases() -> list[Case]:
    return [Case("alternative", f.parent.parent.name, f.parent.name, f)
            for f in sorted(ALTERNATIVES.glob("*/*/*")) if f.suffix in (".yaml", ".sh")]


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


def solve_check_cases() -> list[Case]:
    return [Case("solve-check", p.parent.name, "*") for p in sorted((ROOT / "labs").glob("*/lab.yaml"))]


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
    assert case.path is not None
    if case.path.suffix == ".sh":
        r = subprocess.run(["bash", "-euo", "pipefail", str(case.path)], cwd=ROOT, capture_output=True, text=True,
                           env={**_kubectl_env(sess.kube, sess.namespace, sess.learner or ""),
                                **{k: v for k, v in sess.vars.items() if k == "NODE_PORT"}}, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"{case.path.name} exited {r.returncode}: {(r.stderr or r.stdout).strip()[-400:]}")
        return
    if case.meta.get("patch"):     # a patch is part of an object: no kind, so not loaded as a manifest
        target = Target.model_validate(_sub(case.meta["patch"], sess.vars))
        for d in (_sub(x, sess.vars) for x in safe_yaml.load_all_file(case.path) if x):
            kobj.patch_target(sess.kube, PatchSpec(target=target, type="strategic", patch=d), sess.namespace)
        return
    docs = kobj.load_documents(ApplySpec(file=case.path.name), case.path.parent, sess.vars)
    refused = case.meta.get("refused")    # the API server refuses the file, as it refuses the learner's kubectl apply
    try:
        kobj.apply_docs(sess.kube, docs, sess.namespace, sess.lab.id)
    except Exception as e:
        if refused and re.search(refused, describe_error(e), re.I):
            return                        # nothing changed: the check must still fail and say why
        raise
    if refused:
        raise RuntimeError(f"{case.path.name}: the API server was expected to refuse it ({refused}), but took it")


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


def _run_case(sess: Session, loaded: LoadedLab, case: Case, res: CaseResult) -> None:
    for s in loaded.lab.steps:
        if s.id == case.step:
            break
        _replay(sess, sess.step(s.id))
    else:
        raise LookupError(f"no step {case.step!r} in lab {case.lab}")
    own_step(sess, case, res)


def own_step(sess: Session, case: Case, res: CaseResult) -> None:
    """The case's step, with the case's file instead of the step's solve."""
    step = sess.step(case.step)
    sess.apply(step)
    sess.begin_step(step)
    samplers = sess.start_samplers(step)
    try:
        _act(sess, case)
        time.sleep(float(case.meta.get("settle", 0)))    # the data plane behind the API (a fixture's reason)
        if case.kind == "mistake":   # judged as a learner's `kubelab check` would be: no waiting for nothing
            res.outcomes = sess.check_step(step, samplers, timeout_cap=MISTAKE_CAP, quiet=MISTAKE_QUIET)
        else:
            res.outcomes = sess.check_step(step, samplers)
    finally:
        for smp in samplers.values():
            smp.stop()
    res.hints = shown_hints(step, res.outcomes, sess)
    if case.kind == "mistake":
        _name_outcome(res, step, case, sess)


def _run_solve_check(kube: Kube, sess: Session, loaded: LoadedLab, res: CaseResult) -> None:
    """Each step as `kubelab verify` judges it before its solve, then `kubelab solve <lab> <step>` and
    `kubelab check <lab> <step>` (two sessions, as two processes would be): the check must pass."""
    for s in loaded.lab.steps:
        if why := passes_before_solve(sess, s.id):
            res.failed_steps.append(s.id)
            res.error = f"step {s.id}: {why}"
            return
        if not solve_and_check(kube, sess, loaded, s.id, res):
            return     # later steps build on this one


def passes_before_solve(sess: Session, step_id: str) -> str:
    """`kubelab verify`'s must-fail phase at the step's start: what is wrong, or ""."""
    step = sess.step(step_id)
    sess.apply(step)
    sess.begin_step(step)
    failed = must_fail(sess, step, PRECHECK_WINDOW, StepReport(step_id, "passed"))
    return failed.message if failed is not None else ""


def solve_and_check(kube: Kube, sess: Session, loaded: LoadedLab, step_id: str, res: CaseResult,
                     fresh: bool = False) -> bool:
    """fresh: the step's start values are read now (cases of this step ran before, in this namespace)."""
    step = sess.step(step_id)
    sess.apply(step)
    sess.begin_step(step, fresh=fresh)
    sess.solve(step)
    checker = Session(kube, loaded, sess.learner, namespace=sess.namespace)
    t0 = time.monotonic()
    try:
        outs = checker.check_step(checker.step(step_id), {}, quiet=CHECK_QUIET)
    finally:
        checker.close()
    res.step_seconds[step_id] = time.monotonic() - t0
    res.outcomes += outs
    bad = [o for o in outs if not o.result.ok]
    if bad:
        res.failed_steps.append(step_id)
        res.error = res.error or f"step {step_id}: kubelab check fails after solve: {bad[0].label}: {bad[0].result.summary}"
    return not bad


def prepare(sess: Session) -> None:
    """The namespace and, for a lab with ${NODE_PORT}, a node port: only a few exist, shared with every
    other run on the cluster (other learners, the previous case's namespace still going): wait for one."""
    deadline = time.monotonic() + PORT_WAIT
    while True:
        try:
            sess.prepare()
            return
        except NoFreePort:
            if time.monotonic() > deadline:
                raise
            time.sleep(3)


def run_case(kube: Kube, case: Case, base: str, cleanups: Cleanups | None = None) -> CaseResult:
    """One job in a fresh namespace; with `cleanups` its deletion runs in the background (the caller's
    cleanups.finish() proves it complete), without, this waits until everything is gone."""
    t0 = time.monotonic()
    res = CaseResult()
    try:
        loaded: LoadedLab = find_lab(case.lab)
    except Exception as e:  # noqa: BLE001 - reported by the test
        res.error = f"lab {case.lab}: {describe_error(e)}"
        return res
    sess = Session(kube, loaded, f"{base[:30]}-{secrets.token_hex(3)}")
    res.report = LabReport(case.lab, sess.namespace)
    try:
        prepare(sess)
        if case.kind == "solve-check":
            _run_solve_check(kube, sess, loaded, res)
        else:
            _run_case(sess, loaded, case, res)
    except Exception as e:  # noqa: BLE001 - reported by the test
        res.error = describe_error(e)
    finally:
        sess.close()
        if cleanups is not None:
            cleanups.start(res.report, sess)
        else:
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
