"""`kubelab verify`: for every step, the check must fail before solve and pass after it."""
from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from runner import verify_runs
from runner.cluster.client import Kube
from runner.cluster.reset import sweep
from runner.engine import Outcome, Session, WaitFailed
from runner.errors import describe_error
from runner.loader import LoadedLab
from runner.placeholders import namespace_for
from runner.schema import Step
from runner.settle import Settle

# The must-fail phase: a check must keep failing until the step's objects are at rest and quiet
# (runner/settle.py), at most this long (the ceiling catches what never settles).
PRECHECK_WINDOW = 3.0
SWEEP_TIMEOUT = 180.0


@dataclass
class StepReport:
    step: str
    status: str                      # passed | failed | declared
    phase: str = ""                  # where it failed: apply | must-fail | solve | check
    message: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class LabReport:
    lab: str
    namespace: str
    steps: list[StepReport] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    reset: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)     # what the final sweep still found (a failure)
    skipped: str = ""      # "not runnable on this cluster: <reason>": not verified, so neither ok nor failed

    @property
    def ok(self) -> bool:
        return not self.skipped and not self.error and not self.left and all(s.status != "failed" for s in self.steps)

    @property
    def failed(self) -> bool:
        return not self.skipped and not self.ok


def runnable_here(kube: Kube, labs: list[LoadedLab]) -> tuple[list[LoadedLab], list[LabReport]]:
    """The labs this cluster can run, and a skipped report (with the reason) for each other one. The cluster is
    read only when a lab declares `requires:` (runner/cluster/offers.py, once per run)."""
    if not any(lab.lab.requires for lab in labs):
        return labs, []
    from runner.cluster.offers import offers
    here = offers(kube)
    run, skipped = [], []
    for lab in labs:
        why = here.not_runnable(lab.lab.requires)
        if why:
            skipped.append(LabReport(lab.id, "", skipped=why))
        else:
            run.append(lab)
    return run, skipped


def verify_step(sess: Session, step_id: str, window: float) -> StepReport:
    t0 = time.monotonic()
    step = sess.step(step_id)
    rep = StepReport(step_id, "passed")
    try:
        sess.apply(step)
        sess.begin_step(step)     # `at: start` values, read before anything is solved
    except Exception as e:  # noqa: BLE001 - reported as the step's failure
        return StepReport(step_id, "failed", "apply", f"apply failed: {describe_error(e)}", seconds=time.monotonic() - t0)
    failed = must_fail(sess, step, window, rep)
    if failed is not None:
        failed.seconds = time.monotonic() - t0
        return failed
    samplers = sess.start_samplers(step)
    try:
        sess.solve(step)
    except Exception as e:  # noqa: BLE001
        for s in samplers.values():
            s.stop()
        outs = [e.outcome] if isinstance(e, WaitFailed) else []
        why = e if isinstance(e, WaitFailed) else describe_error(e)
        return StepReport(step_id, "failed", "solve", f"solve failed: {why}", outs, time.monotonic() - t0)
    try:
        rep.outcomes = sess.check_step(step, samplers)
    finally:        # a check_step that raises (e.g. the API gone while diagnosing) must not leave samplers running
        for s in samplers.values():
            s.stop()
    bad = [o for o in rep.outcomes if not o.result.ok]
    if bad:
        rep.status, rep.phase, rep.message = "failed", "check", bad[0].result.summary
    rep.seconds = time.monotonic() - t0
    return rep


def must_fail(sess: Session, step: Step, window: float, rep: StepReport) -> StepReport | None:
    """Right after the step's apply: every check must fail (a check that already passes proves nothing about
    the learner's work) until the step's objects are at rest and quiet, or the ceiling `window` (a check that
    passes "by itself" once a controller or the kubelet finishes what the apply started is still seen).
    Returns the failed report, or None (rep marked "declared" for a step that says its check cannot fail)."""
    plain = [c for c in step.check if c.kind != "invariant"]
    if step.check and step.check_cannot_fail:
        rep.status, rep.message = "declared", f"check cannot fail: {step.check_cannot_fail}"
    elif step.check and not plain:
        return StepReport(step.id, "failed", "must-fail", "only invariants: add a check that fails before solve "
                          "or declare check_cannot_fail")
    elif plain:
        settle = Settle(sess, step, plain)
        t_mf = time.monotonic()
        try:
            results = sess.wait_many(plain, window, lambda rs: any(r.ok for r in rs) or settle.calm(),
                                     wake_in=settle.wake_in)
        finally:
            settle.close()
        if any(r.ok for r in results):
            outs = [Outcome(c.label(), c.kind, r, time.monotonic() - t_mf) for c, r in zip(plain, results) if r.ok]
            names = ", ".join(repr(o.label) for o in outs)
            return StepReport(step.id, "failed", "must-fail",
                              f"check {names} passes before solve: it cannot tell whether the learner did the task "
                              "(fix the check, or declare check_cannot_fail: <reason>)", outs)
    return None


