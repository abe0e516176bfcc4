"""Keys on a real pseudo-terminal: a key the learner typed while a question was still being printed answers it
(seen in the fault suite: `q` typed right after "namespace ... is gone" was thrown away and `run` hung)."""
from __future__ import annotations

import os
import pty
import signal
import sys
import time

from runner.guided import read_answer
from runner.render import Out


def test_a_key_typed_before_the_question_reads_it_is_its_answer(monkeypatch):
    master, slave = pty.openpty()
    with os.fdopen(slave, "r") as tty_in:
        monkeypatch.setattr(sys, "stdin", tty_in)
        os.write(master, b"q")        # typed while the terminal was still line-buffered (cooked)
        time.sleep(0.05)
        signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("the key was lost: read waits")))
        signal.alarm(5)
        try:
            assert read_answer(Out("rich")) == "q"
        finally:
            signal.alarm(0)
    os.close(master)
