"""The `kubelab` command's first code. Importing the CLI (Kubernetes client, pydantic, rich) takes a second or
two; Ctrl-C in that time must end the command quietly, not print a KeyboardInterrupt traceback.

The handler is installed when this module is imported (the console script's first import), so the window
left to Python's own start-up is as small as it can be.
"""
from __future__ import annotations

import atexit
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
    words = set(sys.argv[1:])
    if CLUSTER_COMMANDS & words and "--help" not in words:   # `verify --help` only prints
        import runner.engine  # noqa: F401
        import runner.verify  # noqa: F401
        if "run" in words:     # the guided view and its terminal (rich): only `run` shows them
            import runner.guided  # noqa: F401
        signal.signal(signal.SIGINT, _previous)
    try:
        cli_main()
        code = 0
    except KeyboardInterrupt:
        print("\nkubelab: interrupted", file=sys.stderr)
        code = 130
    except SystemExit as e:
        code = _exit_code(e.code)
    _end(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _end(code: int) -> None:
    """End the command here, not through Python's interpreter teardown: daemon threads (watches, probes) may
    still be inside TLS or websocket code, and the teardown then aborted the process (exit -6 after a saved
    Ctrl-C, in the fault suite); the teardown also resets the SIGINT handler to the default, so a late Ctrl-C
    killed the process (-2) and lost the exit status the command chose."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe (`kubelab list | head`): nothing more to say
            pass
    os._exit(code)
