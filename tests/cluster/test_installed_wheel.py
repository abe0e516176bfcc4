"""Acceptance for course authors (issue 11): the built wheel, installed alone into a fresh venv outside this
repo, scaffolds, lints and verifies a lab on the live cluster, and brings the cluster up from that folder."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    print(f"$ {' '.join(cmd)}  [{time.monotonic() - t0:.1f}s, exit {r.returncode}]")
    assert r.returncode == 0, f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A venv holding only the wheel `python -m build --wheel` makes of this checkout (and its dependencies)."""
    tmp = tmp_path_factory.mktemp("wheel")
    assert ROOT not in tmp.parents
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "KUBELAB_LABS", "KUBELAB_ROOT", "PYTEST_ADDOPTS")}
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp / "dist"), str(ROOT)], tmp, env)
    wheel = next((tmp / "dist").glob("kubelab-*.whl"))
    # no pip inside and no byte-compiling: this runner's pip installs into it, twice as fast on a busy machine
    run([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], tmp, env)
    run([sys.executable, "-m", "pip", "--python", str(tmp / "venv/bin/python"), "install", "-q", "--no-compile",
         "--disable-pip-version-check", str(wheel)], tmp, env)
    env["PATH"] = f"{tmp / 'venv/bin'}{os.pathsep}{env.get('PATH', '')}"
    return tmp, env


def test_new_lint_cluster_up_verify_from_an_authors_folder(installed: tuple[Path, dict[str, str]]) -> None:
    tmp, env = installed
    course = tmp / "course"
    course.mkdir()
    where = run([str(tmp / "venv/bin/python"), "-c", "import runner; print(runner.__file__)"], course, env)
    assert where.stdout.startswith(str(tmp / "venv")), where.stdout   # the installed package, not this checkout
    kubelab = str(tmp / "venv/bin/kubelab")
    healthy = subprocess.run([kubelab, "cluster", "status"], cwd=course, env=env, capture_output=True, text=True)
    if healthy.returncode != 0:   # `cluster up` would build one: minutes, not what this test is about
        pytest.fail(f"no healthy kubelab cluster (run `make cluster` first): {healthy.stderr.strip()[-300:]}",
                    pytrace=False)
    run([kubelab, "new", "demo"], course, env)
    assert (course / "labs/demo/lab.yaml").is_file() and (course / "manifests/demo/web.yaml").is_file()
    lint = run([kubelab, "--plain", "lint"], course, env)
    assert "1 lab(s): 0 problem(s)" in lint.stdout, lint.stdout
    up = run([kubelab, "cluster", "up"], course, env)
    assert "ready" in up.stderr, up.stderr[-2000:]
    learner = f"wheel-{uuid.uuid4().hex[:6]}"
    verify = run([kubelab, "--plain", "--learner", learner, "verify", "--junit", "junit.xml"], course, env)
    suite = ET.parse(course / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "demo" and suite.get("failures") == "0", verify.stdout
    assert [c.get("name") for c in suite.iter("testcase")] == ["scale"], verify.stdout
    status = run([kubelab, "cluster", "status"], course, env)
    # `cluster status` reads the nodes through the API and reports the health check on stdout (92550d2)
    assert "Service routing and DNS: ok" in status.stdout, status.stdout + status.stderr


def test_the_installed_pytest_plugin_verifies_the_authors_labs(installed: tuple[Path, dict[str, str]]) -> None:
    tmp, env = installed
    course = tmp / "plugin-course"
    course.mkdir()
    run([str(tmp / "venv/bin/kubelab"), "new", "demo"], course, env)
    learner = f"wheel-{uuid.uuid4().hex[:6]}"
    r = run([str(tmp / "venv/bin/python"), "-m", "pytest", "-v", "labs", "--kubelab-learner", learner], course, env)
    assert "verify[demo] PASSED" in r.stdout and "1 passed" in r.stdout, r.stdout
