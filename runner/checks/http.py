"""http: a response (from the host or a client pod) has the wanted status, body, headers and certificate,
or (no_answer) there is no response at all, and it failed the expected way."""
from __future__ import annotations

from dataclasses import dataclass, field

from runner.checks.base import Result
from runner.schema import HttpSpec

NO_RESPONSE_WORDS = {
    "refused": "connection refused", "reset": "connection reset (closed without an answer)",
    "timeout": "timed out", "dns": "name not resolved", "tls": "TLS handshake failed", "error": "request failed",
}


@dataclass
class HttpResponse:
    status: int | None                 # None when no response at all
    headers: dict[str, str] = field(default_factory=dict)   # lower-case names
    body: str = ""
    error: str | None = None           # connection refused, timeout, TLS error...
    at: float = 0.0                    # monotonic time of the sample (invariants)
    cert: bytes | None = None          # DER of the served certificate (https from the host)
    secret_cert: str | None = None     # PEM of the Secret named by tls.secret (filled by the engine)
    # Why no request could be made at all (the in-cluster request travels through an exec via the API server,
    # which may be away): a sample that was not taken, never a failed request nor an expected "no answer".
    lost: str | None = None

    @property
    def failure(self) -> str | None:
        """How a request without response failed: refused | reset | timeout | dns | tls | error."""
        return None if self.status is not None else classify(self.error or "")


def classify(error: str) -> str:
    e = error.lower()
    if "refused" in e:
        return "refused"
    if any(w in e for w in ("reset", "remotedisconnected", "broken pipe", "connection aborted", "eof occurred",
                            "closed connection without response", "empty reply")):
        return "reset"
    if "timed out" in e or "timeout" in e:
        return "timeout"
    if any(w in e for w in ("bad address", "name or service not known", "gaierror", "name resolution",
                            "nodename nor servname", "no address associated")):
        return "dns"
    if "ssl" in e or "tls" in e or "certificate" in e:
        return "tls"
    return "error"


def problems(spec: HttpSpec, r: HttpResponse) -> list[str]:
    if r.lost is not None:
        return [f"no sample: the request could not be made ({r.lost})"]
    if spec.no_answer is not None:
        if r.status is not None:
            return [f"expected no answer ({' or '.join(spec.no_answer)}), got HTTP {r.status}"]
        how = r.failure or "error"
        if how not in spec.no_answer:
            return [f"expected {' or '.join(spec.no_answer)}, but: {NO_RESPONSE_WORDS[how]} ({r.error})"]
        return []
    if r.status is None:
        return [f"no response: {NO_RESPONSE_WORDS[r.failure or 'error']} ({r.error or 'unknown error'})"]
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
    if spec.tls is not None:
        from runner.checks.tls_cert import problems as tls_problems  # cryptography only when used
        out += tls_problems(spec.tls, r.cert, r.secret_cert)
    return out


def evaluate(spec: HttpSpec, r: HttpResponse) -> Result:
    where = f"{spec.method} {spec.url}" + (f" (Host: {spec.host})" if spec.host else "") + f" from {spec.from_}"
    bad = problems(spec, r)
    if bad:
        return Result(False, f"{where}: {bad[0]}", bad, unobserved=r.lost is not None)
    if spec.no_answer is not None:
        return Result.passed(f"{where}: no answer ({NO_RESPONSE_WORDS[r.failure or 'error']}), as expected")
    return Result.passed(f"{where}: {r.status}" + (" (certificate as expected)" if spec.tls else ""))
