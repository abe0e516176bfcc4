"""The board's model, folded from the learners' progress ConfigMaps (pure: no cluster, no web)."""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import Any

from runner.accessors import labels
from runner.progress import LabProgress
from runner.progress_cluster import parse

STUCK_SECONDS = 600      # on one step for 10 minutes
STUCK_FAILURES = 3       # or this many failed checks on it


@dataclass(frozen=True)
class LabInfo:
    id: str
    steps: list[str]


@dataclass
class Cell:
    lab: str
    steps: dict[str, str] = field(default_factory=dict)   # step id -> done | current | todo
    state: str = "todo"                                   # todo | active | stuck | done
    current: str | None = None
    seconds_on_step: int | None = None
    failures: int = 0
    last_failure: str | None = None
    hints: int = 0
    updated: float | None = None


def cell(info: LabInfo, p: LabProgress | None, now: float) -> Cell:
    c = Cell(info.id, {s: "todo" for s in info.steps})
    if p is None:
        return c
    for s in p.completed:
        if s in c.steps:
            c.steps[s] = "done"
    c.hints, c.updated = sum(p.hints.values()), p.updated
    if p.finished or (c.steps and all(v == "done" for v in c.steps.values())):
        c.state = "done"
        return c
    c.current = p.step
    c.failures, c.last_failure = p.failures.get(p.step or "", 0), p.last_failure.get(p.step or "")
    if p.step in c.steps and c.steps[p.step] != "done":
        c.steps[p.step] = "current"
    c.seconds_on_step = int(now - p.step_started) if p.step_started else None
    stuck = (c.seconds_on_step or 0) >= STUCK_SECONDS or c.failures >= STUCK_FAILURES
    c.state = "stuck" if stuck else ("active" if p.step or p.completed else "todo")
    return c


def board(configmaps: list[dict[str, Any]], labs: list[LabInfo], now: float) -> dict[str, Any]:
    """{labs: [{id, steps}], learners: [{learner, cells: [Cell...]}]}, learners sorted by name."""
    rows = []
    for cm in configmaps:
        learner = labels(cm).get("kubelab.io/learner")
        if not learner:
            continue
        data = cm.get("data") or {}
        rows.append({"learner": learner,
                     "cells": [asdict(cell(info, parse(data[info.id]) if info.id in data else None, now))
                               for info in labs]})
    rows.sort(key=lambda r: r["learner"])
    return {"labs": [asdict(i) for i in labs], "learners": rows, "now": now}


CSV_COLUMNS = ["learner", "lab", "state", "steps_done", "steps_total", "current_step", "seconds_on_step",
               "failures", "last_failure", "hints"]


def to_csv(model: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for row in model["learners"]:
        for c in row["cells"]:
            w.writerow([row["learner"], c["lab"], c["state"], sum(v == "done" for v in c["steps"].values()),
                        len(c["steps"]), c["current"] or "", "" if c["seconds_on_step"] is None else c["seconds_on_step"],
                        c["failures"], c["last_failure"] or "", c["hints"]])
    return buf.getvalue()
