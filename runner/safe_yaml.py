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


# libyaml when present (10x faster: the property tests load thousands of files); same checks either way
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge", "timestamp")}


def _check_depth(text: str) -> None:
    """Nesting is measured on the event stream first: composing deep nesting recurses (RecursionError)."""
    loader = _Loader(text)
    depth = 0
    try:
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > limits.MAX_YAML_DEPTH:
                    raise YamlProblem(f"{_where(ev.start_mark)}nested more than {limits.MAX_YAML_DEPTH} levels deep")
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


def _check_node(node: Node, sizes: dict[int, int]) -> int:
    """Tags, keys, and the number of values after alias expansion (an alias counts as all it names)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if node.tag not in _PLAIN:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise YamlProblem(f"{_where(node.start_mark)}tag {tag} is not allowed (use plain mappings, lists and scalars)")
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_check_node(c, sizes) for c in node.value)
    elif isinstance(node, MappingNode):
        seen: set[tuple[str, str]] = set()
        for k, v in node.value:
            if not isinstance(k, ScalarNode):
                raise YamlProblem(f"{_where(k.start_mark)}a key must be a plain value, not a list or mapping")
            if k.tag != "tag:yaml.org,2002:merge":
                if (k.tag, k.value) in seen:
                    raise YamlProblem(f"{_where(k.start_mark)}duplicate key {k.value!r}")
                seen.add((k.tag, k.value))
            size += _check_node(k, sizes) + _check_node(v, sizes)
    if size > limits.MAX_YAML_NODES:
        raise YamlProblem(f"{_where(node.start_mark)}expands to more than {limits.MAX_YAML_NODES} values "
                          "(an alias bomb?)")
    sizes[id(node)] = size
    return size


def _problem(e: yaml.YAMLError) -> YamlProblem:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    return YamlProblem(f"{_where(mark)}invalid YAML: {problem}")


def loads_all(text: str) -> list[Any]:
    """Every document of a YAML stream, bounded; raises YamlProblem."""
    try:
        _check_depth(text)
        loader = _Loader(text)
        try:
            docs = []
            while loader.check_node():
                node = loader.get_node()
                _check_node(node, {})
                docs.append(loader.construct_document(node))
            return docs
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise _problem(e) from None
    except RecursionError:  # the depth bound should prevent this; belt and braces
        raise YamlProblem(f"nested more than {limits.MAX_YAML_DEPTH} levels deep") from None


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
