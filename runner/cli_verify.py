"""`kubelab verify`: every lab's steps must fail before solve and pass after; labs this cluster cannot run
(their `requires:`) are listed as skipped with the reason, never counted as passed."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runner.loader import find_lab, load_all

if TYPE_CHECKING:
    from runner.cli import Ctx
    from runner.verify import StepReport


def verify(ctx: typer.Context, labs: list[str] = typer.Argument(None, help="lab ids or paths (default: all)"),
           junit: Path | None = typer.Option(None, help="write a JUnit XML report here"),
           parallel: int = typer.Option(1, help="labs verified at the same time"),
           keep: bool = typer.Option(False, help="keep the namespace after verifying"),
           window: float = typer.Option(3.0, help="longest a check must keep failing before solve (the phase ends "
                                                   "earlier once the step's objects are at rest and quiet)")) -> None:
    """For every step: check must FAIL, then solve, then check must PASS. Non-zero exit on any failure."""
    from runner.cli import _seconds  # here: runner.cli imports this module
    from runner.cli_cluster import health_gate
    from runner.junit import write_junit
    from runner.verify import failure_lines, verify_labs
    window = _seconds(window, "--window")
    c: Ctx = ctx.obj
    loaded = [find_lab(x) for x in labs] if labs else None
    if loaded is None:
        loaded, errors = load_all()
        if errors:
            for e in errors:
                c.out.err(e)
            raise typer.Exit(2)
        if not loaded:   # a CI job in the wrong folder must not pass by verifying nothing
            from runner.loader import labs_dir
            c.out.err(f"kubelab verify: no labs in {labs_dir()} (run where labs/ is, or give --labs-dir)")
            raise typer.Exit(2)
    kube = c.kube()
    health_gate(c)
    from runner.verify import runnable_here
    loaded, skipped = runnable_here(kube, loaded)

    def on_step(lab_id: str, rep: StepReport) -> None:
        style = {"passed": "green", "failed": "red", "declared": "yellow"}[rep.status]
        c.out.line(f"{lab_id} / {rep.step}: {rep.status}{' (' + rep.message + ')' if rep.status != 'passed' else ''}"
                   f" [{rep.seconds:.1f}s]", style)

    for r in skipped:
        c.out.line(f"{r.lab}: {r.skipped}", "yellow")
    from runner import verify_times
    start = verify_times.longest_first(loaded, verify_times.load(), lambda lab: lab.id) if parallel > 1 else loaded
    if not loaded:
        reports = []
    elif c.workshop and c.learner:    # a learner may not create namespaces: their provisioned verify namespaces
        from runner.workshop.verify import verify_labs as verify_workshop
        reports = verify_workshop(kube, start, c.learner, window, parallel, keep, on_step)
    else:
        from runner.verify_runs import run_learner
        reports = verify_labs(kube, start, run_learner(c.learner), window, parallel, keep, on_step)
    verify_times.save({r.lab: r.seconds for r in reports if r.ok})
    given = {lab.id: i for i, lab in reversed(list(enumerate(loaded)))}
    reports.sort(key=lambda r: given[r.lab])     # reported in the order asked for
    failed = [r for r in reports if not r.ok]
    for r in reports:
        for line in failure_lines(r):
            c.out.line(line, "red" if line.startswith("FAILED") else None)
        c.out.line(f"{r.lab}: {'OK' if r.ok else 'FAILED'} in {r.seconds:.1f}s" + (f" (kept {r.namespace})" if keep else ""),
                   "bold green" if r.ok else "bold red")
    if skipped:
        c.out.line(f"{len(reports) - len(failed)} passed, {len(failed)} failed, {len(skipped)} skipped "
                   f"(not runnable on this cluster: {', '.join(r.lab for r in skipped)})", "yellow")
    if junit:
        write_junit(junit, reports + skipped)
    c.out.flush_json([{"lab": r.lab, "ok": r.ok, "skipped": r.skipped or None, "seconds": round(r.seconds, 2), "error": r.error,
                       "steps": [{"step": s.step, "status": s.status, "phase": s.phase, "message": s.message,
                                  "checks": [{"check": o.label, "ok": o.result.ok, "summary": o.result.summary,
                                              "details": o.result.details + o.diagnostics} for o in s.outcomes]}
                                 for s in r.steps]} for r in reports + skipped])
    # Labs named on the command line that could not run were not verified: exit 3, never a pass.
    raise typer.Exit(1 if failed else (3 if skipped and labs else 0))
