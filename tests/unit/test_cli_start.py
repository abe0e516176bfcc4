"""The commands that only read files start fast: `list`, `show`, `status` and `--help` never import the
Kubernetes client or pydantic (the times themselves are measured by benchmarks/cli_start.py, not here)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from runner import typer_lite

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("kubernetes", "pydantic", "pydantic_core", "urllib3", "runner.schema", "runner.engine", "runner.cluster.client")

# The entry point as the console script runs it; what it imported is written out when Python exits.
CHILD = """import atexit, json, sys
out, args = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["kubelab", *args]
from runner.entry import main
main()
"""


def imported(tmp_path: Path, *args: str, kubeconfig: Path | None = None, ok: bool = True) -> set[str]:
    """The modules `kubelab args` imported; no kubeconfig unless given (HOME is empty)."""
    out = tmp_path / "modules.json"
    env = {**os.environ, "KUBELAB_CACHE": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "HOME": str(tmp_path / "home"), "KUBECONFIG": str(kubeconfig or "")}
    r = subprocess.run([sys.executable, "-c", CHILD, str(out), "--plain", *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert (r.returncode == 0 or not ok) and "Traceback" not in r.stderr, r.stderr
    return set(json.loads(out.read_text()))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m in HEAVY or m.split(".")[0] in HEAVY)


def test_list_show_status_import_no_client_and_no_pydantic_once_the_index_is_filled(tmp_path: Path) -> None:
    # The first run validates every lab (pydantic) and fills the index: this is what the check must catch.
    assert "pydantic" in heavy(imported(tmp_path, "list"))
    for args in (["list"], ["status"], ["show", "pod"], ["list", "--json"]):
        assert heavy(imported(tmp_path, *args)) == [], args


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: kind-kubelab, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: kind-kubelab, user: {token: x}}]
contexts: [{name: kind-kubelab, context: {cluster: kind-kubelab, user: kind-kubelab}}]
current-context: kind-kubelab
"""


def test_list_with_a_cluster_uses_what_it_read_minutes_ago(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`list` shows whether each lab runs here: read from the cluster once (the client is imported), then kept."""
    from runner import offers_cache
    from runner.requires import Offers
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    imported(tmp_path, "list")                                    # fills the lab index
    assert "kubernetes" in heavy(imported(tmp_path, "list", kubeconfig=kubeconfig))   # nothing kept: read it
    monkeypatch.setenv("KUBELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("KUBELAB_CLUSTER", raising=False)
    key = offers_cache.key(str(kubeconfig), "kind-kubelab")
    assert key
    offers_cache.save(key, Offers({"metrics-api": "needs the metrics API (kept)"}, "10.0.0.2", frozenset({80}), "kubelab"))
    assert heavy(imported(tmp_path, "list", kubeconfig=kubeconfig)) == []


def test_help_imports_no_client_no_pydantic_and_no_markdown(tmp_path: Path) -> None:
    for args in (["--help"], ["show", "--help"], ["verify", "--help"]):
        modules = imported(tmp_path, *args)
        assert heavy(modules) == [] and "typer.rich_utils" in modules, args
        assert not {"markdown_it", "pygments", "rich.markdown", "rich.traceback"} & modules, args


@pytest.mark.parametrize("args", [["--help"], ["show", "--help"], ["verify", "--help"], ["cluster", "--help"], []])
def test_help_reads_the_same_as_typers_own(args: list[str]) -> None:
    """Help formatted with the stand-ins for rich.markdown/traceback is byte for byte typer's own (in colour)."""
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "100", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    run = "import sys; sys.argv = ['kubelab', *sys.argv[1:]]; from runner.entry import main; main()"

    def out(code: str) -> tuple[int, str, str]:
        r = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
        return r.returncode, r.stdout, r.stderr
    ours = out(run)
    assert "\x1b[" in ours[1] + ours[2] and "Usage" in ours[1] + ours[2]      # colour and a help text, really
    assert ours == out("import typer.rich_utils; " + run)                     # typer.rich_utils imported as is


def test_typer_lite_is_installed() -> None:
    from typer import core

    import runner.cli  # noqa: F401  (installs it)
    assert core.build_runtime_param is typer_lite.build_runtime_param


@pytest.mark.parametrize("annotation, info, values", [
    (str, typer.models.OptionInfo(), ["", "pod", "ünï", "--x"]),
    (Path, typer.models.OptionInfo(), ["", ".", "a/../b/", "~/x", "/etc"]),
    (Path, typer.models.OptionInfo(exists=True), ["/etc", "/no/such/file"]),
    (Path, typer.models.OptionInfo(dir_okay=False), ["/etc", "/etc/hostname"]),
    (Path, typer.models.OptionInfo(resolve_path=True), ["a/../b"]),
    (bool, typer.models.OptionInfo(), [True, False, "yes", "0"]),
])
def test_typer_lite_coerces_like_typer(annotation: type, info: typer.models.ParameterInfo, values: list[object]) -> None:
    """Same value or the same error as typer's pydantic coercion, for every value the CLI can pass."""
    from typer import _coercion
    desc = _coercion.resolve_type_descriptor(annotation, info)
    assert typer_lite.plain(desc)
    theirs, ours = typer_lite._typer_build(desc), typer_lite.build_runtime_param(desc)
    assert not isinstance(theirs, type(ours))

    def outcome(rp: _coercion.RuntimeParam, v: object) -> object:
        try:
            return rp._coerce_value(v, param=None, ctx=None)
        except Exception as e:   # noqa: BLE001 - the error itself is compared
            return (type(e), e.format_message() if hasattr(e, "format_message") else str(e))
    for v in values:
        assert outcome(ours, v) == outcome(theirs, v), v


def test_typer_lite_leaves_other_parameters_to_typer() -> None:
    from typer import _coercion
    for annotation, info in [(int, typer.models.OptionInfo()), (float, typer.models.OptionInfo()),
                             (list[str], typer.models.ArgumentInfo()),
                             (Path, typer.models.OptionInfo(path_type=str)),
                             (str, typer.models.OptionInfo(parser=str.upper))]:
        desc = _coercion.resolve_type_descriptor(annotation, info)
        assert not typer_lite.plain(desc), annotation
        assert not isinstance(typer_lite.build_runtime_param(desc), typer_lite._PlainParam)


def test_verify_loads_the_engine_but_not_the_guided_view(tmp_path: Path) -> None:
    """CI's command: the engine is imported while Ctrl-C still exits quietly, the guided view and its terminal
    (rich) are not: only `run` shows them (50-70 ms of CPU per verify)."""
    modules = imported(tmp_path, "verify", "pod", ok=False)      # no kubeconfig: it ends at connecting
    assert "runner.engine" in modules
    assert not {"runner.guided", "rich.console"} & modules
