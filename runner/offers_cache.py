"""What the cluster offers (runner/requires.py Offers), kept a few minutes for `kubelab list`.

`list` shows whether each lab runs on this cluster; reading that takes the Kubernetes client and seven API
reads (3 s of CPU and 10 s or more at load 50 on this machine), where `list` should start in 0.3 s. The
answer is kept for TTL seconds per kubeconfig file (its path, size and mtime: a recreated cluster writes a
new one), context and the settings judged with it (KUBELAB_ASSUME, KUBELAB_NODE_PORTS). `verify` and `run`
still read the cluster live, once per run: they decide what runs, `list` only informs.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from runner.data import cache_dir
from runner.requires import Offers

TTL = 600.0      # seconds
FORMAT = 1


def _folder() -> Path:
    return cache_dir() / "offers"


def key(kubeconfig: str | None, context: str | None) -> str | None:
    """None when there is no kubeconfig file to key on (then nothing is kept)."""
    if not kubeconfig:
        return None
    try:
        st = os.stat(kubeconfig)
    except OSError:
        return None
    parts = [str(FORMAT), os.path.abspath(kubeconfig), str(st.st_size), str(st.st_mtime_ns), str(context),
             os.environ.get("KUBELAB_ASSUME", ""), os.environ.get("KUBELAB_NODE_PORTS", "")]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def to_json(o: Offers) -> dict[str, Any]:
    return {"missing": o.missing, "node_address": o.node_address, "kind_cluster": o.kind_cluster,
            "host_ports": None if o.host_ports is None else sorted(o.host_ports)}


def from_json(d: dict[str, Any]) -> Offers:
    ports = d["host_ports"]
    return Offers({str(k): str(v) for k, v in d["missing"].items()}, d["node_address"],
                  None if ports is None else frozenset(int(p) for p in ports), d["kind_cluster"])


def load(k: str, now: float | None = None) -> Offers | None:
    """The kept answer, if it is younger than TTL; None when absent, old or unreadable."""
    try:
        d = json.loads((_folder() / f"{k}.json").read_text())
        age = (time.time() if now is None else now) - float(d["at"])
        return from_json(d["offers"]) if 0 <= age <= TTL else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(k: str, offers: Offers, now: float | None = None) -> None:
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{k}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"at": time.time() if now is None else now, "offers": to_json(offers)}))
        os.replace(tmp, folder / f"{k}.json")       # atomic: a concurrent list never reads half a file
    except OSError:
        pass                                         # a read-only cache only costs speed
