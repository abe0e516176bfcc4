"""YAML with line numbers: the parsed data plus the line of every mapping key and list item, by path."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[Any, ...]   # ("steps", 0, "check", 1, "match")


@dataclass
class Doc:
    data: Any
    line: int                                   # first line of the document (1-based)
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """Line of the longest prefix of path that is in the file (model-internal tails are dropped)."""
        for n in range(len(path), 0, -1):
            if tuple(path[:n]) in self.lines:
                return self.lines[tuple(path[:n])]
        return self.line


class YamlError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _index(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key: Any = k.value
            if getattr(k, "tag", "").endswith(":int"):
                key = int(key)
            out[path + (key,)] = k.start_mark.line + 1
            _index(v, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            _index(item, path + (i,), out)


# libyaml when present: a lab's files are parsed several times faster (same marks, same data)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_docs(text: str) -> list[Doc]:
    """Every document of a YAML stream with its line index; empty documents are skipped."""
    loader = _Loader(text)
    try:
        nodes, datas = [], []
        while loader.check_node():       # one parse: each document's data is constructed from its nodes
            node = loader.get_node()
            nodes.append(node)
            datas.append(loader.construct_document(node))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise YamlError(mark.line + 1 if mark else 1, f"invalid YAML: {getattr(e, 'problem', None) or e}") from None
    finally:
        loader.dispose()
    docs = []
    for node, data in zip(nodes, datas):
        if node is None or data is None:
            continue
        lines: dict[Path_, int] = {}
        _index(node, (), lines)
        docs.append(Doc(data, node.start_mark.line + 1, lines))
    return docs
