"""Pydantic schema of labs/<id>/lab.yaml (the format is documented in docs/lab-format.md).

Why a "one key names the kind" layout (Chainsaw-like) instead of a `type:` field:
`kind:` already means a Kubernetes kind inside targets, and a single key reads well in YAML.
Every model forbids unknown keys so a typo is reported with its field path instead of ignored.
"""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from runner import limits
from runner.schema_base import Strict, Text, _dur_validator, parse_duration
from runner.schema_checks import (  # the check models: callers import them from runner.schema
    RESERVED_VALUES,
    VALUE_NAME,
    AbsentSpec,
    ConditionSpec,
    CountSpec,
    EventSpec,
    ExecSpec,
    Expr,
    HttpSpec,
    InvariantSpec,
    MatchSpec,
    PodsInvariant,
    Target,
    TlsAssert,
    ValueSpec,
)

__all__ = [  # re-exported: callers import them from runner.schema
    "RESERVED_VALUES", "VALUE_NAME", "AbsentSpec", "ConditionSpec", "CountSpec", "EventSpec", "ExecSpec", "Expr",
    "HttpSpec", "InvariantSpec", "MatchSpec", "PodsInvariant", "Strict", "Target", "Text", "TlsAssert", "ValueSpec",
    "parse_duration",
    "Action", "ApplySpec", "Check", "Lab", "Observe", "Step", "Task", "WaitSpec",
]

# The closed vocabulary of lab.yaml `requires:` (meanings: runner/requires.py REQUIREMENTS).
Requirement = Literal["host-ports", "shared-traefik", "network-policy", "metrics-api", "default-storage-class",
                      "worker-node", "tainted-node"]

CHECK_KINDS = ("match", "absent", "count", "condition", "event", "http", "exec", "invariant")


class Check(Strict):
    name: str | None = None
    hint: Text | None = None      # shown first when this check fails (before the step's hints)
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
    def _exactly_one(self) -> Check:
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
            return f"http {s.url} from {s.from_}" + (" answers nothing" if s.no_answer else "")
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
    def _one(self) -> ApplySpec:
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

    _s = _dur_validator("seconds")

    @model_validator(mode="after")
    def _one(self) -> WaitSpec:
        if (self.seconds is None) == (self.check is None):
            raise ValueError("wait needs exactly one of seconds, check")
        return self


class RolloutUndoSpec(Strict):
    """Like `kubectl rollout undo deployment/<name> [--to-revision N]`."""
    name: str
    to_revision: int | None = None    # default: the revision before the current one


class TlsSecretSpec(Strict):
    """Generate a self-signed certificate and key into a kubernetes.io/tls Secret."""
    name: str
    hosts: list[str]
    days: int = Field(30, ge=1, le=3650)


ACTION_KINDS = ("apply", "delete", "patch", "exec", "wait", "tls_secret", "rollout_undo")


class Action(Strict):
    apply: ApplySpec | None = None
    delete: Target | None = None
    patch: PatchSpec | None = None
    exec: ExecSpec | None = None
    wait: WaitSpec | None = None
    tls_secret: TlsSecretSpec | None = None
    rollout_undo: RolloutUndoSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
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
    def _target(self) -> Observe:
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
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=limits.MAX_ID)
    title: Text
    explain: Text | None = None
    apply: list[ApplySpec] = Field(default_factory=list)
    task: Task | None = None
    observe: list[Observe] = Field(default_factory=list)
    values: dict[str, ValueSpec] = Field(default_factory=dict)   # ${NAME} in checks, read from objects
    check: list[Check] = Field(default_factory=list)
    hints: list[Text] = Field(default_factory=list)
    solve: list[Action] = Field(default_factory=list)
    cleanup: list[Action] = Field(default_factory=list)
    # A check that already passes before solve (e.g. "observe only" steps) must say why;
    # verify then skips the must-fail phase and reports the step as declared.
    check_cannot_fail: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.check and not self.solve and not self.check_cannot_fail:
            raise ValueError("a step with check needs solve (or check_cannot_fail: <reason>)")
        for name in self.values:
            if not re.match(VALUE_NAME, name) or name in RESERVED_VALUES:
                raise ValueError(f"values: {name!r} must be UPPER_CASE and not one of {', '.join(RESERVED_VALUES)}")
        return self


class Defaults(Strict):
    timeout: float = 60.0
    # reset deletes the run's pods with grace period 0 (their shutdown is never part of a lab); false keeps
    # each pod's terminationGracePeriodSeconds, for a lab whose cleanup needs a graceful stop.
    zero_grace_cleanup: bool = True
    _t = _dur_validator("timeout")


class Lab(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=limits.MAX_ID)
    title: Text
    concept: Text
    objectives: list[Text] = Field(min_length=1)
    intro: Text | None = None
    # What the lab needs beyond conformant Kubernetes (runner/requires.py): on a cluster without it
    # `list` and `verify` say "not runnable on this cluster: <reason>" instead of failing obscurely.
    requires: list[Requirement] = Field(default_factory=list)
    defaults: Defaults = Field(default_factory=Defaults)
    steps: list[Step] = Field(min_length=1)

    @field_validator("requires")
    @classmethod
    def _unique_requires(cls, words: list[str]) -> list[str]:
        dup = sorted({w for w in words if words.count(w) > 1})
        if dup:
            raise ValueError(f"requires lists {', '.join(dup)} twice")
        return words

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
