"""The course author's commands: `kubelab new` (a lab from a working template) and `kubelab lint` (every
check that needs no cluster)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from runner.cli import Ctx


def new(ctx: typer.Context, lab_id: str = typer.Argument(..., metavar="ID", help="the new lab's id, e.g. my-first-lab")) -> None:
    """Start a lab from a working template (one step: apply, observe, check, hints, solve; en and ko)."""
    from runner.loader import find_labs_dir
    from runner.scaffold import ScaffoldError, create
    c: Ctx = ctx.obj
    try:
        written = create(find_labs_dir() or Path.cwd() / "labs", lab_id)
    except ScaffoldError as e:
        c.out.err(f"kubelab new: {e}")
        raise typer.Exit(2) from None
    for p in written:
        c.out.line(f"  wrote {p}")
    c.out.line(f"next: kubelab lint {lab_id}; kubelab cluster up; kubelab verify {lab_id}; kubelab run {lab_id}")
    c.out.flush_json({"lab": lab_id, "files": [str(p) for p in written]})


def lint(ctx: typer.Context, labs: list[str] = typer.Argument(None, help="lab ids or paths (default: every lab)")) -> None:
    """Check labs without a cluster: schema, files, manifests, images, texts. Exit 1 on any problem."""
    from runner.lint import Context, lab_files, lint_lab
    c: Ctx = ctx.obj
    paths, errors = lab_files(labs or [])
    for e in errors:
        c.out.err(e)
    lint_ctx = Context.load()
    problems = [p for path in paths for p in lint_lab(path, lint_ctx)]
    for p in problems:
        c.out.line(str(p), "yellow" if p.warning else "red")
        c.out.record(file=str(p.file), line=p.line, message=p.message, warning=p.warning)
    n_err = sum(not p.warning for p in problems)
    c.out.line(f"{len(paths)} lab(s): {n_err} problem(s), {len(problems) - n_err} warning(s)",
               "bold red" if n_err else "bold green")
    c.out.flush_json()
    raise typer.Exit(1 if n_err or errors or not paths else 0)
