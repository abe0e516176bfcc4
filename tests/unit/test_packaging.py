"""What the wheel must carry (pyproject's explicit package list and data mapping) for kubelab to work installed."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_the_wheel_lists_every_python_package_of_the_runner() -> None:
    """Packages are listed explicitly (to map build/ into the wheel): a new runner/ subpackage must be added."""
    listed = set(SETUPTOOLS["packages"])
    found = {".".join(d.relative_to(ROOT).parts) for d in (ROOT / "runner").rglob("*")
             if d.is_dir() and any(d.glob("*.py")) and "__pycache__" not in d.parts}
    assert found | {"runner"} <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_build_scripts_only_use_files_the_wheel_carries() -> None:
    """Installed, the scripts' REPO_DIR is kubelab_data/: it holds build/ and manifests/cluster/ only."""
    packaged = {Path(d) for d in SETUPTOOLS["package-dir"].values()}
    for script in sorted((ROOT / "build").glob("**/*.sh")):
        for ref in re.findall(r"\$\{?REPO_DIR\}?/([\w./-]+)", script.read_text()):
            assert any(Path(ref) == d or d in Path(ref).parents for d in packaged), \
                f"{script.relative_to(ROOT)} uses $REPO_DIR/{ref}, which the wheel does not carry " \
                "(add it to [tool.setuptools] package-dir in pyproject.toml)"
