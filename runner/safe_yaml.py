"""YAML for lab files written by hand: bounded size, nesting and alias expansion; duplicate keys and
tags beyond plain JSON-like data (!!set, !!python/..., !!binary) refused. Errors are one line with the position.

Why not plain yaml.safe_load: it accepts duplicate keys silently (the last one wins), expands an alias bomb
into billions of values, and recurses until RecursionError on deep nesting.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from runner import limits


class YamlProblem(ValueError):
    """One line, without the file name (the caller adds it)."""


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


class _Loader(yaml.SafeLoader):
    yaml_constructors = {k: v for k, v in yaml.SafeLoader.yaml_constructors.items()
                         if k not in ("tag:yaml.org,2002:set", "tag:yaml.org,2002:omap",
                                      "tag:yaml.org,2002:pairs", "tag:yaml.org,2002:binary")}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > limits.MAX_YAML_DEPTH:
                raise YamlProblem(f"{_where(self.peek_event().start_mark)}nested more than "
                                  f"{limits.MAX_YAML_DEPTH} levels deep")
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        # values after alias expansion: an alias counts as the whole subtree it names
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self._sizes.get(id(c), 1) for c in node.value)
        elif isinstance(node, MappingNode):
            size += sum(self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1) for k, v in node.value)
        self._sizes[id(node)] = size
        if size > limits.MAX_YAML_NODES:
            raise YamlProblem(f"{_where(node.start_mark)}expands to more than {limits.MAX_YAML_NODES} values "
                              "(an alias bomb?)")
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:  # type: ignore[override]
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if not isinstance(key_node, ScalarNode):
                raise YamlProblem(f"{_where(key_node.start_mark)}a key must be a plain value, not a list or mapping")
            key = self.construct_object(key_node)
            if key in seen:
                raise YamlProblem(f"{_where(key_node.start_mark)}duplicate key {key!r}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _problem(e: yaml.YAMLError) -> YamlProblem:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    if isinstance(e, yaml.constructor.ConstructorError) and "could not determine a constructor" in problem:
        tag = problem.split("tag ", 1)[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        problem = f"tag {tag} is not allowed (use plain mappings, lists and scalars)"
    return YamlProblem(f"{_where(mark)}invalid YAML: {problem}")


def loads_all(text: str) -> list[Any]:
    """Every document of a YAML stream, bounded; raises YamlProblem."""
    loader = _Loader(text)
    try:
        docs = []
        while loader.check_data():
            docs.append(loader.get_data())
        return docs
    except yaml.YAMLError as e:
        raise _problem(e) from None
    except RecursionError:  # the depth bound should prevent this; belt and braces
        raise YamlProblem(f"nested more than {limits.MAX_YAML_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def loads(text: str) -> Any:
    docs = loads_all(text)
    if len(docs) > 1:
        raise YamlProblem("expected one YAML document, found several (a stray '---'?)")
    return docs[0] if docs else None


def read_text(path: Path, max_bytes: int = limits.MAX_FILE_BYTES) -> str:
    """A regular file's UTF-8 text, at most max_bytes; raises YamlProblem (no file name) or OSError."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise YamlProblem("is a directory, expected a file")
        if not stat.S_ISREG(st.st_mode):
            raise YamlProblem("is not a regular file")
        if st.st_size > max_bytes:
            raise YamlProblem(f"is {st.st_size} bytes, more than the {max_bytes} bytes allowed")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise YamlProblem(f"is more than the {max_bytes} bytes allowed")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise YamlProblem(f"line {line}: not valid UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8") from None


def load_file(path: Path) -> Any:
    return loads(read_text(path))


def load_all_file(path: Path) -> list[Any]:
    return loads_all(read_text(path))
