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


# Commands that only read files (list, show, status, --help, ...) import little and have nothing to save: they
# keep the quiet exit for their whole run. The others load the cluster client and the engine here, while
# Ctrl-C still exits quietly, then get Python's KeyboardInterrupt back (e.g. `run` saves the learner's place).
CLUSTER_COMMANDS = {"run", "check", "solve", "reset", "verify", "cluster", "bundle", "workshop", "board"}


def main() -> None:
    from runner.cli import main as cli_main
    if CLUSTER_COMMANDS & set(sys.argv[1:]) and "--help" not in sys.argv:   # `verify --help` only prints
        import runner.engine  # noqa: F401
        import runner.guided  # noqa: F401
        import runner.verify  # noqa: F401
        signal.signal(signal.SIGINT, _previous)
    try:
        cli_main()
    except KeyboardInterrupt:
        print("\nkubelab: interrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        # The command is done. Python's exit resets a Python SIGINT handler to the default, so a Ctrl-C there
        # would kill the process and lose the exit status the command chose.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
