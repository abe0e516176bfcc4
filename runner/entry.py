"""The `kubelab` command's first code. Importing the CLI (Kubernetes client, pydantic, rich) takes a second or
two; Ctrl-C in that time must end the command quietly, not print a KeyboardInterrupt traceback.

The handler is installed when this module is imported (the console script's first import), so the window
left to Python's own start-up is as small as it can be.
"""
from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _quit_while_loading(signum: int, frame: FrameType | None) -> None:
    os.write(2, b"\nkubelab: interrupted\n")
    os._exit(130)   # nothing is started yet: no state to save, no terminal mode to restore


_previous = signal.signal(signal.SIGINT, _quit_while_loading)


def main() -> None:
    from runner.cli import main as cli_main
    signal.signal(signal.SIGINT, _previous)
    try:
        cli_main()
    except KeyboardInterrupt:
        print("\nkubelab: interrupted", file=sys.stderr)
        sys.exit(130)
