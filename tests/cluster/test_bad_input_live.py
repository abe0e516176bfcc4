"""Bad input that only a real API server can answer: refused credentials (with the discovery cache warm),
a label selector the server rejects, a manifest field its schema does not know, a closed port, a missing
context. Each ends at once with one line saying what is wrong, never a late "not found" or a retry loop."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from runner.cluster.kubeconfig import resolve_kubeconfig

ROOT = Path(__file__).resolve().parents[2]
LEARNER = f"badin-{uuid.uuid4().hex[:5]}"


def kubelab(*args: str, kubeconfig: str | None = None, timeout: float = 120) -> tuple[int, str, str, float]:
    env = {**os.environ, "KUBELAB_LEARNER": LEARNER, "XDG_STATE_HOME": f"/tmp/kubelab-{LEARNER}"}
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "runner", "--plain", *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t0


@pytest.fixture(scope="module")
def real_kubeconfig() -> str:
    path = resolve_kubeconfig()
    if not path:
        pytest.fail("no kubeconfig for the kubelab cluster: run `make cluster` first", pytrace=False)
    return path


def lab(tmp_path: Path, check: dict[str, object], manifest: str = "", wait: dict[str, object] | None = None) -> Path:
    d, m = tmp_path / "labs" / "bad", tmp_path / "manifests" / "bad"
    d.mkdir(parents=True)
    m.mkdir(parents=True)
    (m / "cm.yaml").write_text(manifest or "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n")
    (d / "lab.yaml").write_text(yaml.safe_dump({
        "id": "bad", "title": "Bad", "concept": "c", "objectives": ["o"],
        "steps": [{"id": "one", "title": "One", "check": [check],
                   "solve": [{"apply": "cm.yaml"}, *([{"wait": {"check": wait}}] if wait else [])]}]}))
    return d


def test_refused_credentials_are_one_line_within_10s_even_with_discovery_cached(real_kubeconfig, tmp_path):
    code, _, err, _ = kubelab("check", "pod", "--wait", "5", kubeconfig=real_kubeconfig)   # warms the cache
    cfg = yaml.safe_load(Path(real_kubeconfig).read_text())
    for u in cfg["users"]:
        u["user"] = {"token": "not-a-valid-token"}
    bad = tmp_path / "kubeconfig"
    bad.write_text(yaml.safe_dump(cfg))
    code, out, err, took = kubelab("check", "pod", kubeconfig=str(bad))
    assert code == 2 and took < 10, (code, took, err)
    assert "refused the credentials" in err and "401" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_closed_port_and_missing_context_are_one_line_within_10s(real_kubeconfig, tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cfg = yaml.safe_load(Path(real_kubeconfig).read_text())
    for c in cfg["clusters"]:
        c["cluster"]["server"] = f"https://127.0.0.1:{port}"
    closed = tmp_path / "closed"
    closed.write_text(yaml.safe_dump(cfg))
    for args, kc, what in [(("check", "pod"), str(closed), "connection refused"),
                           (("--context", "no-such-context", "check", "pod"), real_kubeconfig, "no-such-context"),
                           (("check", "pod"), str(tmp_path / "missing"), "kubeconfig")]:
        code, out, err, took = kubelab(*args, kubeconfig=kc)
        assert code == 2 and took < 10 and what in err and "Traceback" not in err, (args, code, took, err)


def test_a_selector_the_server_rejects_ends_the_check_at_once(real_kubeconfig, tmp_path):
    d = lab(tmp_path, {"count": {"target": {"kind": "Pod", "selector": "app in (a"}, "equals": 1}, "timeout": "90s"})
    code, out, err, took = kubelab("check", str(d), "one", kubeconfig=real_kubeconfig)
    assert code == 1 and took < 30, (code, took, out, err)
    assert "400" in out and "0 counted" not in out, out


def test_a_manifest_field_the_schema_does_not_know_is_named_at_once(real_kubeconfig, tmp_path):
    d = lab(tmp_path, {"count": {"target": {"kind": "ConfigMap"}, "equals": 1}},
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\nspecification: {a: b}\n")
    try:
        code, out, err, took = kubelab("solve", str(d), "one", kubeconfig=real_kubeconfig)
        assert code != 0 and took < 25, (code, took, err)
        assert "specification" in err and "Traceback" not in err, err
    finally:
        kubelab("reset", str(d), kubeconfig=real_kubeconfig)


UNPULLABLE = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "kubelab.invalid/no-such-image:1"}]
"""


def test_a_solve_whose_wait_fails_names_the_cause_not_a_traceback(real_kubeconfig, tmp_path):
    available = {"condition": {"target": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                               "type": "Available"}, "timeout": "30s"}
    d = lab(tmp_path, available, UNPULLABLE, wait=available)
    try:
        code, out, err, _ = kubelab("solve", str(d), "one", kubeconfig=real_kubeconfig)
        assert code == 1 and "Traceback" not in out + err, (code, out, err)
        assert "bad / one: not solved:" in out and "kubelab.invalid/no-such-image:1" in out, out
        assert "cannot be pulled" in out or "ImagePull" in out, out
    finally:
        kubelab("reset", str(d), kubeconfig=real_kubeconfig)
