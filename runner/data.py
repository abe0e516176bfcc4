"""Where kubelab's own files are: the cluster build (build/), the cluster config and add-ons
(manifests/cluster/) and the lab JSON schema (schema/).

In a checkout (also an editable install) they sit next to runner/; an installed wheel carries them as
package data in kubelab_data/ beside runner/, with the same relative layout, so the shell scripts find
their siblings the same way in both places.
"""
from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The folder holding build/cluster.sh: this checkout, else the installed kubelab_data/."""
    for root in (_PACKAGE_PARENT, _PACKAGE_PARENT / "kubelab_data"):
        if (root / "build" / "cluster.sh").is_file():
            return root
    raise FileNotFoundError(f"kubelab's cluster scripts are missing (looked in {_PACKAGE_PARENT}/build and "
                            f"{_PACKAGE_PARENT}/kubelab_data/build): reinstall kubelab")


def cluster_script() -> Path:
    return data_root() / "build" / "cluster.sh"


def schema_file() -> Path:
    return data_root() / "schema" / "lab.schema.json"


def cache_dir() -> Path:
    """kubelab's cache (the cluster's kubeconfig, lab index, offers, verify times): $KUBELAB_CACHE, else
    $XDG_CACHE_HOME/kubelab, else ~/.cache/kubelab, as build/lib.sh has it."""
    return Path(os.environ.get("KUBELAB_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubelab")
