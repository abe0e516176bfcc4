"""`kubelab run`: the guided loop (explain, task, live observe, check, hints, solve), resumable."""
from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.live import Live

from runner import hints, views
from runner.accessors import involved
from runner.engine import Outcome, Session
from runner.fit import wrap_command
from runner.i18n import msg
from runner.placeholders import substitute
from runner.progress import LabProgress, ProgressStore, record_failure
from runner.render import Out, live_group
from runner.schema import Observe, Step, Text

QUIET = 5.0   # a learner's check gives up this long after the namespace stopped changing


def observe_tables(sess: Session, step: Step, lang: str) -> list[tuple[str, views.Table]]:
    out = []
    for o in step.observe:
        title = sess.text(o.title, lang) if o.title else msg(f"view_{o.view}", lang)
        out.append((title, observe_rows(sess, o)))
    return out


def observe_rows(sess: Session, o: Observe) -> views.Table:
    t = o.target
    sel = t.selector_str() if t else None
    if o.view == "pods":
        return views.pods(sess.informers.get("v1", "Pod", sess.namespace, sel).objects())
    if o.view == "pvcs":
        return views.pvcs(sess.informers.get("v1", "PersistentVolumeClaim", sess.namespace, sel).objects())
    assert t is not None      # the schema requires a target for the views below
    if o.view == "endpoints":
        return views.endpoints(sess.informers.get("discovery.k8s.io/v1", "EndpointSlice", sess.namespace,
                                                  f"kubernetes.io/service-name={t.name}").objects())
    if o.view == "events":
        evs = sess.informers.get("v1", "Event", sess.namespace).objects()
        # only the objects that exist now: a deleted (or deleted and recreated) object's events go
        uids = {x["metadata"].get("uid") for x in sess.informer(t).objects()}
        return views.events([e for e in evs if involved(e).get("kind") == t.kind and involved(e).get("uid") in uids])
    return views.objects(sess.informer(t).objects(), o.columns)


@contextmanager
def cbreak() -> Iterator[None]:
    """Single-key input without Enter; Ctrl-C still raises KeyboardInterrupt (ISIG stays on).
    TCSANOW, not tty's default TCSAFLUSH: a key typed while the question was being printed is its answer."""
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSANOW)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def read_key(out: Out, sess: Session, step: Step, lang: str) -> str:
    """Wait for a key; on a TTY keep the observe tables live meanwhile."""
    if not (out.rich and sys.stdin.isatty()):
        if step.observe:
            for title, rows in observe_tables(sess, step, lang):
                out.table(title, rows)
        out.line(msg("prompt", lang))
        line = sys.stdin.readline()
        if not line:
            return "q"          # EOF: behave like quit, progress is kept
        return line.strip().lower()[:1] or "\n"
    footer = msg("prompt", lang)
    fd = sys.stdin.fileno()
    with cbreak():
        termios.tcflush(fd, termios.TCIFLUSH)   # keys typed while a check ran are not answers to this prompt
        if not step.observe:
            out.line(footer, "bold")
            return os.read(fd, 1).decode(errors="ignore").lower()
        def area() -> Any:  # fitted to the terminal as it is now (it may be resized)
            w, h = out.console.size
            return live_group(observe_tables(sess, step, lang), footer, w, h, msg("more", lang))
        with Live(area(), console=out.console, refresh_per_second=4, transient=False) as live:
            while True:
                r, _, _ = select.select([fd], [], [], 0.25)
                if r:
                    return os.read(fd, 1).decode(errors="ignore").lower()
                live.update(area())


def show_step(out: Out, sess: Session, step: Step, index: int, total: int, lang: str) -> None:
    title = f"[{index + 1}/{total}] {sess.text(step.title, lang)}"
    body = sess.text(step.explain, lang)
    out.panel(title, body or " ")
    if step.task:
        task = sess.text(step.task.text, lang)
        if step.task.commands:
            width = max(20, out.console.width - 12)      # panel borders, code block padding, indent
            task += f"\n\n**{msg('try', lang)}:**\n\n" + "\n".join(
                f"    {line}" for c in step.task.commands for line in wrap_command(substitute(c, sess.vars), width))
        out.panel(msg("task", lang), task, style="yellow")


def reveal_hint(out: Out, sess: Session, step: Step, prog: LabProgress, lang: str,
                shown: list[Text], outs: list[Outcome] | None = None) -> None:
    """One more hint: the failing checks' own hints first, then the step's hints in order."""
    h = hints.next_hint(step, outs or [], shown)
    if h is None:
        out.line(f"({msg('hint', lang)}: {msg('no_more_hints', lang)})")
        return
    shown.append(h)
    prog.hints[step.id] = prog.hints.get(step.id, 0) + 1
    own = next((o.label for o in outs or [] if not o.result.ok and o.hint == h), None)
    title = f"{msg('hint_for', lang)} {own}" if own else f"{msg('hint', lang)} {len(shown)}/{len(hints.ordered(step, outs or []))}"
    out.panel(title, sess.text(h, lang), style="magenta")


