"""A verify run's mark: a live run's namespace is never called killed; a run killed with -9 is, for its lab and
learner only."""
import signal
import subprocess
import sys
from pathlib import Path

from runner import verify_runs


def test_a_live_run_is_not_killed_and_a_finished_one_leaves_nothing(tmp_path: Path) -> None:
    run = verify_runs.mark("service", "verify", "lab-service-verify-a1b2c3", tmp_path)
    assert verify_runs.killed("service", "verify", tmp_path) == []
    run.release()
    run.release()                        # twice is harmless
    assert verify_runs.killed("service", "verify", tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_a_run_killed_with_minus_9_is_found_for_its_lab_and_learner_only(tmp_path: Path) -> None:
    code = ("import sys, time; from pathlib import Path; from runner import verify_runs; "
            f"verify_runs.mark('service', 'verify-ana', 'lab-service-verify-ana-d4e5f6', Path({str(tmp_path)!r})); "
            "print('marked', flush=True); time.sleep(60)")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "marked"
        assert verify_runs.killed("service", "verify-ana", tmp_path) == []      # alive: its lock is held
        p.send_signal(signal.SIGKILL)
        p.wait(10)
    finally:
        p.kill()
    assert verify_runs.killed("service", "verify-ana", tmp_path) == ["lab-service-verify-ana-d4e5f6"]
    assert verify_runs.killed("service", "verify", tmp_path) == []           # another learner's runs
    assert verify_runs.killed("pod", "verify-ana", tmp_path) == []           # another lab's
    verify_runs.forget("lab-service-verify-ana-d4e5f6", tmp_path)
    assert verify_runs.killed("service", "verify-ana", tmp_path) == []


def test_a_mark_emptied_by_a_release_under_way_is_not_a_killed_run(tmp_path: Path) -> None:
    (tmp_path / "lab-pod-verify-0a0b0c.json").write_text("")
    (tmp_path / "lab-pod-verify-0d0e0f.json").write_text("{not json")
    assert verify_runs.killed("pod", "verify", tmp_path) == []
    assert verify_runs.run_learner(None) == "verify" and verify_runs.run_learner("ana") == "verify-ana"
