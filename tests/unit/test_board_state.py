"""The board's model and exports are pure functions of the progress records."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from runner.board.state import STUCK_SECONDS, LabInfo, board, to_csv
from runner.progress import LabProgress, after_check, stamp
from runner.progress_cluster import parse

LABS = [LabInfo("pod", ["duo", "shared-volume", "ipc"]), LabInfo("service", ["service", "nodeport"])]


def cm(learner: str, **labs: LabProgress) -> dict:
    return {"metadata": {"labels": {"kubelab.io/learner": learner}},
            "data": {k: json.dumps(asdict(v)) for k, v in labs.items()}}


def test_cells_follow_progress() -> None:
    now = 10_000.0
    fresh = LabProgress(step="shared-volume", completed=["duo"], step_started=now - 30, hints={"duo": 1})
    stuck = LabProgress(step="duo", step_started=now - STUCK_SECONDS - 1, failures={"duo": 1},
                        last_failure={"duo": "duo: not found"})
    model = board([cm("bob", pod=stuck), cm("ann", pod=fresh, service=LabProgress(finished=True,
                                                                                   completed=["service", "nodeport"]))],
                  LABS, now)
    ann, bob = model["learners"]
    assert ann["learner"] == "ann" and bob["learner"] == "bob"
    pod = ann["cells"][0]
    assert pod["state"] == "active" and pod["steps"] == {"duo": "done", "shared-volume": "current", "ipc": "todo"}
    assert pod["seconds_on_step"] == 30 and pod["hints"] == 1
    assert ann["cells"][1]["state"] == "done"
    assert bob["cells"][0]["state"] == "stuck" and bob["cells"][0]["last_failure"] == "duo: not found"
    assert bob["cells"][1]["state"] == "todo"


def test_three_failures_is_stuck() -> None:
    model = board([cm("ann", pod=LabProgress(step="duo", step_started=0.0, failures={"duo": 3}))], LABS, 1.0)
    assert model["learners"][0]["cells"][0]["state"] == "stuck"


def test_csv_has_a_row_per_learner_and_lab() -> None:
    model = board([cm("ann", pod=LabProgress(step="ipc", completed=["duo", "shared-volume"], step_started=0.0,
                                             failures={"ipc": 2, "duo": 5},
                                             last_failure={"ipc": 'exec: "x", failed'}))], LABS, 5.0)
    rows = list(csv.DictReader(io.StringIO(to_csv(model))))
    assert [(r["learner"], r["lab"]) for r in rows] == [("ann", "pod"), ("ann", "service")]
    assert rows[0]["steps_done"] == "2" and rows[0]["current_step"] == "ipc" and rows[0]["failures"] == "2"
    assert rows[0]["last_failure"] == 'exec: "x", failed'


def test_parse_tolerates_unknown_and_broken_records() -> None:
    assert parse('{"step": "duo", "from_a_newer_kubelab": 1}').step == "duo"
    assert parse("{not json") == LabProgress()
    assert parse('["a list"]') == LabProgress()


def test_after_check_moves_on_or_records_why() -> None:
    ids = ["a", "b"]
    p = after_check(LabProgress(), ids, "a", False, "a: not found")
    assert (p.step, p.failures, p.last_failure) == ("a", {"a": 1}, {"a": "a: not found"})
    p = after_check(p, ids, "a", True, None)
    assert (p.step, p.completed, p.finished) == ("b", ["a"], False)
    assert after_check(p, ids, "b", True, None).finished


def test_stamp_restarts_the_clock_on_a_new_step() -> None:
    old = LabProgress(step="a", step_started=1.0)
    same = stamp(old, LabProgress(step="a", step_started=1.0), 9.0)
    assert (same.step_started, same.updated) == (1.0, 9.0)
    assert stamp(old, LabProgress(step="b", step_started=1.0), 9.0).step_started == 9.0
