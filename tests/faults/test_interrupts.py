"""Ctrl-C at every moment of a guided `kubelab run` (the step's apply, the live view, a check, a solve), on a
pseudo-terminal as a learner has it: no traceback, the terminal restored (line mode, echo, cursor), and the
next run resumes at the same step. `kill -9` mid-step: the progress file is intact and the run resumes."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.faults.faultkit import LAB, Terminal
from tests.faults.test_api_outage import solve

pytestmark = pytest.mark.faults

RESUME = r"Resuming at step 2/3"


def start(env: dict[str, str]) -> Terminal:
    return Terminal(["--lang", "en", "run", str(LAB)], env)


def interrupted(t: Terminal, moment: str) -> None:
    t.ctrl_c()
    rc = t.finish(90)
    screen = t.screen
    assert "Traceback" not in screen and "KeyboardInterrupt" not in screen, f"{moment}:\n{screen[-3000:]}"
    assert rc == 130 and "Progress saved" in screen, f"{moment}: exit {rc}\n{screen[-3000:]}"
    assert t.restored(), f"{moment}: terminal left in cbreak mode or the cursor hidden"


def progress(tmp_path, learner: str) -> dict:
    return json.loads((tmp_path / "state" / "kubelab" / f"progress-{learner}.json").read_text())


def test_ctrl_c_at_every_moment_of_a_step(cluster, env, tmp_path):
    e = env("fi")
    solve(e, "web")                       # the run resumes at step 2/3 (scale), which has a live view
    moments = {
        "apply": lambda t: None,          # Ctrl-C as soon as the step is shown: its apply is under way
        "live view": lambda t: (t.wait_for(r"\[Enter\] check", 120), time.sleep(1.5)),
        "check": lambda t: (t.wait_for(r"\[Enter\] check", 120), t.type("\n"), t.wait_for(r"checking", 60), time.sleep(1)),
        "solve": lambda t: (t.wait_for(r"\[Enter\] check", 120), t.type("s"), t.wait_for(r"solving", 60), time.sleep(0.5)),
    }
    for moment, reach in moments.items():
        t = start(e)
        try:
            t.wait_for(RESUME, 120)
            t.wait_for(r"\[2/3\]", 60)
            reach(t)
            interrupted(t, moment)
        finally:
            t.close()
        assert progress(tmp_path, "fi")["faults"]["step"] == "scale", moment
    t = start(e)
    try:
        t.wait_for(RESUME, 120)             # the last interruption too: resumed at the same step
        t.wait_for(r"\[Enter\] check", 120)
        t.type("q")
        assert t.finish(60) == 0
    finally:
        t.close()


def test_kill_9_mid_step_keeps_the_progress_file(cluster, env, tmp_path):
    e = env("fk")
    solve(e, "web")
    for i, delay in enumerate([0.5, 2.0, None]):
        t = start(e)
        try:
            if delay is None:              # mid-solve
                t.wait_for(r"\[Enter\] check", 120)
                t.type("s")
                t.wait_for(r"solving", 60)
            else:                          # wherever the run is by then
                t.wait_for(RESUME if i else r"", 120)
                time.sleep(delay)
            os.killpg(t.p.pid, signal.SIGKILL)
            t.p.wait(30)
        finally:
            t.close()
        p = progress(tmp_path, "fk")      # parses: every write is atomic
        assert p["faults"]["step"] == "scale" and "web" in p["faults"]["completed"], p
        assert not list((tmp_path / "state" / "kubelab").glob("*.damaged-*"))
    t = start(e)
    try:
        t.wait_for(RESUME, 120)
        t.wait_for(r"\[Enter\] check", 120)
        t.type("q")
        assert t.finish(60) == 0
    finally:
        t.close()
