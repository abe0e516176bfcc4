"""Pure parts of the cluster build: wrapper go.mod generation, kind constant extraction, runc wrapper."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BUILD = Path(__file__).resolve().parents[2] / "build"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BUILD / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_wrapper_gomod_turns_local_replaces_into_published_modules() -> None:
    gowrap = load("gowrap")
    upstream = {
        "Go": "1.26.0",
        "Replace": [
            {"Old": {"Path": "k8s.io/api"}, "New": {"Path": "./staging/src/k8s.io/api"}},
            {"Old": {"Path": "github.com/x/y", "Version": "v1.0.0"}, "New": {"Path": "github.com/fork/y", "Version": "v1.0.1"}},
        ],
        "Exclude": [{"Path": "github.com/bad/mod", "Version": "v3.0.83+incompatible"}],
    }
    text = gowrap.wrapper_gomod("k8s", "k8s.io/kubernetes", "v1.37.2", "v0.37.2", upstream)
    assert "require k8s.io/kubernetes v1.37.2" in text
    assert "replace k8s.io/api => k8s.io/api v0.37.2" in text
    assert "replace github.com/x/y v1.0.0 => github.com/fork/y v1.0.1" in text
    assert "exclude github.com/bad/mod v3.0.83+incompatible" in text
    assert "go 1.26.0" in text and "./staging" not in text


def test_kind_constants_resolve_concatenation(tmp_path: Path) -> None:
    kindconst = load("kindconst")
    src = tmp_path / "c.go"
    src.write_text('package x\nconst img = "docker.io/kindest/helper:v1"\n'
                   'const manifest = `a: 1\nimage: ` + img + `\nb: 2`\n')
    values = kindconst.consts(src.read_text())
    assert values["img"] == "docker.io/kindest/helper:v1"
    assert values["manifest"] == "a: 1\nimage: docker.io/kindest/helper:v1\nb: 2"


def bounding_caps() -> set[str]:
    names = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
             "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT "
             "SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE "
             "AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ "
             "PERFMON BPF CHECKPOINT_RESTORE").split()
    bnd = int(next(x.split()[1] for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("CapBnd:")), 16)
    return {f"CAP_{n}" for i, n in enumerate(names) if bnd >> i & 1}


@pytest.mark.parametrize("command", ["create", "exec"])
def test_runc_wrapper_keeps_only_capabilities_the_host_can_grant(tmp_path: Path, command: str) -> None:
    asked = ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_SYS_RESOURCE", "CAP_NOT_A_CAPABILITY"]
    process = {"args": ["sh"], "capabilities": {k: list(asked) for k in ("bounding", "effective", "permitted")}}
    if command == "create":
        spec_file = tmp_path / "config.json"
        spec_file.write_text(json.dumps({"process": process}))
        args = ["--root", "/run/x", "create", "--bundle", str(tmp_path), "id"]
    else:
        spec_file = tmp_path / "process.json"
        spec_file.write_text(json.dumps(process))
        args = ["exec", "--process", str(spec_file), "id"]
    fake = tmp_path / "runc"
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/called"\n')
    fake.chmod(0o755)
    env = {**os.environ, "KUBELAB_REAL_RUNC": str(fake)}
    subprocess.run(["sh", str(BUILD / "node" / "runc-wrapper.sh"), *args], env=env, check=True)
    assert (tmp_path / "called").read_text().split() == args  # the real runc gets the same arguments
    spec = json.loads(spec_file.read_text())
    caps = (spec["process"] if command == "create" else spec)["capabilities"]
    expected = [c for c in asked if c in bounding_caps()]
    assert "CAP_NOT_A_CAPABILITY" not in expected and "CAP_CHOWN" in expected
    assert caps == {k: expected for k in ("bounding", "effective", "permitted")}
