"""`kubelab cluster up|down|status` and `kubelab bundle export|import`: the kind cluster's scripts
(build/cluster.sh, build/bundle.sh, shipped in the wheel) and the Service routing health check."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from runner.cli import Ctx

cluster_app = typer.Typer(no_args_is_help=True, help="Start, stop or inspect the kind cluster (build/cluster.sh).")
bundle_app = typer.Typer(no_args_is_help=True, help="Air-gapped bundle: bring the cluster up without network or Go.")


def _cluster_cmd(action: str) -> list[str]:
    from runner.data import cluster_script
    return ["bash", str(cluster_script()), action]


@bundle_app.command("export")
def bundle_export(file: Path | None = typer.Argument(
        None, help="the bundle to write (default: in the cache, where .ci/run looks)")) -> None:
    """Write the node image, lab and add-on images, kind, kubectl, pins and checksums to one file."""
    raise typer.Exit(subprocess.call(_bundle_cmd("export", file)))


@bundle_app.command("import")
def bundle_import(file: Path) -> None:
    """Check a bundle completely, install it and bring the cluster up from it (no network, no Go)."""
    raise typer.Exit(subprocess.call(_bundle_cmd("import", file)))


def _bundle_cmd(action: str, file: Path | None) -> list[str]:
    from runner.data import cluster_script
    return ["bash", str(cluster_script().with_name("bundle.sh")), action] + ([str(file.resolve())] if file else [])


@cluster_app.command("up")
def cluster_up() -> None:
    """Create the kind cluster, or reuse a healthy one (build/cluster.sh up)."""
    raise typer.Exit(subprocess.call(_cluster_cmd("up")))


@cluster_app.command("down")
def cluster_down() -> None:
    """Delete the kind cluster."""
    raise typer.Exit(subprocess.call(_cluster_cmd("down")))


@cluster_app.command("status")
def cluster_status(ctx: typer.Context) -> None:
    """Is the cluster healthy? Nodes, the kubeconfig path, and whether Service routing and DNS work from a
    pod on every node (what is broken and how to repair it)."""
    from runner.health_view import node_lines, show_health
    c: Ctx = ctx.obj
    try:   # through the API, not docker exec: a loaded machine still answers within seconds
        kube = c.kube()
        lines = node_lines(kube)
    except Exception:  # noqa: BLE001 - the script says what is missing (Docker, the cluster) and what to run
        raise typer.Exit(subprocess.call(_cluster_cmd("status"))) from None
    for line in lines:
        c.out.line(line)
    raise typer.Exit(0 if show_health(c.out, kube) else 1)


def health_gate(c: Ctx) -> None:
    """verify and run start only on a cluster whose Service routing works (a good result is cached)."""
    from runner.health_view import gate
    if not gate(c.out, c.kube()):
        raise typer.Exit(3)
