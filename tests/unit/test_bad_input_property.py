"""Property-based bad input (hypothesis, derandomized so every run checks the same cases): mutations of the
real labs, of their text and of their manifests, and file references aimed outside the lab's folders.

450 + 350 + 200 + 60 = 1,060 generated cases. Each case must end in one of two ways: the lab loads, or
LabError with one line that starts with the file
it is about. Never another exception, never longer than a few seconds, and never a file from outside the
lab's own folders read (a secret file next to the labs folder must never appear in any text).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from runner.loader import LabError, LoadedLab, load_lab_file

ROOT = Path(__file__).resolve().parents[2]
REAL = sorted(p.parent.name for p in (ROOT / "labs").glob("*/lab.yaml"))
SECRET = "SECRET-OUTSIDE-THE-LAB"
PROFILE = settings(derandomize=True, database=None, deadline=None, print_blob=True, phases=[Phase.explicit, Phase.generate],
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ESCAPES = ["../../outside.md", "../../../../../../../../etc/passwd", "/etc/passwd", "..", ".", "",
           "intro.md/../../../outside.md", "./../../outside.md", "a\x00b", "link-out.md", "loop.md"]


@contextlib.contextmanager
def time_limit(seconds: int = 10) -> Iterator[None]:
    """A hang fails the case instead of hanging the suite."""
    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no answer within {seconds}s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def small(data: dict[str, Any]) -> dict[str, Any]:
    """A real lab cut to its first step: the same shapes, loaded several times faster."""
    return {**data, "steps": data["steps"][:1]}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-input")
    shutil.copytree(ROOT / "labs", root / "labs")
    shutil.copytree(ROOT / "manifests", root / "manifests", ignore=shutil.ignore_patterns("cluster"))
    (root / "outside.md").write_text(SECRET)
    for lab in REAL:
        (root / "labs" / lab / "link-out.md").symlink_to(root / "outside.md")
        (root / "labs" / lab / "loop.md").symlink_to(root / "labs" / lab / "loop.md")
        path = root / "labs" / lab / "lab.yaml"
        data = yaml.load(path.read_text(), Loader=_C["Loader"])
        path.write_text(yaml.dump(small(data), Dumper=_C["Dumper"], allow_unicode=True, sort_keys=False))
    return root


_ORIGINALS: dict[Path, dict[str, tuple[str, Any]]] = {}
_C = {"Loader": getattr(yaml, "CSafeLoader", yaml.SafeLoader), "Dumper": getattr(yaml, "CSafeDumper", yaml.SafeDumper)}


def originals(sandbox: Path) -> dict[str, tuple[str, Any]]:
    """Each lab's text and parsed data, read once (libyaml: the cases stay fast)."""
    if sandbox not in _ORIGINALS:
        texts = {lab: (sandbox / "labs" / lab / "lab.yaml").read_text() for lab in REAL}
        _ORIGINALS[sandbox] = {lab: (t, yaml.load(t, Loader=_C["Loader"])) for lab, t in texts.items()}
    return _ORIGINALS[sandbox]


def put(path: Path, data: str | bytes) -> None:
    """A new file in place of the old one: rewriting a file in place (truncate, write) makes ext4 flush it on
    close, ~2 ms of waiting per write, and every case writes twice."""
    path.unlink(missing_ok=True)
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)


def dump(doc: Any) -> str:
    """JSON is YAML too, and written ten times faster than YAML by Python."""
    return json.dumps(doc, ensure_ascii=False, default=str)


ORIGINAL_FILES = {p.name for p in (ROOT / "labs").glob("*/*.md")}


def all_texts(loaded: LoadedLab) -> Iterator[Any]:
    lab = loaded.lab
    yield from (lab.title, lab.concept, lab.intro, *lab.objectives)
    for s in lab.steps:
        yield from (s.title, s.explain, s.task.text if s.task else None, *s.hints)


