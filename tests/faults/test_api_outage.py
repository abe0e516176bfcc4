"""The API server stopped for 25 s (its static-pod manifest moved away and back) while `kubelab verify`,
`kubelab check` and a guided `kubelab run` are busy: each retries and reaches the right verdict, or ends with
one clear line; never a traceback, never a hang, and a sample that could not be taken (the in-cluster HTTP
request goes through an exec via the API server) is never counted as a failed request."""
from __future__ import annotations

import json
import re
import subprocess
import threading
import time

import pytest

from tests.faults.faultkit import LAB, Outage, Proc, kubelab_cmd

pytestmark = pytest.mark.faults

LAB_ARG = str(LAB)
FALSE_FAILURE = re.compile(r"requests to \S+ failed|no response: ")     # what a lost sample used to read as
CLEAR_LINE = re.compile(r"API server unavailable for \d+ s|cannot reach the cluster|still starting|not observed yet|not listed yet"
                        r"|no sample|could not be made|could not be taken|connection through the API server")
VERDICT = re.compile(r"^(FAILED faults / step \w+ / [\w-]+: .+|faults: error: .+)$", re.MULTILINE)


def solve(env: dict[str, str], *steps: str) -> None:
    for s in steps:
        r = subprocess.run(kubelab_cmd("--lang", "en", "--plain", "solve", LAB_ARG, s), env=env, capture_output=True,
                           text=True, timeout=240)
        assert r.returncode == 0, f"solve {s}: {r.stdout}{r.stderr}"


def checks_meanwhile(env: dict[str, str], stop: threading.Event, results: list[tuple[int, str, float, float]]) -> None:
    """`kubelab check` of a passing step, one after the other, before, during and after the outage
    (rc, output, seconds, start)."""
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            r = subprocess.run(kubelab_cmd("--lang", "en", "--plain", "check", LAB_ARG, "scale"), env=env,
                               capture_output=True, text=True, timeout=180)
            results.append((r.returncode, r.stdout + r.stderr, time.monotonic() - t0, t0))
        except subprocess.TimeoutExpired as e:
            results.append((-1, f"HUNG: {e}", time.monotonic() - t0, t0))
        stop.wait(2)


def test_api_server_away_during_verify_check_and_run(cluster, env, tmp_path, record_property):
    # the check's learner has passed web and scale; the run's learner sits at the last step's prompt
    solve(env("fc"), "web", "scale")
    solve(env("fr"), "web", "scale")
    run = Proc(("--lang", "en", "--plain", "run", LAB_ARG), env("fr")).start()
    run.wait_for(r"\[3/3\]", 180)
    run.wait_for(r"\[Enter\] check", 120)
    verify = Proc(("--lang", "en", "--plain", "verify", LAB_ARG), env("fv")).start()
    verify.wait_for(r"faults / web: passed", 300)     # the outage falls into step scale (its invariants)
    stop, results = threading.Event(), []
    checker = threading.Thread(target=checks_meanwhile, args=(env("fc"), stop, results), daemon=True)
    checker.start()

    outage = Outage(cluster, 25).start()
    cluster.wait("API server down", lambda: not cluster.api_up(), 90, 0.5)
    run.send("\n")                                     # the learner checks the step while the API server is away
    down_for = outage.join()
    record_property("api_server_down_s", round(down_for, 1))
    run.send("s\n")                                    # and solves it once it is back
    rc_run = run.finish(300)
    rc_verify = verify.finish(600)
    stop.set()
    checker.join(200)

    print(f"\nAPI server down {down_for:.0f}s; verify rc {rc_verify}, run rc {rc_run}; checks (rc, seconds): "
          f"{[(rc, round(secs)) for rc, _, secs, _ in results]}\n--- verify\n{verify.text}\n--- run\n{run.text}\n--- checks\n"
          + "\n".join(f"[{rc}] {t.strip()[-400:]}" for rc, t, _, _ in results if rc))
    for name, text in [("run", run.text), ("verify", verify.text)] + [(f"check #{i}", t) for i, (_, t, _, _) in enumerate(results)]:
        assert "Traceback" not in text, f"{name}:\n{text}"
        assert not FALSE_FAILURE.search(text), f"{name} counted a sample it could not take as a failed request:\n{text}"

    # verify: the right verdict (the lab is correct), or a clear one: the step, the phase and why (on a loaded
    # machine the pods started after the outage may miss the lab's timeout; the reason then says so)
    assert rc_verify == 0 or (rc_verify == 1 and VERDICT.search(verify.text)), verify.text
    # check: passes, or fails in one line naming the cause; never hangs
    assert all(rc != -1 for rc, _, _, _ in results), results
    for rc, text, secs, _ in results:
        lines = [x for x in text.splitlines() if x.strip()]
        if rc == 0:
            assert "scale: PASS" in text, text
        else:
            assert CLEAR_LINE.search(text), f"check failed without saying why ({secs:.0f}s):\n{text}"
            assert rc in (1, 2) and (rc == 1 or len(lines) == 1), text
    assert any(rc == 0 for rc, _, _, _ in results), "no check passed (before or after the outage)"
    # a check that waits the outage out and then passes is as right as one that fails saying why (both asserted above)
    assert any(t0 < outage.up_at and t0 + secs > outage.down_at for _, _, secs, t0 in results), (
        f"no check ran during the outage ({down_for:.0f}s)")
    # run: the check during the outage said why it failed; after it, the solve passed and the lab finished
    assert rc_run == 0, run.text
    during = run.text.split("[Enter] check", 1)[1]
    assert "Not yet" in during and (CLEAR_LINE.search(during) or "stdout: expected 'hello'" in during), run.text
    assert "Step passed" in during.split("Not yet", 1)[1], run.text
    progress = json.loads((tmp_path / "state" / "kubelab" / "progress-fr.json").read_text())
    assert progress["faults"]["finished"] is True, progress
