"""Building blocks of the lab schema: durations, strict models, localized text."""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from runner import limits

# --- scalars -----------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """'500ms' | '30s' | '2m' | 1.5 -> seconds (float); finite, more than 0, at most an hour."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30s, 500ms, 2m or a number of seconds")
    if isinstance(value, (int, float)):
        return limits.seconds(float(value))
    m = _DURATION.match(str(value)[:40])   # a megabyte-long "duration" is not worth a regex pass
    if not m:
        raise ValueError(f"expected a duration like 30s, 500ms, 2m, got {str(value)[:40]!r}")
    return limits.seconds(float(m.group(1)) * _UNIT[m.group(2)])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Text(Strict):
    """Localized text: a plain string (English), a {en:, ko:, ...} map, or {file: x.md}.

    {file: x.md} is read from the lab directory; for language L the loader prefers x.L.md.
    """
    values: dict[str, str] = Field(default_factory=dict)
    file: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, v: Any) -> Any:
        if isinstance(v, Text):
            return v
        if isinstance(v, str):
            return {"values": {"en": v}}
        if isinstance(v, dict):
            if v and set(v) <= {"values", "file"} and isinstance(v.get("values", {}), dict):
                return v  # already normalized (a dumped model being re-validated)
            if set(v) == {"file"}:
                return {"file": v["file"]}
            if not v or not all(isinstance(k, str) and isinstance(t, str) for k, t in v.items()):
                raise ValueError("expected a string, a language map like {en: ..., ko: ...} or {file: x.md}")
            if "en" not in v:
                raise ValueError("a language map needs an 'en' entry (the fallback language)")
            return {"values": dict(v)}
        raise ValueError("expected a string, a language map like {en: ..., ko: ...} or {file: x.md}")

    def get(self, lang: str = "en") -> str:
        return self.values.get(lang) or self.values.get("en", "")


Duration = float  # stored as seconds; fields use the `_dur` validator below


def _dur_validator(*names: str) -> Any:
    return field_validator(*names, mode="before")(lambda cls, v: None if v is None else parse_duration(v))
