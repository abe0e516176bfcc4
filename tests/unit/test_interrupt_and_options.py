"""Ctrl-C in the first seconds of any command, and duration options that cannot hang a command."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# The child says when it reaches kubelab's entry point: a signal before that lands in Python's own start-up
# (site import), which no program can intercept.
CHILD = "import os, sys; import runner.entry as e; os.write(1, b'R'); sys.argv = ['kubelab', '--plain', 'list']; e.main()"


def test_ctrl_c_while_the_command_is_still_loading_exits_quietly(tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none")}
    delays = [0.0, 0.1, 0.3, 0.6, 1.0, 1.5]
    procs = [subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in delays]
    for p, d in zip(procs, delays):
        assert p.stdout.read(1) == b"R"
        time.sleep(d)
        p.send_signal(signal.SIGINT)
    interrupted = 0
    for p in procs:
        _, err_b = p.communicate(timeout=60)
        err = err_b.decode()
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        if p.returncode == 130:
            interrupted += 1
            assert err.strip() in ("", "kubelab: interrupted"), err   # typer ends a running command with a newline
        else:
            assert p.returncode in (0, 1), (p.returncode, err)   # it finished before the signal
    assert interrupted >= 1


# The command is done and the process is ending: this exit function marks the moment and holds it open.
LATE_CHILD = ("import atexit, os, sys, time; import runner.entry as e\n"
              "atexit.register(lambda: (os.write(1, b'<exiting>'), time.sleep(1)))\n"
              "sys.argv = ['kubelab', '--plain', 'list']; e.main()")


def test_ctrl_c_while_python_exits_after_the_command_keeps_its_exit_status(tmp_path):
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none")}
    p = subprocess.Popen([sys.executable, "-c", LATE_CHILD], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    while not out.endswith(b"<exiting>"):
        chunk = p.stdout.read(1)
        assert chunk, (out, p.stderr.read())
        out += chunk
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 0 and b"pod" in out, (p.returncode, err)


@pytest.mark.parametrize("args, option", [
    (["check", "pod", "--wait", "inf"], "--wait"), (["check", "pod", "--wait", "1e300"], "--wait"),
    (["check", "pod", "--wait", "nan"], "--wait"), (["check", "pod", "--wait", "-1"], "--wait"),
    (["check", "pod", "--wait", "0"], "--wait"), (["run", "pod", "--check-wait", "inf"], "--check-wait"),
    (["verify", "pod", "--window", "1e300"], "--window"),
])
def test_duration_options_are_bounded(cli, args, option):
    code, out, err = cli(*args)
    assert code == 2 and "Traceback" not in err, err
    line = err.strip()
    assert "\n" not in line and line.startswith(f"kubelab: {option} must be"), line
