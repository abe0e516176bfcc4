"""http: a response (from the host or a client pod) has the wanted status, body and headers."""
from __future__ import annotations

from dataclasses import dataclass, field

from runner.checks.base import Result
from runner.schema import HttpSpec


@dataclass
class HttpResponse:
    status: int | None                 # None when no response at all
    headers: dict[str, str] = field(default_factory=dict)   # lower-case names
    body: str = ""
    error: str | None = None           # connection refused, timeout, TLS error...
    at: float = 0.0                    # monotonic time of the sample (invariants)


def problems(spec: HttpSpec, r: HttpResponse) -> list[str]:
    if r.status is None:
        return [f"no response: {r.error or 'unknown error'}"]
    out = []
    wanted = [spec.status] if isinstance(spec.status, int) else spec.status
    if wanted and r.status not in wanted:
        out.append(f"status: expected {' or '.join(map(str, wanted))}, got {r.status}")
    if spec.body_contains is not None and spec.body_contains not in r.body:
        out.append(f"body: expected to contain {spec.body_contains!r}, got {r.body[:200]!r}")
    if spec.body_not_contains is not None and spec.body_not_contains in r.body:
        out.append(f"body: expected not to contain {spec.body_not_contains!r}, got {r.body[:200]!r}")
    for name, sub in spec.headers.items():
        got = r.headers.get(name.lower())
        if got is None or sub not in got:
            out.append(f"header {name}: expected to contain {sub!r}, got {got!r}")
    return out


def evaluate(spec: HttpSpec, r: HttpResponse) -> Result:
    where = f"{spec.method} {spec.url}" + (f" (Host: {spec.host})" if spec.host else "") + f" from {spec.from_}"
    bad = problems(spec, r)
    if bad:
        return Result.failed(f"{where}: {bad[0]}", bad)
    return Result.passed(f"{where}: {r.status}")