def outcome(path: Path) -> str:
    """Load the lab and read every text in both languages; 'ok' or 'refused'. Anything else fails."""
    try:
        with time_limit():
            loaded = load_lab_file(path)
            for t in all_texts(loaded):    # only references a mutation made: the lab's own files are fine
                if t is not None and t.file and t.file not in ORIGINAL_FILES:
                    for lang in ("en", "ko"):
                        assert SECRET not in loaded.text(t, lang), "a file outside the lab folder was read"
    except LabError as e:
        line = str(e)
        assert "\n" not in line, line[:300]
        assert line.startswith(f"{path}: "), line[:300]
        assert len(line) < 1000, line[:300]
        return "refused"
    return "ok"


def paths_of(v: Any, here: tuple[Any, ...] = (), out: list[tuple[Any, ...]] | None = None) -> list[tuple[Any, ...]]:
    """Every path into v, parents before children (one list filled in place: the cases stay fast)."""
    out = [] if out is None else out
    out.append(here)
    if isinstance(v, dict):
        for k, x in v.items():
            paths_of(x, (*here, k), out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            paths_of(x, (*here, i), out)
    return out


def clone(v: Any, memo: dict[int, Any] | None = None) -> Any:
    """copy.deepcopy for parsed YAML (mappings, lists, immutable scalars) at a fraction of its cost; a value
    shared through a YAML alias stays shared in the copy, as with deepcopy."""
    if not isinstance(v, (dict, list)):
        return v
    memo = {} if memo is None else memo
    if id(v) not in memo:
        if isinstance(v, dict):
            memo[id(v)] = out = {}
            out.update((k, clone(x, memo)) for k, x in v.items())
        else:
            memo[id(v)] = out = []
            out.extend(clone(x, memo) for x in v)
    return memo[id(v)]


def deep(n: int) -> Any:
    v: Any = "x"
    for _ in range(n):
        v = [v]
    return v


BAD_VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30), st.floats(), st.booleans(), st.none(),
    st.text(max_size=30), st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
    st.sampled_from(ESCAPES), st.sampled_from(ESCAPES).map(lambda f: {"file": f}),
    st.just("x" * 200_000), st.integers(min_value=50, max_value=80).map(deep),
    st.sampled_from(["30s", "-5s", "0", "1e300", ".inf", "2h", "a" * 70, "First", "${NAMESPACE}"]),
)


@settings(PROFILE, max_examples=450)
@given(lab=st.sampled_from(REAL), data=st.data())
def test_mutated_labs_load_or_are_refused_in_one_line(sandbox: Path, lab: str, data: st.DataObject) -> None:
    path = sandbox / "labs" / lab / "lab.yaml"
    text, parsed = originals(sandbox)[lab]
    doc = clone(parsed)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        where = data.draw(st.sampled_from(paths_of(doc)[1:]), label="path")
        parent = doc
        for k in where[:-1]:
            parent = parent[k] if isinstance(parent, (dict, list)) else parent
        if not isinstance(parent, (dict, list)):
            continue
        op = data.draw(st.sampled_from(["set", "delete", "unknown key", "wrap"]), label="op")
        try:
            if op == "set":
                parent[where[-1]] = data.draw(BAD_VALUES, label="value")
            elif op == "delete":
                del parent[where[-1]]
            elif op == "unknown key" and isinstance(parent, dict):
                parent[data.draw(st.sampled_from(["tiemout", "chek", "x-y", "Id"]))] = 1
            else:
                parent[where[-1]] = [clone(parent[where[-1]])]
        except (KeyError, IndexError):
            continue
    try:
        put(path, dump(doc))
        outcome(path)
    finally:
        put(path, text)


