"""Shared helpers of the unit tests: a small lab on disk, and the CLI run in-process (a subprocess costs
seconds of imports per call on a busy machine)."""
from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

LAB = """
id: demo
title: Demo
concept: A concept
objectives: [one]
intro: Namespace ${NAMESPACE}
steps:
  - id: first
    title: First
    apply: [web.yaml]
    check:
      - count: {target: {kind: Pod, selector: app=web}, equals: 1}
    solve:
      - apply: web.yaml
"""
ROOT = Path(__file__).resolve().parents[2]
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\nspec: {containers: [{name: c, image: x}]}\n"


def make_lab(root: Path, lab: str = LAB, manifest: str | bytes = POD, files: dict[str, str | bytes] | None = None) -> Path:
    """root/labs/demo/lab.yaml and root/manifests/demo/web.yaml; returns the lab directory."""
    d, m = root / "labs" / "demo", root / "manifests" / "demo"
    d.mkdir(parents=True, exist_ok=True)
    m.mkdir(parents=True, exist_ok=True)
    for path, body in [(d / "lab.yaml", textwrap.dedent(lab) if isinstance(lab, str) else lab),
                       (m / "web.yaml", manifest), *[(d / k, v) for k, v in (files or {}).items()]]:
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body)
    return d


@pytest.fixture
def lab_dir(tmp_path: Path) -> Path:
    return make_lab(tmp_path)


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """cli(*args) -> (exit code, stdout, stderr) of `kubelab --plain args`, with its own state dir and no cluster."""
    from runner.cli import main
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.delenv("KUBELAB_DEBUG", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["kubelab", "--plain", *args])
        env = dict(os.environ)      # options set variables for the process (--labs-dir): not for the next test
        try:
            main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        finally:
            os.environ.clear()
            os.environ.update(env)
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


@pytest.fixture
def kubelab(cli, monkeypatch):
    """kubelab(*args, cwd=...) -> (returncode, stdout, stderr) as subprocess.run gives them, in process: the
    console script's own start (what it imports) is tested by test_cli_start.py."""
    def run(*args: str, cwd: Path = ROOT) -> SimpleNamespace:
        monkeypatch.chdir(cwd)
        code, out, err = cli(*args)
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)
    return run


@pytest.fixture(autouse=True)
def _no_recent_outage():
    """A refused connection in one test must not make another test's 403 look like a restarting API server
    (runner.cluster.client.warming_up)."""
    from runner.cluster import client
    client._last_down[0] = float("-inf")
    yield
    client._last_down[0] = float("-inf")
