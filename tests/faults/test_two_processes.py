"""Two kubelab processes on the same learner and lab: a second `run` is refused in one line while the first
holds the lab; `reset` during a `run` goes ahead, says so, and the run notices its namespace is gone and
offers to set the step up again or to quit with its place kept. The progress file stays valid throughout."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.faults.faultkit import LAB, Terminal, kubelab_cmd

pytestmark = pytest.mark.faults


def test_second_run_is_refused_and_reset_during_run_is_survived(cluster, env, tmp_path):
    e = env("fl")
    state = tmp_path / "state" / "kubelab"
    a = Terminal(["--lang", "en", "run", str(LAB)], e)
    try:
        a.wait_for(r"\[Enter\] check", 180)
        b = subprocess.run(kubelab_cmd("--lang", "en", "--plain", "run", str(LAB)), env=e, capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert b.returncode == 2, b.stdout + b.stderr
        assert f"already running for learner fl (pid {a.p.pid})" in b.stderr and "Traceback" not in b.stderr, b.stderr
        assert len(b.stderr.strip().splitlines()) == 1, b.stderr

        r = subprocess.run(kubelab_cmd("--lang", "en", "--plain", "reset", str(LAB)), env=e, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"is running for learner fl (pid {a.p.pid})" in r.stderr, r.stderr
        json.loads((state / "progress-fl.json").read_text())      # valid after the reset's write

        mark = len(a.screen)
        a.type("\n")                           # the learner checks: the namespace is gone
        a.wait_for(r"namespace .* is gone", 120, since=mark)
        a.type("q")                            # keep the place and leave: progress saved, exit 0
        assert a.finish(60) == 0, a.screen[-3000:]
        assert "Traceback" not in a.screen
    finally:
        a.close()
    p = json.loads((state / "progress-fl.json").read_text())
    assert p.get("faults", {}).get("step") in (None, "web"), p      # cleared by the reset, or the step kept
