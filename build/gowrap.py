#!/usr/bin/env python3
"""Write a wrapper go.mod that builds an upstream Go module at a pinned version.

Replace and exclude directives only apply in the main module, so building e.g.
k8s.io/kubernetes as a dependency loses its `k8s.io/api => ./staging/...` lines
and resolves `k8s.io/api v0.0.0`, which does not exist. The wrapper repeats the
upstream directives, turning each local-path replace into the published module
at the matching version (`--local-version`, default: the module's own version).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def go_json(*args: str, cwd: Path | None = None) -> dict:
    out = subprocess.run(["go", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def wrapper_gomod(name: str, module: str, version: str, local_version: str, upstream: dict) -> str:
    lines = [f"module kubelab.build/{name}", "", f"go {upstream['Go']}", "", f"require {module} {version}", ""]
    for rep in upstream.get("Replace") or []:
        old, new = rep["Old"], rep["New"]
        old_ref = old["Path"] + (f" {old['Version']}" if old.get("Version") else "")
        if new["Path"].startswith("."):  # local path inside the upstream repo: use the published module
            lines.append(f"replace {old_ref} => {old['Path']} {local_version}")
        else:
            lines.append(f"replace {old_ref} => {new['Path']} {new.get('Version', '')}".rstrip())
    for exc in upstream.get("Exclude") or []:
        lines.append(f"exclude {exc['Path']} {exc['Version']}")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("workdir", type=Path)
    ap.add_argument("module_at_version", help="e.g. k8s.io/kubernetes@v1.37.2")
    ap.add_argument("--local-version", help="version for modules the upstream replaces with local paths")
    a = ap.parse_args()
    module, version = a.module_at_version.split("@")
    a.workdir.mkdir(parents=True, exist_ok=True)
    src = Path(go_json("mod", "download", "-json", a.module_at_version, cwd=a.workdir)["Dir"])
    upstream = go_json("mod", "edit", "-json", str(src / "go.mod"))
    name = module.replace("/", "_")
    gomod = wrapper_gomod(name, module, version, a.local_version or version, upstream)
    (a.workdir / "go.mod").write_text(gomod)
    print(src)  # callers need the module's source dir (for pause.c, kind's base files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
