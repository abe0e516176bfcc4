"""`kubelab workshop up|down|status`: the instructor's commands (need cluster-admin)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from runner.engine import Session
    from runner.loader import LoadedLab

workshop_app = typer.Typer(no_args_is_help=True, help="Many learners on one cluster: accounts, namespaces, kubeconfigs.")


def session_for(c: Any, loaded: LoadedLab) -> Session:
    """A workshop learner's session (provisioned namespace, object-by-object reset) or the usual one."""
    if c.workshop:
        from runner.workshop.session import WorkshopSession
        return WorkshopSession(c.kube(), loaded, c.learner)
    from runner.engine import Session
    return Session(c.kube(), loaded, c.learner)


def _learners(learners: int | None, roster: Path | None) -> list[str]:
    from runner.workshop import roster as r
    if (learners is None) == (roster is None):
        raise r.RosterError("give either --learners N or --roster FILE")
    return r.from_count(learners) if learners is not None else r.from_file(roster)  # type: ignore[arg-type]


def _fail(e: Exception) -> None:
    typer.echo(f"kubelab workshop: {e}", err=True)
    raise typer.Exit(2)


@workshop_app.command("up")
def up(ctx: typer.Context,
       learners: int | None = typer.Option(None, help="number of learners (learner-1 ... learner-N)"),
       roster: Path | None = typer.Option(None, help="file with one learner name per line"),
       labs: list[str] | None = typer.Option(None, "--labs", help="lab ids to provision (default: all)"),
       out: Path = typer.Option(Path("workshop"), help="folder for the kubeconfig files and learners.md"),
       hours: float = typer.Option(12.0, help="how long the learners' tokens stay valid"),
       server: str | None = typer.Option(None, help="API server URL learners use (default: yours)")) -> None:
    """Create (or bring up to date) every learner's namespaces, RBAC, quota and kubeconfig. Idempotent."""
    from runner.loader import load_all
    from runner.workshop.roster import RosterError
    try:
        names = _learners(learners, roster)
    except RosterError as e:
        return _fail(e)
    if not 0.1 <= hours <= 24 * 7:
        return _fail(ValueError(f"--hours must be between 0.1 and 168 (got {hours:g})"))
    all_labs, errors = load_all()
    ids = labs or [lab.id for lab in all_labs]
    unknown = sorted(set(ids) - {lab.id for lab in all_labs})
    if unknown or (errors and not labs):
        return _fail(ValueError(f"unknown lab(s): {', '.join(unknown)}" if unknown else errors[0]))
    from runner.workshop import provision
    c: Any = ctx.obj
    kube = c.kube()
    plans, needs = provision.plans_for(kube, names, [lab for lab in all_labs if lab.id in ids])
    for n in needs.values():
        for b in n.blockers:
            c.out.line(f"lab {n.lab} cannot run for a learner here: {b}", "yellow")
    try:
        issued = provision.up(kube, plans, out, hours, kube.context or "kubelab", server, progress=c.out.line,
                              node_port_labs=frozenset(n.lab for n in needs.values() if n.node_port))
    except RuntimeError as e:
        return _fail(e)
    c.out.line(f"{len(issued)} learners ready; hand out the files in {out}/ (list: {out}/learners.md)")
    c.out.flush_json([{"learner": i.learner, "kubeconfig": str(i.kubeconfig), "namespaces": i.namespaces,
                       "expires": i.expires} for i in issued])


@workshop_app.command("down")
def down(ctx: typer.Context,
         learners: int | None = typer.Option(None, help="learner-1 ... learner-N"),
         roster: Path | None = typer.Option(None, help="file with one learner name per line"),
         all_: bool = typer.Option(False, "--all", help="every workshop learner on this cluster")) -> None:
    """Delete the learners' namespaces, RBAC and the shared workshop roles (with --all)."""
    from runner.workshop import provision
    from runner.workshop.roster import RosterError
    try:
        names = None if all_ else _learners(learners, roster)
    except RosterError as e:
        return _fail(e)
    c: Any = ctx.obj
    removed = provision.down(c.kube(), names, progress=c.out.line)
    c.out.flush_json({"removed": removed})


@workshop_app.command("status")
def status(ctx: typer.Context) -> None:
    """Learners on this cluster: namespaces, pods, pods not running."""
    from runner.workshop import provision
    c: Any = ctx.obj
    rows = provision.status(c.kube())
    c.out.table("workshop", (["LEARNER", "NAMESPACES", "PODS", "NOT RUNNING"],
                             [[r["learner"], str(r["namespaces"]), str(r["pods"]), str(r["not_running"])] for r in rows]))
    c.out.flush_json(rows)


def board(ctx: typer.Context,
          host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(0, help="port (default: a free one, printed)")) -> None:
    """Instructor board: every learner's progress, live, in the browser (CSV/JSON export)."""
    import socket

    import uvicorn

    from runner.board.server import make_app
    from runner.board.state import LabInfo
    from runner.loader import load_all
    c: Any = ctx.obj
    labs, _ = load_all()
    app = make_app(c.kube(), [LabInfo(lab.id, [s.id for s in lab.lab.steps]) for lab in labs])
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    shown = f"[{host}]" if ":" in host else host
    c.out.line(f"board on http://{shown}:{sock.getsockname()[1]}/ (Ctrl-C stops it)")
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
