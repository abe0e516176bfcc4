"""`kubelab` command line (typer). Errors are one line on stderr with a non-zero exit, never a traceback."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from runner.cli_authoring import lint, new
from runner.cli_cluster import bundle_app, cluster_app, health_gate
from runner.cli_verify import verify
from runner.cli_workshop import board, session_for, workshop_app
from runner.errors import ClusterUnavailable, KubelabError, describe_error
from runner.i18n import detect
from runner.loader import LabError, LoadedLab, find_lab
from runner.progress import ProgressStore, after_check
from runner.render import Out
from runner.typer_lite import install as install_typer_lite

# The client library and the engine take ~0.7 s to import: only commands that talk to the cluster load them,
# so `list`, `show`, `status` and `--help` start fast.
if TYPE_CHECKING:
    from runner.cluster.client import Kube
    from runner.requires import Offers
    from runner.schema import Text

install_typer_lite()   # str and Path options without pydantic: ~0.15 s less CPU on every command
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Kubernetes labs on a live kind cluster, checked automatically.")
app.add_typer(cluster_app, name="cluster")
app.add_typer(workshop_app, name="workshop")
app.command("board")(board)
app.add_typer(bundle_app, name="bundle")


@dataclass
class Ctx:
    kubeconfig: str | None
    context: str | None
    learner: str | None
    lang: str
    out: Out
    workshop: bool = False       # the kubeconfig is a workshop learner's: progress lives in the cluster
    _kube: Kube | None = None

    def kube(self) -> Kube:
        if self._kube is None:
            from runner.cluster.client import connect
            self._kube = connect(self.kubeconfig, self.context)
        return self._kube

    def store(self) -> ProgressStore:
        if self.workshop and self.learner:
            from runner.progress_cluster import ClusterProgressStore
            return ClusterProgressStore(self.kube(), self.learner)  # type: ignore[return-value]
        return ProgressStore(self.learner)


@app.callback()
def main_options(ctx: typer.Context,
                 kubeconfig: str | None = typer.Option(None, help="kubeconfig file (default: $KUBECONFIG, the kind cluster's)"),
                 context: str | None = typer.Option(None, help="kubeconfig context (default: kind-kubelab if present)"),
                 learner: str | None = typer.Option(None, envvar="KUBELAB_LEARNER", help="learner name: own namespace and progress"),
                 lang: str | None = typer.Option(None, help="language of lab text (en, ko; default: locale)"),
                 json_out: bool = typer.Option(False, "--json", help="machine-readable output"),
                 plain: bool = typer.Option(False, help="plain lines even on a TTY"),
                 labs_dir: Path | None = typer.Option(None, envvar="KUBELAB_LABS",
                                                         help="the labs folder (default: labs/ here or in a parent)")) -> None:
    if labs_dir:
        os.environ["KUBELAB_LABS"] = str(labs_dir.resolve())   # read by runner.loader.labs_dir()
    mode = "json" if json_out else ("plain" if plain else None)
    from runner.cluster.kubeconfig import learner_of, resolve_context, resolve_kubeconfig
    path = resolve_kubeconfig(kubeconfig)
    workshop_learner = learner_of(path, resolve_context(path, context))   # a workshop kubeconfig names its learner
    ctx.obj = Ctx(kubeconfig, context, learner or workshop_learner, detect(lang), Out(mode, detect(lang)),
                  workshop=workshop_learner is not None)


def _seconds(value: float, option: str) -> float:
    """A duration option: finite, more than 0, at most an hour (limits.seconds), else one line, exit 2."""
    from runner import limits
    try:
        return limits.seconds(value, option)
    except ValueError as e:
        raise LabError(f"kubelab: {e}") from None


def _lab(c: Ctx, name: str) -> LoadedLab:
    return find_lab(name)


def _step_id(loaded: LoadedLab, step: str | None, c: Ctx) -> str:
    ids = [s.id for s in loaded.lab.steps]
    if step is None:
        cur = c.store().get(loaded.id).step
        return cur if cur in ids else ids[0]
    if step.isdigit() and 1 <= int(step) <= len(ids):
        return ids[int(step) - 1]
    if step not in ids:
        raise LabError(f"lab {loaded.id} has no step {step!r} (steps: {', '.join(ids)})")
    return step


@app.command("list")
def list_labs(ctx: typer.Context,
              offline: bool = typer.Option(False, "--offline", help="do not ask the cluster which labs it can run")) -> None:
    """List the labs, and whether the cluster can run each (a lab's `requires:`)."""
    from runner import labindex
    c: Ctx = ctx.obj
    labs, errors = labindex.load_all()
    progress = c.store().all()
    here, note = _offers_for_list(c, [] if offline else [r for lab in labs for r in lab.lab.requires])
    rows = []
    for lab in labs:
        p = progress.get(lab.id)
        state = "done" if p and p.finished else (f"at {p.step}" if p and p.step else "-")
        why = here.not_runnable(lab.lab.requires) if here else None
        runs = "?" if here is None and lab.lab.requires else ("no" if why else "yes")
        rows.append([lab.id, lab.text(lab.lab.title, c.lang), str(len(lab.lab.steps)), state, runs])
        c.out.record(id=lab.id, title=lab.text(lab.lab.title, c.lang), steps=len(lab.lab.steps), progress=state,
                     requires=list(lab.lab.requires), not_runnable=why)
    c.out.table("labs", (["ID", "TITLE", "STEPS", "PROGRESS", "RUNS HERE"], rows))
    for lab in labs:
        why = here.not_runnable(lab.lab.requires) if here else None
        if why:
            c.out.line(f"{lab.id}: {why}", "yellow")
    if note:
        c.out.line(note, "yellow")
    for e in errors:
        c.out.err(e)
    c.out.flush_json()
    if errors:
        raise typer.Exit(1)


def _offers_for_list(c: Ctx, requires: list[str]) -> tuple[Offers | None, str]:
    """What this cluster offers, read only when a lab requires something and a kubeconfig is there; else a note."""
    from runner import offers_cache
    from runner.cluster.kubeconfig import resolve_context, resolve_kubeconfig
    if not requires:
        return None, ""
    path = resolve_kubeconfig(c.kubeconfig)
    if not path or not Path(path).is_file():
        return None, "no kubeconfig: whether each lab can run on your cluster is not checked (RUNS HERE ?)"
    key = offers_cache.key(path, resolve_context(path, c.context))
    kept = offers_cache.load(key) if key else None     # read within the last minutes: no client, no API reads
    if kept:
        return kept, ""
    try:
        from runner.cluster.offers import offers
        return offers(c.kube()), ""                     # kept by offers() for the next list
    except Exception as e:  # noqa: BLE001 - list works without a cluster
        return None, f"cluster not reachable ({describe_error(e)}): RUNS HERE not checked"


@app.command()
def show(ctx: typer.Context, lab: str) -> None:
    """Show a lab: concept, objectives and steps."""
    from runner import labindex
    c: Ctx = ctx.obj
    loaded = labindex.find_lab(lab)
    L = loaded.lab
    from runner.placeholders import namespace_for, substitute
    ns = namespace_for(L.id, c.learner)
    names = {"NAMESPACE": ns, "LAB": L.id, "LEARNER": c.learner or "", "HOST_SUFFIX": f"{ns}.localtest.me"}

    def t(x: Text | None) -> str:
        return str(substitute(loaded.text(x, c.lang), names))
    body = t(L.concept) + "\n\n" + "\n".join(f"- {t(o)}" for o in L.objectives)
    if L.intro:
        body += "\n\n" + t(L.intro)
    c.out.panel(f"{L.id}: {t(L.title)}", body)
    rows = [[str(i + 1), s.id, t(s.title), ", ".join(ch.kind for ch in s.check) or "-",
             "cannot fail" if s.check_cannot_fail else ""] for i, s in enumerate(L.steps)]
    c.out.table("steps", (["#", "ID", "TITLE", "CHECKS", ""], rows))
    c.out.flush_json({"id": L.id, "title": t(L.title), "concept": t(L.concept),
                      "objectives": [t(o) for o in L.objectives],
                      "steps": [{"id": s.id, "title": t(s.title), "checks": [ch.label() for ch in s.check]}
                                for s in L.steps]})


@app.command()
def run(ctx: typer.Context, lab: str, step: str | None = typer.Option(None, "--step", help="jump to this step"),
        check_wait: float = typer.Option(15.0, help="seconds a check waits for the state to settle")) -> None:
    """Guided mode: step by step, waits for you, checks, reveals hints. Ctrl-C keeps your place."""
    from runner.guided import run_guided
    check_wait = _seconds(check_wait, "--check-wait")
    c: Ctx = ctx.obj
    loaded = _lab(c, lab)
    start = _step_id(loaded, step, c) if step else None
    from runner.runlock import run_lock
    with run_lock(c.learner, loaded.id):      # a second `run` of this lab and learner: one line, exit 2
        try:
            health_gate(c)
            from runner.verify import runnable_here
            if (skipped := runnable_here(c.kube(), [loaded])[1]):    # the cluster lacks what the lab `requires:`
                c.out.err(f"kubelab run {loaded.id}: {skipped[0].skipped}")
                raise typer.Exit(3)
            sess = session_for(c, loaded)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        try:
            raise typer.Exit(run_guided(c.out, sess, c.store(), c.lang, start, check_wait))
        except KeyboardInterrupt:
            from runner.i18n import msg
            c.out.line("")
            c.out.line(msg("saved", c.lang))
            raise typer.Exit(130) from None
        finally:
            sess.close()


@app.command()
def check(ctx: typer.Context, lab: str, step: str | None = typer.Argument(None),
          wait: float | None = typer.Option(None, help="cap on each check's timeout (seconds)")) -> None:
    """Check one step (default: your current step). Exit 0 if it passes."""
    wait = _seconds(wait, "--wait") if wait is not None else None
    c: Ctx = ctx.obj
    loaded = _lab(c, lab)
    sid = _step_id(loaded, step, c)
    sess = session_for(c, loaded)
    try:
        s = sess.step(sid)
        # invariants are judged on samples taken now; give up early once nothing changes any more
        outs = sess.check_step(s, {}, timeout_cap=wait, quiet=5.0)
        ok = all(o.result.ok for o in outs)
        store = c.store()
        reason = next((o.result.summary for o in outs if not o.result.ok), None)
        store.put(loaded.id, after_check(store.get(loaded.id), [x.id for x in loaded.lab.steps], sid, ok, reason))
        from runner.i18n import msg
        c.out.line(f"{loaded.id} / {sid}: {msg('pass' if ok else 'fail', c.lang)}", "bold green" if ok else "bold red")
        c.out.outcomes(outs)
        c.out.flush_json({"lab": loaded.id, "step": sid, "ok": ok, "checks": [
            {"check": o.label, "kind": o.kind, "ok": o.result.ok, "summary": o.result.summary,
             "details": o.result.details + o.diagnostics} for o in outs]})
        raise typer.Exit(0 if ok else 1)
    finally:
        sess.close()


@app.command()
def solve(ctx: typer.Context, lab: str, step: str | None = typer.Argument(None)) -> None:
    """Apply and solve one step (default: your current step) — for demos and to skip."""
    c: Ctx = ctx.obj
    loaded = _lab(c, lab)
    sid = _step_id(loaded, step, c)
    sess = session_for(c, loaded)
    from runner.engine import WaitFailed  # here: `list` and `--help` must not import the client
    try:
        sess.prepare()
        s = sess.step(sid)
        done = sess.apply(s)
        sess.begin_step(s, fresh=False)     # values read at step start, kept if `run` started the step
        try:
            done += sess.solve(s)
        except WaitFailed as e:     # the cause (pull error, crash loop...) and its details, not a traceback
            c.out.line(f"{loaded.id} / {sid}: not solved: {e.outcome.result.summary}", "bold red")
            c.out.outcomes([e.outcome])
            c.out.flush_json({"lab": loaded.id, "step": sid, "ok": False, "error": e.outcome.result.summary})
            raise typer.Exit(1) from None
        for d in done:
            c.out.line(f"  {d}")
        store = c.store()
        prog = store.get(loaded.id)
        if sid not in prog.completed:
            prog.completed.append(sid)
        ids = [x.id for x in loaded.lab.steps]
        nxt = ids.index(sid) + 1
        prog.step, prog.finished = (ids[nxt], False) if nxt < len(ids) else (None, True)
        store.put(loaded.id, prog)
        c.out.line(f"{loaded.id} / {sid}: solved")
        c.out.flush_json({"lab": loaded.id, "step": sid, "done": done})
    finally:
        sess.close()


@app.command()
def render(ctx: typer.Context, lab: str, file: str = typer.Argument(..., help="a file of the lab (manifests/<id>/) or a path")) -> None:
    """Print a manifest with ${NAMESPACE}, ${NODE_PORT}... filled in (e.g. | kubectl apply -f -)."""
    from runner.learner_files import find_file, render_text
    c: Ctx = ctx.obj
    loaded = _lab(c, lab)
    sess = session_for(c, loaded)
    try:
        sys.stdout.write(render_text(sess, find_file(loaded, file)))
    finally:
        sess.close()


@app.command("apply")
def apply_cmd(ctx: typer.Context, lab: str, file: str = typer.Argument(..., help="a file of the lab (manifests/<id>/) or a path")) -> None:
    """Apply a manifest into the lab's namespace with ${NAMESPACE}, ${NODE_PORT}... filled in."""
    from runner.learner_files import apply_file, find_file
    c: Ctx = ctx.obj
    loaded = _lab(c, lab)
    sess = session_for(c, loaded)
    try:
        for d in apply_file(sess, find_file(loaded, file)):
            c.out.line(f"{d} applied in {sess.namespace}")
    finally:
        sess.close()


@app.command()
def reset(ctx: typer.Context, lab: str) -> None:
    """Delete the lab's namespace and cluster-scoped objects, and forget progress (killed verify runs of it go too)."""
    from runner.cluster.reset import leftovers
    from runner.runlock import holder
    c: Ctx = ctx.obj
    loaded = _lab(c, lab)
    sess = session_for(c, loaded)
    pid = holder(c.learner, loaded.id)
    if pid is not None:
        c.out.err(f"kubelab: `kubelab run {loaded.id}` is running for learner {c.learner or 'default'} (pid {pid}): "
                  "resetting anyway; that run will offer to set its step up again")
    removed = sess.reset()
    c.store().clear(loaded.id)
    left = [] if c.workshop else leftovers(c.kube(), sess.namespace, sess.cluster_kinds())  # a learner's reset waits itself
    if not c.workshop:
        from runner.verify_runs import reset_killed, run_learner
        removed += reset_killed(c.kube(), loaded, run_learner(c.learner))
    for r in removed:
        c.out.line(f"  removed {r}")
    for f in sess.cleanup_failures:
        c.out.line(f"  cleanup failed: {f}", "red")
    c.out.line(f"{loaded.id}: reset ({sess.namespace})" + (f"; LEFT BEHIND: {', '.join(left)}" if left else "")
               + (f"; {len(sess.cleanup_failures)} cleanup action(s) failed" if sess.cleanup_failures else ""))
    c.out.flush_json({"lab": loaded.id, "namespace": sess.namespace, "removed": removed, "left": left,
                      "cleanup_failed": sess.cleanup_failures})
    raise typer.Exit(1 if left or sess.cleanup_failures else 0)


@app.command()
def status(ctx: typer.Context) -> None:
    """Progress of all labs for this learner."""
    from runner import labindex
    c: Ctx = ctx.obj
    labs, _ = labindex.load_all()
    prog = c.store().all()
    rows = []
    for lab in labs:
        p = prog.get(lab.id)
        n = len(lab.lab.steps)
        done = len(p.completed) if p else 0
        rows.append([lab.id, f"{done}/{n}", "finished" if p and p.finished else (p.step or "-") if p else "-"])
        c.out.record(lab=lab.id, completed=done, steps=n, current=p.step if p else None,
                     finished=bool(p and p.finished))
    for lab_id, p in sorted(prog.items()):   # labs run by path (e.g. test fixtures) have progress too
        if lab_id not in {lab.id for lab in labs}:
            rows.append([lab_id, f"{len(p.completed)}", "finished" if p.finished else (p.step or "-")])
            c.out.record(lab=lab_id, completed=len(p.completed), steps=None, current=p.step, finished=p.finished)
    c.out.table(f"progress ({c.learner or 'default'})", (["LAB", "DONE", "CURRENT"], rows))
    c.out.flush_json()


app.command()(verify)   # runner/cli_verify.py
app.command()(new)     # runner/cli_authoring.py
app.command()(lint)


def main() -> None:
    """Entry point: turn expected errors into one line on stderr."""
    from runner.argv import hoist_globals
    args = hoist_globals(sys.argv[1:])
    if not args or "--help" in args:
        from runner.typer_lite import import_help_formatter
        import_help_formatter()
    try:
        app(args=args, standalone_mode=True)
    except LabError as e:
        print(str(e), file=sys.stderr)
        sys.exit(2)
    except ClusterUnavailable as e:
        print(f"kubelab: {e}", file=sys.stderr)
        sys.exit(2)
    except (KubelabError, TimeoutError, LookupError, ValueError, RuntimeError, OSError) as e:
        _one_line(e)
    except Exception as e:
        # the client library's errors are translated at runner/cluster/; one that slipped through still gets a line
        edge = sys.modules.get("runner.cluster.client")
        if edge is None or edge.translate(e) is e:
            raise
        _one_line(edge.translate(e))


def _one_line(e: BaseException) -> NoReturn:
    if os.environ.get("KUBELAB_DEBUG"):
        raise e
    print(f"kubelab: {describe_error(e)}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
