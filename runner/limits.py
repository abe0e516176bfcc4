"""Bounds on what a lab file or a command line may ask for, so a typo cannot hang or exhaust the runner."""
from __future__ import annotations

import math

MAX_FILE_BYTES = 1 << 20      # lab.yaml, markdown, manifests: real ones are a few KiB
MAX_YAML_DEPTH = 64           # nesting levels; Kubernetes objects need about 15
MAX_YAML_NODES = 100_000      # values after alias expansion (an alias bomb expands to billions)
MAX_SECONDS = 3600.0          # any duration: a lab step that waits longer than an hour is a typo
MAX_ID = 63                   # lab and step ids end up in namespace names (DNS labels)
MAX_NAME = 253                # Kubernetes object names
CONNECT_BUDGET = 3.0           # seconds connect() keeps trying to reach the API server before giving up
REQUEST_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds of one API request
WATCH_READ_TIMEOUT = 90.0      # a watch asks the server to end it after 60 s; no byte for 90 s is a dead server
API_OUTAGE = 60.0              # seconds one API call rides out an API server that is away (a restart takes 20-40 s)


def seconds(value: float, what: str = "duration") -> float:
    """A duration in seconds that is finite, positive and at most MAX_SECONDS, else ValueError (one line)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{what} must be a finite number of seconds, got {value}")
    if value <= 0:
        raise ValueError(f"{what} must be more than 0 seconds, got {value:g}")
    if value > MAX_SECONDS:
        raise ValueError(f"{what} must be at most {MAX_SECONDS:g}s (1h), got {value:g}s")
    return value
