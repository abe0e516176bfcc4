"""Errors the CLI prints as one line (exit 2) instead of a traceback."""
from __future__ import annotations


class LabError(Exception):
    """A lab or one of its files cannot be used; str() is a single human line naming the file and field."""
