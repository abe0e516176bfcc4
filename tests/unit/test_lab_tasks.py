"""The learner writes the objects: no task hands out the command that completes it.

For every step that has a solve:
* the last hint holds the ready-made command (a `kubectl ...` / `kubelab ...` line);
* the task's suggested commands only look (get, describe, logs, exec without writing...);
* neither the task text (any language) nor its commands contain a command of that last hint.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from runner.loader import discover, load_lab_file

# kubectl verbs that change objects; `exec` counts when its command writes or removes something.
MUTATING = {"apply", "create", "patch", "set", "delete", "expose", "scale", "replace", "run", "edit",
            "label", "annotate", "autoscale", "taint", "cordon", "drain", "rollout undo", "rollout restart",
            "rollout pause", "rollout resume"}
WRITING_EXEC = re.compile(r"(?<![<>2&])>(?!&)|\b(rm|touch|mkdir|cp|mv|kill)\b")


def _texts(t: object) -> list[str]:
    if isinstance(t, str):
        return [t]
    if isinstance(t, dict):
        return [v for v in t.values() if isinstance(v, str)]
    values = getattr(t, "values", None)       # runner.schema_base.Text: {lang: text} (or a file)
    return [v for v in values.values() if isinstance(v, str)] if isinstance(values, dict) else []


def _commands(line: str) -> list[str]:
    """Split a shell line into simple commands (&&, ||, ;, |), dropping comments."""
    line = re.split(r"\s#\s", line, maxsplit=1)[0]
    parts = re.split(r"&&|\|\||;|\|(?!\|)", line)
    return [" ".join(p.split()) for p in parts if p.strip()]


def _verb(cmd: str) -> str | None:
    """The kubectl verb of a command ('rollout undo' for two-word ones), None if not kubectl."""
    try:
        words = shlex.split(cmd)
    except ValueError:
        words = cmd.split()
    words = [w for w in words if "=" not in w or w.startswith("-")]  # drop VAR=value prefixes
    if not words or Path(words[0]).name not in ("kubectl", "kubelab"):
        return None
    rest, i = words[1:], 0
    while i < len(rest) and rest[i].startswith("-"):
        i += 1 if "=" in rest[i] or rest[i] in ("--all-namespaces", "-A") else 2   # -n NS, --context C
    rest = rest[i:]
    if not rest:
        return None
    if Path(words[0]).name == "kubelab":
        return f"kubelab {rest[0]}"
    two = " ".join(rest[:2])
    return two if two in MUTATING else rest[0]


def mutates(cmd: str) -> bool:
    v = _verb(cmd)
    if v is None:
        return False
    if v in MUTATING or v == "kubelab apply":
        return True
    return v == "exec" and bool(WRITING_EXEC.search(cmd.split(" -- ", 1)[-1]))


# Labs whose tasks are being rewritten by someone else right now: reported as xfail (not as passed)
# until they comply, then they pass like the others. (ingress complies now: it passes like the others.)
PENDING: dict[str, str] = {}


def _labs() -> list[object]:
    return [pytest.param(p, marks=pytest.mark.xfail(reason=PENDING[p.parent.name], strict=False))
            if p.parent.name in PENDING else p for p in discover()]


@pytest.mark.parametrize("path", _labs(), ids=lambda p: Path(p).parent.name)
def test_tasks_leave_the_work_to_the_learner(path: Path) -> None:
    loaded = load_lab_file(path)
    problems: list[str] = []
    for step in loaded.lab.steps:
        if not step.solve or step.task is None:
            continue
        where = f"{loaded.id}/{step.id}"
        if not step.hints:
            problems.append(f"{where}: no hints (the last one holds the ready-made command)")
            continue
        last = [c for line in _texts(step.hints[-1]) for c in _commands(line)]
        ready = [c for c in last if mutates(c)]
        if not ready:
            problems.append(f"{where}: the last hint has no command that does the task: {_texts(step.hints[-1])[:1]}")
        for cmd in step.task.commands:
            for c in _commands(cmd):
                if mutates(c):
                    problems.append(f"{where}: task command does the work itself: {c!r}")
        texts = [" ".join(t.split()) for t in _texts(step.task.text)] + [" ".join(c.split()) for c in step.task.commands]
        for r in ready:
            for t in texts:
                if r in t:
                    problems.append(f"{where}: the task contains the last hint's command {r!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("cmd,expected", [
    ("kubectl -n ns apply -f x.yaml", True),
    ("kubectl -n ns get pods -o wide", False),
    ("kubectl -n ns exec duo -c shell -- sh -c 'echo hi > /shared/note.txt'", True),
    ("kubectl -n ns exec duo -c web -- cat /shared/note.txt", False),
    ("kubectl -n ns exec client -- sh -c 'wget -qO- http://web/ 2>/dev/null'", False),
    ("kubectl -n ns rollout undo deployment/web", True),
    ("kubectl -n ns rollout status deployment/web", False),
    ("KUBELAB_LEARNER=x kubelab apply pv-pvc claim.yaml", True),
    ("kubelab render pv-pvc claim.yaml", False),
    ("curl -s http://127.0.0.1:30080/", False),
])
def test_mutates(cmd: str, expected: bool) -> None:
    assert mutates(cmd) is expected
