"""`build/cluster.sh up` for a suite's own cluster (the fault suite's, the second cluster's), never the shared one."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

SCRIPT = str(Path(__file__).resolve().parents[1] / "build" / "cluster.sh")


def down(env: dict[str, str]) -> None:
    subprocess.run(["bash", SCRIPT, "down"], env=env, check=False, capture_output=True, timeout=300)


def bring_up(env: dict[str, str], name: str) -> bool:
    """`up`; when it fails, delete the cluster and try once more from nothing (a leftover that `up` cannot bring
    up to date, or a create that failed beside the lab cases). True when it started over. A second failure
    deletes what is half made (it would eat CPU beside every later run) and fails with the output's end: a CI
    excerpt shows the failure message, not the captured output."""
    out = ""
    for attempt in range(2):
        if attempt:
            down(env)
        r = subprocess.run(["bash", SCRIPT, "up"], env=env, timeout=1800, capture_output=True, text=True)
        out = r.stdout + r.stderr
        print(out)
        if r.returncode == 0:
            return attempt > 0
    down(env)
    tail = "\n".join(out.splitlines()[-25:])
    pytest.fail(f"build/cluster.sh up failed for {name}; the end of its output:\n{tail}", pytrace=False)
