"""`kubelab run`: the guided loop (explain, task, live observe, check, hints, solve), resumable."""
from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty
from contextlib import contextmanager
from typing import Iterator

from rich.live import Live

from runner import views
from runner.engine import Session
from runner.i18n import msg
from runner.progress import LabProgress, ProgressStore
from runner.render import Out, live_group
from runner.schema import Observe, Step


def observe_tables(sess: Session, step: Step, lang: str) -> list[tuple[str, views.Table]]:
    out = []
    for o in step.observe:
        title = sess.text(o.title, lang) if o.title else o.view
        out.append((title, observe_rows(sess, o)))
    return out


def observe_rows(sess: Session, o: Observe) -> views.Table:
    t = o.target
    sel = t.selector_str() if t else None
    if o.view == "pods":
        return views.pods(sess.informers.get("v1", "Pod", sess.namespace, sel).objects())
    if o.view == "pvcs":
        return views.pvcs(sess.informers.get("v1", "PersistentVolumeClaim", sess.namespace, sel).objects())
    if o.view == "endpoints":
        return views.endpoints(sess.informers.get("discovery.k8s.io/v1", "EndpointSlice", sess.namespace,
                                                  f"kubernetes.io/service-name={t.name}").objects())
    if o.view == "events":
        evs = sess.informers.get("v1", "Event", sess.namespace).objects()
        return views.events([e for e in evs if (e.get("involvedObject") or {}).get("kind") == t.kind
                             and (t.name is None or e["involvedObject"].get("name") == t.name)])
    return views.objects(sess.informer(t).objects(), o.columns)


@contextmanager
def cbreak() -> Iterator[None]:
    """Single-key input without Enter; Ctrl-C still raises KeyboardInterrupt (ISIG stays on)."""
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
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
        with Live(live_group(observe_tables(sess, step, lang), footer), console=out.console,
                  refresh_per_second=4, transient=False) as live:
            while True:
                r, _, _ = select.select([fd], [], [], 0.25)
                if r:
                    return os.read(fd, 1).decode(errors="ignore").lower()
                live.update(live_group(observe_tables(sess, step, lang), footer))


def show_step(out: Out, sess: Session, step: Step, index: int, total: int, lang: str) -> None:
    title = f"[{index + 1}/{total}] {sess.text(step.title, lang)}"
    body = sess.text(step.explain, lang)
    out.panel(title, body or " ")
    if step.task:
        task = sess.text(step.task.text, lang)
        if step.task.commands:
            task += f"\n\n**{msg('try', lang)}:**\n\n" + "\n".join(f"    {c}" for c in step.task.commands)
        out.panel(msg("task", lang), task, style="yellow")


def reveal_hint(out: Out, sess: Session, step: Step, prog: LabProgress, lang: str) -> None:
    n = prog.hints.get(step.id, 0)
    if n < len(step.hints):
        prog.hints[step.id] = n + 1
        out.panel(f"{msg('hint', lang)} {n + 1}/{len(step.hints)}", sess.text(step.hints[n], lang), style="magenta")
    else:
        out.line(f"({msg('hint', lang)}: -)")


def run_guided(out: Out, sess: Session, store: ProgressStore, lang: str, start: str | None = None,
               check_cap: float = 15.0) -> int:
    lab = sess.lab
    prog = store.get(lab.id)
    ids = [s.id for s in lab.steps]
    first = start or (prog.step if prog.step in ids and not prog.finished else ids[0])
    if start is None and prog.step and not prog.finished and prog.step != ids[0]:
        out.line(f"{msg('resume', lang)}: {prog.step}", "bold")
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
        samplers = sess.start_samplers(step)
        if not step.check:
            out.line("[Enter]")
            read_key(out, sess, step, lang)
        while step.check:
            key = read_key(out, sess, step, lang)
            if key == "q":
                out.line(msg("saved", lang))
                return 0
            if key == "h":
                reveal_hint(out, sess, step, prog, lang)
                store.put(lab.id, prog)
                continue
            if key == "s":
                for d in sess.solve(step):
                    out.line(f"  solve: {d}", "dim")
            t0 = time.monotonic()
            out.line(f"... {msg('checking', lang)}", "dim")
            outs = sess.check_step(step, samplers, timeout_cap=check_cap)
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
            reveal_hint(out, sess, step, prog, lang)
            store.put(lab.id, prog)
        for s in samplers.values():
            s.stop()
        if step.id not in prog.completed:
            prog.completed.append(step.id)
        store.put(lab.id, prog)
    prog.finished, prog.step = True, None
    store.put(lab.id, prog)
    out.panel(msg("done", lang), "", style="green")
    return 0
