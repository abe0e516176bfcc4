"""Pydantic schema of labs/<id>/lab.yaml (the format is documented in docs/lab-format.md).

Why a "one key names the kind" layout (Chainsaw-like) instead of a `type:` field:
`kind:` already means a Kubernetes kind inside targets, and a single key reads well in YAML.
Every model forbids unknown keys so a typo is reported with its field path instead of ignored.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from runner.schema_base import Strict, Text, _dur_validator, parse_duration

__all__ = ["Strict", "Text", "parse_duration"]  # re-exported: callers import them from runner.schema

# --- targets ----------------------------------------------------------------

class Target(Strict):
    """Which object(s): apiVersion + kind, and a name or a label selector."""
    api_version: str = Field("v1", alias="apiVersion")
    kind: str
    name: str | None = None
    selector: str | dict[str, str] | None = None
    namespace: str | None = None  # default: the lab namespace; ignored for cluster-scoped kinds

    @model_validator(mode="after")
    def _name_xor_selector(self) -> "Target":
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
    def _some_bound(self) -> "CountSpec":
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


class HttpSpec(Strict):
    """HTTP request from a client pod in the lab namespace (from: cluster) or from this host (from: host)."""
    from_: Literal["cluster", "host"] = Field("cluster", alias="from")
    url: str
    method: str = "GET"
    host: str | None = None      # Host header (and SNI for https unless `sni` is set)
    sni: str | None = None
    status: int | list[int] | None = 200
    body_contains: str | None = None
    body_not_contains: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)  # header name -> substring of its value
    request_timeout: float = 5.0

    _t = _dur_validator("request_timeout")


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
    def _where(self) -> "ExecSpec":
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
    min_samples: int = 3
    http: HttpSpec | None = None
    pods: PodsInvariant | None = None

    _e = _dur_validator("every")

    @model_validator(mode="after")
    def _one(self) -> "InvariantSpec":
        if (self.http is None) == (self.pods is None):
            raise ValueError("invariant needs exactly one of http, pods")
        return self


CHECK_KINDS = ("match", "absent", "count", "condition", "event", "http", "exec", "invariant")


class Check(Strict):
    name: str | None = None
    timeout: float | None = None  # default: lab defaults.timeout
    match: MatchSpec | None = None
    absent: AbsentSpec | None = None
    count: CountSpec | None = None
    condition: ConditionSpec | None = None
    event: EventSpec | None = None
    http: HttpSpec | None = None
    exec: ExecSpec | None = None
    invariant: InvariantSpec | None = None

    _t = _dur_validator("timeout")

    @model_validator(mode="after")
    def _exactly_one(self) -> "Check":
        given = [k for k in CHECK_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a check needs exactly one of {', '.join(CHECK_KINDS)} (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CHECK_KINDS if getattr(self, k) is not None)

    @property
    def spec(self) -> Any:
        return getattr(self, self.kind)

    def label(self) -> str:
        if self.name:
            return self.name
        s = self.spec
        if self.kind == "condition":
            return f"condition {s.target.describe()} {s.type}={s.status}"
        if self.kind == "event":
            return f"event {s.target.describe()} {s.reason}"
        if hasattr(s, "target"):
            return f"{self.kind} {s.target.describe()}"
        if self.kind == "http":
            return f"http {s.url} from {s.from_}"
        if self.kind == "exec":
            return f"exec {' '.join(s.command)}"
        return f"invariant http {s.http.url}" if s.http else f"invariant pods [{s.pods.selector}]"


# --- actions (apply / solve / cleanup) ------------------------------------------

class ApplySpec(Strict):
    """A manifest file (relative to manifests/<lab-id>/, may hold several documents) or inline objects."""
    file: str | None = None
    manifest: dict[str, Any] | list[dict[str, Any]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, v: Any) -> Any:
        return {"file": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _one(self) -> "ApplySpec":
        if (self.file is None) == (self.manifest is None):
            raise ValueError("apply needs exactly one of file, manifest")
        return self


class PatchSpec(Strict):
    target: Target
    type: Literal["merge", "strategic", "json"] = "strategic"
    patch: dict[str, Any] | list[dict[str, Any]]


class WaitSpec(Strict):
    """Wait for a check to pass (any check kind), or a fixed number of seconds."""
    seconds: float | None = None
    check: Check | None = None

    @model_validator(mode="after")
    def _one(self) -> "WaitSpec":
        if (self.seconds is None) == (self.check is None):
            raise ValueError("wait needs exactly one of seconds, check")
        return self


class TlsSecretSpec(Strict):
    """Generate a self-signed certificate and key into a kubernetes.io/tls Secret."""
    name: str
    hosts: list[str]
    days: int = 30


ACTION_KINDS = ("apply", "delete", "patch", "exec", "wait", "tls_secret")


class Action(Strict):
    apply: ApplySpec | None = None
    delete: Target | None = None
    patch: PatchSpec | None = None
    exec: ExecSpec | None = None
    wait: WaitSpec | None = None
    tls_secret: TlsSecretSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Action":
        given = [k for k in ACTION_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"an action needs exactly one of {', '.join(ACTION_KINDS)} (got {given or 'none'})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ACTION_KINDS if getattr(self, k) is not None)


# --- observe ------------------------------------------------------------------

class Observe(Strict):
    """A live table kept on screen while the step runs, fed by a watch."""
    view: Literal["pods", "pvcs", "endpoints", "events", "objects"]
    target: Target | None = None  # pods/pvcs: selector; endpoints: the Service; events: the object
    title: Text | None = None
    columns: dict[str, str] = Field(default_factory=dict)  # header -> JMESPath (view: objects)

    @model_validator(mode="after")
    def _target(self) -> "Observe":
        if self.view in ("endpoints", "events", "objects") and self.target is None:
            raise ValueError(f"observe view '{self.view}' needs a target")
        if self.view == "objects" and not self.columns:
            raise ValueError("observe view 'objects' needs columns")
        return self


class Task(Strict):
    text: Text
    commands: list[str] = Field(default_factory=list)  # suggested kubectl commands (the learner types them)

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, v: Any) -> Any:
        if isinstance(v, str) or (isinstance(v, dict) and "text" not in v):
            return {"text": v}
        return v


# --- step & lab -----------------------------------------------------------------

class Step(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: Text
    explain: Text | None = None
    apply: list[ApplySpec] = Field(default_factory=list)
    task: Task | None = None
    observe: list[Observe] = Field(default_factory=list)
    check: list[Check] = Field(default_factory=list)
    hints: list[Text] = Field(default_factory=list)
    solve: list[Action] = Field(default_factory=list)
    cleanup: list[Action] = Field(default_factory=list)
    # A check that already passes before solve (e.g. "observe only" steps) must say why;
    # verify then skips the must-fail phase and reports the step as declared.
    check_cannot_fail: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Step":
        if self.check and not self.solve and not self.check_cannot_fail:
            raise ValueError("a step with check needs solve (or check_cannot_fail: <reason>)")
        return self


class Defaults(Strict):
    timeout: float = 60.0
    _t = _dur_validator("timeout")


class Lab(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: Text
    concept: Text
    objectives: list[Text] = Field(min_length=1)
    intro: Text | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    steps: list[Step] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _unique_ids(cls, steps: list[Step]) -> list[Step]:
        seen: set[str] = set()
        for s in steps:
            if s.id in seen:
                raise ValueError(f"duplicate step id {s.id!r}")
            seen.add(s.id)
        return steps

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)