TEXT_EDITS = st.sampled_from([
    b"\xff", b"\xc3\x28", b"\x00", b"\t", b"{", b"[", b"&a ", b"*a", b"!!set ", b"!!python/object/apply:os.system ",
    b"!!binary ", b"\ntitle: again\n", b"\n" + b"[" * 2000, b"\n---\n", b"'", b'"', b": ", b"\n  - ", b"%YAML 1.1\n",
])
BOMB = b"bomb: &b0 [x,x,x,x,x,x,x,x,x,x]\n" + b"".join(
    f"b{i}: &b{i} [{','.join([f'*b{i - 1}'] * 10)}]\n".encode() for i in range(1, 9))


@settings(PROFILE, max_examples=350)
@given(lab=st.sampled_from(REAL), data=st.data())
def test_lab_text_damage_is_refused_in_one_line(sandbox: Path, lab: str, data: st.DataObject) -> None:
    path = sandbox / "labs" / lab / "lab.yaml"
    text = originals(sandbox)[lab][0]
    raw = text.encode()
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        at = data.draw(st.integers(0, len(raw)), label="offset")
        kind = data.draw(st.sampled_from(["insert", "truncate", "bomb"]), label="kind")
        if kind == "insert":
            raw = raw[:at] + data.draw(TEXT_EDITS, label="bytes") + raw[at:]
        elif kind == "truncate":
            raw = raw[:at]
        else:
            raw = BOMB + raw
    try:
        put(path, raw)
        outcome(path)
    finally:
        put(path, text)


JUNK_MANIFESTS = st.one_of(
    st.binary(max_size=64),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                 lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
                 max_leaves=8).map(lambda v: yaml.safe_dump(v).encode()),
    st.fixed_dictionaries({"apiVersion": st.sampled_from(["v1", 5, None]), "kind": st.sampled_from(["Pod", "List", 5, "", None]),
                           "metadata": st.sampled_from([{"name": "x"}, {}, "x", None, {"name": 5}]),
                           "items": st.sampled_from(["x", [1], [{"kind": "Pod"}], None])}).map(
        lambda v: yaml.safe_dump(v).encode()),
    st.sampled_from([b"", b"---\n---\n", b"kind: Pod\nkind: Pod\n", b"kind: !!python/name:os.system Pod\n", BOMB]),
)


@settings(PROFILE, max_examples=200)
@given(lab=st.sampled_from(REAL), data=st.data())
def test_broken_manifests_are_refused_naming_file_and_step(sandbox: Path, lab: str, data: st.DataObject) -> None:
    files = sorted((sandbox / "manifests" / lab).glob("*.yaml"))
    target = data.draw(st.sampled_from(files), label="manifest")
    before = target.read_bytes()
    try:
        put(target, data.draw(JUNK_MANIFESTS, label="content"))
        outcome(sandbox / "labs" / lab / "lab.yaml")
    finally:
        put(target, before)


@settings(PROFILE, max_examples=60)
@given(lab=st.sampled_from(REAL), data=st.data())
def test_a_directory_fifo_or_symlink_where_a_file_should_be(sandbox: Path, lab: str, data: st.DataObject) -> None:
    d = sandbox / "labs" / lab
    refs = sorted(p for p in d.glob("*.md") if p.is_file() and not p.is_symlink()) + \
        sorted((sandbox / "manifests" / lab).glob("*.yaml"))
    target = data.draw(st.sampled_from(refs), label="file")
    kind = data.draw(st.sampled_from(["dir", "fifo", "link-out", "loop", "missing"]), label="kind")
    saved = target.with_name(target.name + ".saved")
    target.rename(saved)
    try:
        if kind == "dir":
            target.mkdir()
        elif kind == "fifo":
            os.mkfifo(target)
        elif kind == "link-out":
            target.symlink_to(sandbox / "outside.md")
        elif kind == "loop":
            target.symlink_to(target)
        outcome(d / "lab.yaml")
    finally:
        if target.is_dir() and not target.is_symlink():
            target.rmdir()
        elif target.exists() or target.is_symlink():
            target.unlink()
        saved.rename(target)
