"""Global options anywhere on the command line, as kubectl accepts them: `kubelab list --json` is
`kubelab --json list`. click only knows them before the subcommand, so they are moved there."""
from __future__ import annotations

WITH_VALUE = ("--kubeconfig", "--context", "--learner", "--lang", "--labs-dir")
FLAGS = ("--json", "--plain")


def hoist_globals(argv: list[str]) -> list[str]:
    """argv (without the program name) with every global option moved to the front, order kept."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":                     # everything after is an argument
            rest += argv[i:]
            break
        name = a.split("=", 1)[0]
        if a in FLAGS or (name in WITH_VALUE and "=" in a):
            front.append(a)
            i += 1
        elif a in WITH_VALUE and i + 1 < len(argv):
            front += argv[i:i + 2]
            i += 2
        else:
            rest.append(a)
            i += 1
    return front + rest