def verify_steps(sess: Session, report: LabReport, window: float,
                 on_step: Callable[[str, StepReport], None] | None = None) -> None:
    """Every step in order, into report; the first failed step ends it (later steps build on it)."""
    for s in sess.lab.steps:
        rep = verify_step(sess, s.id, window)
        report.steps.append(rep)
        if on_step:
            on_step(sess.lab.id, rep)
        if rep.status == "failed":
            break


class Cleanups:
    """Deletions of finished labs run in the background; `finish` sweeps once for all of them."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self._runs: list[tuple[LabReport, Session, threading.Thread]] = []
        self._marks: list[verify_runs.RunMark] = []

    def start(self, report: LabReport, sess: Session, mark: verify_runs.RunMark | None = None) -> None:
        def run() -> None:
            try:
                report.reset = sess.start_reset()
            except Exception as e:  # noqa: BLE001 - reported on the lab; the sweep still looks
                report.error = report.error or f"reset failed: {describe_error(e)}"
            finally:
                sess.close()       # watches a cleanup action opened
        th = threading.Thread(target=run, daemon=True, name=f"reset-{report.namespace}")
        th.start()
        self._runs.append((report, sess, th))
        self._marks += [mark] if mark else []

    def finish(self, timeout: float = SWEEP_TIMEOUT) -> dict[str, list[str]]:
        """Wait for every run's deletions to be issued, then until all is gone; a run with leftovers fails."""
        for _, _, th in self._runs:
            th.join()
        runs = {r.namespace: s.cluster_kinds() for r, s, _ in self._runs}
        left = sweep(self.kube, runs, timeout)
        for r, _, _ in self._runs:
            r.left = left.get(r.namespace, [])
            if r.left:
                r.error = r.error or f"left behind after {timeout:.0f}s: {', '.join(r.left)}"
        for m in self._marks:
            m.release()
        return left


def run_namespace(lab_id: str, learner: str) -> str:
    """A fresh namespace per verify run: nothing of an earlier (or still deleting) run can be in it."""
    return namespace_for(lab_id, f"{learner[:40]}-{secrets.token_hex(3)}")


def verify_lab(kube: Kube, loaded: LoadedLab, learner: str = "verify", window: float = PRECHECK_WINDOW,
               keep: bool = False, on_step: Callable[[str, StepReport], None] | None = None,
               cleanups: Cleanups | None = None) -> LabReport:
    """Verify one lab in a fresh namespace. With `cleanups`, its deletion runs in the background and the
    caller's cleanups.finish() proves it complete; without, this waits until everything is gone."""
    t0 = time.monotonic()
    sess = Session(kube, loaded, learner, namespace=run_namespace(loaded.id, learner))
    report = LabReport(loaded.id, sess.namespace)
    run = verify_runs.mark(loaded.id, learner, sess.namespace)    # free once killed: `kubelab reset` then removes it
    try:
        sess.prepare()
        verify_steps(sess, report, window, on_step)
    except Exception as e:  # noqa: BLE001 - a lab-level error (cluster gone, namespace stuck) is reported
        report.error = describe_error(e)
    finally:
        sess.close()
        if keep:
            run.release()
        elif cleanups is not None:
            cleanups.start(report, sess, run)
        else:
            try:
                report.reset = sess.reset(SWEEP_TIMEOUT)
            except Exception as e:  # noqa: BLE001
                report.error = report.error or f"reset failed: {describe_error(e)}"
            finally:
                sess.close()
                run.release()
    report.seconds = time.monotonic() - t0
    return report


def verify_labs(kube: Kube, labs: list[LoadedLab], learner: str = "verify", window: float = PRECHECK_WINDOW,
                parallel: int = 1, keep: bool = False,
                on_step: Callable[[str, StepReport], None] | None = None) -> list[LabReport]:
    """Several labs, `parallel` at a time; cleanup never holds up the next lab, one sweep at the end."""
    cleanups = Cleanups(kube)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        reports = list(pool.map(lambda lab: verify_lab(kube, lab, learner, window, keep, on_step, cleanups), labs))
    cleanups.finish()
    return reports


def failure_lines(report: LabReport) -> list[str]:
    """What a CI log needs: lab, step, check, the diff and the events."""
    out = []
    if report.error:
        out.append(f"{report.lab}: error: {report.error}")
    for s in report.steps:
        if s.status != "failed":
            continue
        out.append(f"FAILED {report.lab} / step {s.step} / {s.phase}: {s.message}")
        for o in s.outcomes:
            if s.phase == "must-fail" or not o.result.ok:
                mark = "passes before solve" if s.phase == "must-fail" else "FAILED"
                out.append(f"  check {o.label!r} ({o.kind}) {mark}: {o.result.summary}")
                out += [f"    {d}" for d in o.result.details]
                out += [f"    {d}" for d in o.diagnostics]
    return out

