"""Which kubeconfig and context kubelab uses, and the learner a workshop kubeconfig names.

Only file reading here (no client library), so commands that never reach the cluster start fast.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

from runner.data import cache_dir


def cluster_kubeconfig() -> Path:
    """Where build/cluster.sh writes the cluster's kubeconfig (same rules as build/lib.sh and cluster.sh:
    KUBELAB_CLUSTER names a second cluster, whose kubeconfig is kubeconfig-<name>)."""
    name = os.environ.get("KUBELAB_CLUSTER") or "kubelab"
    return cache_dir() / ("kubeconfig" if name == "kubelab" else f"kubeconfig-{name}")


DEFAULT_CONTEXT = "kind-kubelab"


def _parse(kubeconfig: str | None) -> Any:
    """The kubeconfig's content (every command reads it twice: context, learner), parsed once per version of the
    file, with libyaml when PyYAML has it (the pure-Python parser takes ~40 ms for a kind kubeconfig)."""
    if not kubeconfig:
        return {}
    st = os.stat(kubeconfig)
    return _parse_version(kubeconfig, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=4)
def _parse_version(kubeconfig: str, mtime_ns: int, size: int) -> Any:
    return yaml.load(Path(kubeconfig).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def resolve_kubeconfig(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit
    env = os.environ.get("KUBECONFIG")
    if env:
        return env.split(os.pathsep)[0]
    if cluster_kubeconfig().is_file():
        return str(cluster_kubeconfig())
    default = Path.home() / ".kube" / "config"
    return str(default) if default.is_file() else None


def resolve_context(kubeconfig: str | None, explicit: str | None = None) -> str | None:
    if explicit or os.environ.get("KUBELAB_CONTEXT"):
        return explicit or os.environ["KUBELAB_CONTEXT"]
    try:
        cfg = _parse(kubeconfig)
        contexts = cfg.get("contexts") if isinstance(cfg, dict) else None
        names = [c.get("name") for c in contexts if isinstance(c, dict)] if isinstance(contexts, list) else []
        own = f"kind-{os.environ.get('KUBELAB_CLUSTER') or 'kubelab'}"
        return own if own in names else None
    except (OSError, ValueError, yaml.YAMLError):   # connect() reports what is wrong with the file
        return None


def learner_of(kubeconfig: str | None, context: str | None) -> str | None:
    """The learner a workshop kubeconfig speaks for (its context's kubelab.io/learner extension), if any."""
    try:
        cfg = _parse(kubeconfig)
        ctx_name = context or (cfg or {}).get("current-context")
        for c in (cfg or {}).get("contexts") or []:
            if c.get("name") == ctx_name:
                for ext in (c.get("context") or {}).get("extensions") or []:
                    if ext.get("name") == "kubelab.io/learner":
                        return str((ext.get("extension") or {}).get("learner") or "") or None
    except (OSError, yaml.YAMLError, AttributeError, TypeError):
        return None
    return None
