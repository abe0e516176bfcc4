"""typer without pydantic for plain `str`, `Path` and `bool` parameters, and its help without markdown.

typer 0.29 coerces every parameter through a pydantic TypeAdapter, built even for a flag left unset (--help):
importing pydantic and building the adapters costs more CPU than the rest of `kubelab list`. For a `str` or a
`Path` (without path_type or parser) given as a string, that coercion is `value` / `Path(value)` followed by
typer's own path checks, and a bool stays itself: done here without pydantic. Every other parameter, and any
other value (a flag's value from an environment variable, bytes, a Path object), still goes through typer's
adapter, built on first use as before.

It replaces typer.core.build_runtime_param, a private name of the pinned typer: if a typer release renames
it, nothing is patched and only speed is lost (tests/unit/test_cli_start.py then fails on the imports).
"""
from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer import _coercion, core
from typer._param_types import coerce_cli_path

_typer_build = _coercion.build_runtime_param


@dataclass(frozen=True)
class _PlainParam(_coercion.RuntimeParam):
    """A str, Path or bool parameter: strings (bools for a bool) coerced here, anything else by typer's adapter."""

    _fallback: list[_coercion.RuntimeParam] = field(default_factory=list)

    def _typer(self) -> _coercion.RuntimeParam:
        if not self._fallback:
            self._fallback.append(_typer_build(_coercion.TypeDescriptor(self.annotation, self.parameter_info, None)))
        return self._fallback[0]

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if self.annotation is bool and type(value) is bool or self.annotation is str and type(value) is str:
            return value
        if self.annotation is Path and type(value) is str:
            return coerce_cli_path(Path(value), self.parameter_info, path_type=Path, param=param, ctx=ctx)
        return self._typer()._coerce_value(value, param=param, ctx=ctx)


def plain(descriptor: _coercion.TypeDescriptor) -> bool:
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return False
    return descriptor.annotation in (str, bool) or (descriptor.annotation is Path and info.path_type is None)


def build_runtime_param(descriptor: _coercion.TypeDescriptor) -> _coercion.RuntimeParam:
    if plain(descriptor):
        return _PlainParam(descriptor.parameter_info, descriptor.annotation)
    return _typer_build(descriptor)


def install() -> None:
    if getattr(core, "build_runtime_param", None) is _typer_build:
        setattr(core, "build_runtime_param", build_runtime_param)   # noqa: B010 - a private name of typer


def import_help_formatter() -> None:
    """Import typer.rich_utils (typer's help and error boxes) without rich.markdown and rich.traceback.

    It imports both at the top (markdown-it, pygments: ~65 ms of CPU) for the markdown markup mode and for
    pretty tracebacks; kubelab uses rich markup and has pretty tracebacks off, so neither name is ever called.
    Stand-ins are in sys.modules only while typer.rich_utils is imported: anything else still gets the real
    modules. tests/unit/test_cli_start.py checks that the help reads the same byte for byte."""
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins = {}
    for module, name in (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback")):
        if module not in sys.modules:
            stand_in = types.ModuleType(module)
            setattr(stand_in, name, type(name, (), {}))
            stand_ins[module] = stand_in
    sys.modules.update(stand_ins)
    try:
        import typer.rich_utils  # noqa: F401
    finally:
        for module, stand_in in stand_ins.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
