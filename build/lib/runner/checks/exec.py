"""exec: a command run in a pod exits as expected and its stdout matches."""
from __future__ import annotations

import re
from dataclasses import dataclass

from runner.checks.base import Result
from runner.schema import ExecSpec


@dataclass
class ExecOutput:
    stdout: str
    stderr: str = ""
    exit_code: int | None = 0
    pod: str = ""


def problems(spec: ExecSpec, out: ExecOutput) -> list[str]:
    p = []
    if spec.exit_code is not None and out.exit_code != spec.exit_code:
        p.append(f"exit code: expected {spec.exit_code}, got {out.exit_code}"
                 + (f" (stderr: {out.stderr.strip()[:200]!r})" if out.stderr.strip() else ""))
    s = out.stdout
    if spec.stdout_contains is not None and spec.stdout_contains not in s:
        p.append(f"stdout: expected to contain {spec.stdout_contains!r}, got {s[:300]!r}")
    if spec.stdout_not_contains is not None and spec.stdout_not_contains in s:
        p.append(f"stdout: expected not to contain {spec.stdout_not_contains!r}, got {s[:300]!r}")
    if spec.stdout_equals is not None and s.strip() != spec.stdout_equals.strip():
        p.append(f"stdout: expected {spec.stdout_equals.strip()!r}, got {s.strip()[:300]!r}")
    if spec.stdout_matches is not None and not re.search(spec.stdout_matches, s, re.MULTILINE):
        p.append(f"stdout: expected to match /{spec.stdout_matches}/, got {s[:300]!r}")
    return p


def evaluate(spec: ExecSpec, out: ExecOutput) -> Result:
    where = f"exec {' '.join(spec.command)} in {out.pod or spec.pod_name or '?'}"
    bad = problems(spec, out)
    if bad:
        return Result.failed(f"{where}: {bad[0]}", bad, [("Pod", out.pod)] if out.pod else [])
    return Result.passed(f"{where}: ok")