def read_answer(out: Out) -> str:
    """One key (TTY) or one line, for a question outside the step prompt; EOF is q."""
    if not (out.rich and sys.stdin.isatty()):
        line = sys.stdin.readline()
        return (line.strip().lower()[:1] or "\n") if line else "q"
    with cbreak():
        return os.read(sys.stdin.fileno(), 1).decode(errors="ignore").lower()


def set_up_again(out: Out, sess: Session, step: Step, lang: str) -> bool:
    """The namespace went away under the learner: offer to create it and apply the step again."""
    out.line(msg("ns_gone", lang).format(ns=sess.namespace), "bold yellow")
    if read_answer(out) == "q":
        return False
    sess.close()                      # watches and the client pod belonged to the old namespace
    sess.prepare()                    # waits for a namespace still terminating, then creates it
    sess.apply(step)
    sess.begin_step(step, fresh=True)
    out.line(msg("step_again", lang), "bold")
    return True


def run_guided(out: Out, sess: Session, store: ProgressStore, lang: str, start: str | None = None,
               check_cap: float = 15.0) -> int:
    lab = sess.lab
    out.lang = lang
    prog = store.get(lab.id)
    ids = [s.id for s in lab.steps]
    first = start or (prog.step if prog.step in ids and not prog.finished else ids[0])
    resuming = start is None and bool(prog.step) and not prog.finished and prog.step in ids
    if resuming and prog.step is not None and prog.step != ids[0]:
        title = sess.text(lab.step(prog.step).title, lang)
        out.line(f"{msg('resume', lang)} {ids.index(prog.step) + 1}/{len(ids)}: {title}", "bold")
    out.panel(sess.text(lab.title, lang), sess.text(lab.concept, lang) + "\n\n" + f"**{msg('objectives', lang)}:**\n\n"
              + "\n".join(f"- {sess.text(o, lang)}" for o in lab.objectives)
              + (("\n\n" + sess.text(lab.intro, lang)) if lab.intro else ""), style="blue")
    sess.prepare()
    prog.finished = False
    for index in range(ids.index(first), len(ids)):
        step = sess.step(ids[index])
        prog.step = step.id
        store.put(lab.id, prog)
        show_step(out, sess, step, index, len(ids), lang)
        sess.apply(step)
        # resuming this very step keeps the values read when it first started
        sess.begin_step(step, fresh=not (resuming and index == ids.index(first)))
        samplers = sess.start_samplers(step)
        shown: list[Text] = []
        if not step.check:
            out.line("[Enter]")
            if read_key(out, sess, step, lang) == "q":
                for s in samplers.values():
                    s.stop()
                out.line(msg("saved", lang))
                return 0
        while step.check:
            key = read_key(out, sess, step, lang)
            if key == "q":
                out.line(msg("saved", lang))
                return 0
            if sess.namespace_lost():
                for s in samplers.values():
                    s.stop()
                if not set_up_again(out, sess, step, lang):
                    out.line(msg("saved", lang))
                    return 0
                samplers = sess.start_samplers(step)
                continue
            if key == "h":
                reveal_hint(out, sess, step, prog, lang, shown)
                store.put(lab.id, prog)
                continue
            t0 = time.monotonic()
            if key == "s":
                out.line(f"... {msg('solving', lang)}", "dim")
                try:
                    for d in sess.solve(step):
                        out.line(f"  {msg('solve', lang)}: {d}", "dim")
                except Exception as e:  # noqa: BLE001 - shown; the checks below say what is still missing
                    out.line(f"  {msg('solve', lang)}: {type(e).__name__}: {e}", "red")
                # the solution's own pace: no cap, no early give-up
                outs = sess.check_step(step, samplers)
            else:
                out.line(f"... {msg('checking', lang)}", "dim")
                outs = sess.check_step(step, samplers, timeout_cap=check_cap, quiet=QUIET)
            if all(o.result.ok for o in outs):
                out.outcomes(outs)
                out.line(f"{msg('passed', lang)} ({time.monotonic() - t0:.1f}s)", "bold green")
                break
            out.line(msg("failed", lang), "bold red")
            out.outcomes(outs)
            if any(o.kind == "invariant" and not o.result.ok for o in outs):
                # a broken promise stays broken in these samples: watch afresh for the learner's next try
                for s in samplers.values():
                    s.stop()
                samplers = sess.start_samplers(step)
            record_failure(prog, step.id, next(o.result.summary for o in outs if not o.result.ok))
            reveal_hint(out, sess, step, prog, lang, shown, outs)
            store.put(lab.id, prog)
        for s in samplers.values():
            s.stop()
        if step.id not in prog.completed:
            prog.completed.append(step.id)
        store.put(lab.id, prog)
    prog.finished, prog.step = True, None
    store.put(lab.id, prog)
    out.panel(msg("done", lang), msg("done_body", lang).format(n=len(ids), lab=lab.id, ns=sess.namespace),
              style="green")
    return 0
