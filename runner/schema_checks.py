"""Check specs of the lab schema (targets, the check kinds, values read from objects).

Split from runner/schema.py to keep files small; runner.schema re-exports every name.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from runner import limits
from runner.schema_base import Strict, _dur_validator

# --- targets ----------------------------------------------------------------

class Target(Strict):
    """Which object(s): apiVersion + kind, and a name or a label selector."""
    api_version: str = Field("v1", alias="apiVersion")
    kind: str
    name: str | None = Field(None, max_length=limits.MAX_NAME)
    selector: str | dict[str, str] | None = None
    namespace: str | None = None  # default: the lab namespace; ignored for cluster-scoped kinds

    @model_validator(mode="after")
    def _name_xor_selector(self) -> Target:
        if self.name and self.selector:
            raise ValueError("give either name or selector, not both")
        return self

    def selector_str(self) -> str | None:
        if isinstance(self.selector, dict):
            return ",".join(f"{k}={v}" for k, v in self.selector.items())
        return self.selector

    def describe(self) -> str:
        what = self.name or (f"[{self.selector_str()}]" if self.selector else "*")
        return f"{self.kind}/{what}"


class Expr(Strict):
    """A JMESPath expression on the object; passes if truthy, or if equal to `equals`."""
    expr: str
    equals: Any = None
    has_equals: bool = False
    # what a failure means, in a learner's words: the summary says this, the details keep the expression
    says: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"expr": v}
        if isinstance(v, dict) and "equals" in v:
            return {**v, "has_equals": True}
        return v


# --- checks -------------------------------------------------------------------

class MatchSpec(Strict):
    target: Target
    fields: dict[str, Any] | None = None  # partial object: only the given fields must match
    expr: list[Expr] = Field(default_factory=list)


class AbsentSpec(Strict):
    target: Target
    fields: dict[str, Any] | None = None  # passes if no object matches these fields


class CountSpec(Strict):
    target: Target
    fields: dict[str, Any] | None = None  # count only objects matching these fields
    equals: int | None = None
    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> CountSpec:
        if self.equals is None and self.min is None and self.max is None:
            raise ValueError("count needs equals, min or max")
        return self


class ConditionSpec(Strict):
    target: Target
    type: str
    status: str = "True"
    reason: str | None = None


class EventSpec(Strict):
    target: Target
    reason: str
    type: Literal["Normal", "Warning"] | None = None
    message_contains: str | None = None


NO_ANSWER = ("refused", "reset", "timeout")


class TlsAssert(Strict):
    """What the certificate served on an https URL must be (from: host only)."""
    secret: str | None = None            # equals the first certificate of this kubernetes.io/tls Secret (lab namespace)
    san_contains: str | None = None      # one DNS/IP subject alternative name equals this
    issuer_contains: str | None = None   # substring of the issuer (RFC 4514 string, e.g. "CN=web.example")
    subject_contains: str | None = None  # substring of the subject

    @model_validator(mode="after")
    def _some(self) -> TlsAssert:
        if not (self.secret or self.san_contains or self.issuer_contains or self.subject_contains):
            raise ValueError("tls needs at least one of secret, san_contains, issuer_contains, subject_contains")
        return self


class HttpSpec(Strict):
    """HTTP request from a client pod in the lab namespace (from: cluster) or from this host (from: host)."""
    from_: Literal["cluster", "host"] = Field("cluster", alias="from")
    url: str
    # from: cluster: send it from this pod (its first Running one; the image needs busybox's wget and timeout)
    # instead of the runner's client pod, e.g. to prove what a NetworkPolicy lets through from which pod
    pod: Target | None = None
    method: str = "GET"
    host: str | None = None      # Host header (and SNI for https unless `sni` is set)
    sni: str | None = None
    status: int | list[int] | None = 200
    body_contains: str | None = None
    body_not_contains: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)  # header name -> substring of its value
    request_timeout: float = 5.0
    # expect NO HTTP answer: true (refused, reset or timeout) or the accepted ones, e.g. [refused]
    no_answer: list[Literal["refused", "reset", "timeout"]] | None = None
    tls: TlsAssert | None = None

    _t = _dur_validator("request_timeout")

    @model_validator(mode="before")
    @classmethod
    def _coerce_no_answer(cls, v: Any) -> Any:
        if isinstance(v, dict) and "no_answer" in v:
            na = v["no_answer"]
            if na is True:
                v = {**v, "no_answer": list(NO_ANSWER)}
            elif na is False:
                v = {k: x for k, x in v.items() if k != "no_answer"}
            elif isinstance(na, str):
                v = {**v, "no_answer": [na]}
        return v

    @model_validator(mode="after")
    def _consistent(self) -> HttpSpec:
        if self.pod is not None and self.from_ != "cluster":
            raise ValueError("pod needs from: cluster (the request is sent from that pod)")
        if self.pod is not None and self.pod.kind != "Pod":
            raise ValueError(f"pod: the request is sent from a Pod, not a {self.pod.kind}")
        if self.no_answer is not None:
            clash = [k for k in ("status", "body_contains", "body_not_contains", "headers", "tls")
                     if k in self.model_fields_set and getattr(self, k) not in (None, {})]
            if clash:
                raise ValueError(f"no_answer expects no response: remove {', '.join(clash)}")
            if not self.no_answer:
                raise ValueError("no_answer needs true or a list of refused, reset, timeout")
            self.status = None
        if self.tls is not None:
            if not self.url.startswith("https://"):
                raise ValueError("tls assertions need an https:// url")
            if self.from_ != "host":
                raise ValueError("tls assertions need from: host (the client pod cannot show certificates)")
        return self


class ExecSpec(Strict):
    """Run a command in a pod (by name or the first Running pod of a selector)."""
    pod: Target | None = None
    pod_name: str | None = Field(None, alias="podName")
    container: str | None = None
    command: list[str]
    stdout_contains: str | None = None
    stdout_not_contains: str | None = None
    stdout_matches: str | None = None  # Python regex, searched
    stdout_equals: str | None = None   # compared after strip()
    exit_code: int | None = 0

    @model_validator(mode="after")
    def _where(self) -> ExecSpec:
        if not self.pod and not self.pod_name:
            raise ValueError("exec needs pod (a target) or podName")
        return self


class PodsInvariant(Strict):
    selector: str | dict[str, str]
    ready_min: int | None = None   # ready pods never below this (once first reached)
    total_max: int | None = None   # live (not terminating, not finished) pods never above this


class InvariantSpec(Strict):
    """Sampled while the step runs (verify: from just before solve until the checks pass)."""
    every: float = 0.25
    min_samples: int = Field(3, ge=1, le=10_000)
    http: HttpSpec | None = None
    pods: PodsInvariant | None = None

    _e = _dur_validator("every")

    @model_validator(mode="after")
    def _one(self) -> InvariantSpec:
        if (self.http is None) == (self.pods is None):
            raise ValueError("invariant needs exactly one of http, pods")
        return self




VALUE_NAME = r"^[A-Z][A-Z0-9_]*$"
RESERVED_VALUES = ("NAMESPACE", "LAB", "LEARNER", "NODE_PORT", "HOST_SUFFIX", "NODE_ADDRESS")


class ValueSpec(Strict):
    """A value read from an object, usable as ${NAME} in the step's checks.

    at: start  - read once when the step starts (after its apply), e.g. "the IP it had at step start";
    at: check  - read again at every evaluation, e.g. the pod's current status.podIP.
    """
    target: Target
    expr: str                       # JMESPath on the object (the first selected one, or each with all: true)
    all: bool = False               # a JSON list of expr over every selected object
    at: Literal["start", "check"] = "check"
