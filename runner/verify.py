"""`kubelab verify`: for every step, the check must fail before solve and pass after it."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from runner.cluster.client import Kube, describe_error
from runner.engine import Outcome, Session, WaitFailed
from runner.loader import LoadedLab

PRECHECK_WINDOW = 3.0   # how long a check must stay failing before solve (catches "passes by itself")


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

    @property
    def ok(self) -> bool:
        return not self.error and all(s.status != "failed" for s in self.steps)


def verify_step(sess: Session, step_id: str, window: float) -> StepReport:
    t0 = time.monotonic()
    step = sess.step(step_id)
    rep = StepReport(step_id, "passed")
    try:
        sess.apply(step)
        sess.begin_step(step)     # `at: start` values, read before anything is solved
    except Exception as e:  # noqa: BLE001 - reported as the step's failure
        return StepReport(step_id, "failed", "apply", f"apply failed: {describe_error(e)}", seconds=time.monotonic() - t0)
    plain = [c for c in step.check if c.kind != "invariant"]
    if step.check and step.check_cannot_fail:
        rep.status, rep.message = "declared", f"check cannot fail: {step.check_cannot_fail}"
    elif step.check and not plain:
        return StepReport(step_id, "failed", "must-fail", "only invariants: add a check that fails before solve "
                          "or declare check_cannot_fail", seconds=time.monotonic() - t0)
    elif plain:
        # Every check, not just the step as a whole, must fail before solve: a check that already
        # passes proves nothing about the learner's work.
        results = sess.wait_many(plain, window, lambda rs: any(r.ok for r in rs))
        if any(r.ok for r in results):
            outs = [Outcome(c.label(), c.kind, r, window) for c, r in zip(plain, results) if r.ok]
            names = ", ".join(repr(o.label) for o in outs)
            return StepReport(step_id, "failed", "must-fail",
                              f"check {names} passes before solve: it cannot tell whether the learner did the task "
                              "(fix the check, or declare check_cannot_fail: <reason>)", outs,
                              time.monotonic() - t0)
    samplers = sess.start_samplers(step)
    try:
        sess.solve(step)
    except Exception as e:  # noqa: BLE001
        for s in samplers.values():
            s.stop()
        outs = [e.outcome] if isinstance(e, WaitFailed) else []
        return StepReport(step_id, "failed", "solve", f"solve failed: {e if isinstance(e, WaitFailed) else describe_error(e)}", outs, time.monotonic() - t0)
    rep.outcomes = sess.check_step(step, samplers)
    for s in samplers.values():
        s.stop()
    bad = [o for o in rep.outcomes if not o.result.ok]
    if bad:
        rep.status, rep.phase, rep.message = "failed", "check", bad[0].result.summary
    rep.seconds = time.monotonic() - t0
    return rep


def verify_lab(kube: Kube, loaded: LoadedLab, learner: str = "verify", window: float = PRECHECK_WINDOW,
               keep: bool = False, on_step: Callable[[str, StepReport], None] | None = None) -> LabReport:
    t0 = time.monotonic()
    sess = Session(kube, loaded, learner)
    report = LabReport(loaded.id, sess.namespace)
    try:
        sess.reset()          # a previous interrupted run must not make checks pass early
        sess.prepare()
        for s in loaded.lab.steps:
            rep = verify_step(sess, s.id, window)
            report.steps.append(rep)
            if on_step:
                on_step(loaded.id, rep)
            if rep.status == "failed":
                break         # later steps build on this one
    except Exception as e:  # noqa: BLE001 - a lab-level error (cluster gone, namespace stuck) is reported
        report.error = describe_error(e)
    finally:
        if not keep:
            try:
                report.reset = sess.reset()
            except Exception as e:  # noqa: BLE001
                report.error = report.error or f"reset failed: {describe_error(e)}"
        sess.close()
    report.seconds = time.monotonic() - t0
    return report


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

