"""The faults the suite causes, on its own disposable kind cluster (never on the shared `kubelab` one):
the API server away for a while, a node restarted, kube-controller-manager away; and kubelab run as a
learner runs it (a subprocess, or on a pseudo-terminal to press keys and Ctrl-C)."""
from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "tests" / "faults" / "fault-labs" / "faults"
MANIFESTS = "/etc/kubernetes/manifests"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")


@dataclass
class FaultCluster:
    name: str
    kubeconfig: Path

    @property
    def control_plane(self) -> str:
        return f"{self.name}-control-plane"

    @property
    def worker(self) -> str:
        return f"{self.name}-worker"

    def kubectl(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """kubectl of the control-plane node (matches the cluster; the machine may have none)."""
        return subprocess.run(["docker", "exec", self.control_plane, "kubectl", "--kubeconfig",
                               "/etc/kubernetes/admin.conf", *args], capture_output=True, text=True,
                              check=check, timeout=timeout)

    def api_up(self) -> bool:
        """The API server answers /readyz from this machine (the way kubelab reaches it)."""
        try:
            r = subprocess.run(["docker", "exec", self.control_plane, "curl", "-sk", "-m", "2",
                                "https://127.0.0.1:6443/readyz"], capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return r.stdout.strip() == "ok"

    def wait(self, what: str, ok: Callable[[], bool], timeout: float, every: float = 1.0) -> float:
        t0 = time.monotonic()
        while not ok():
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"{self.name}: {what} not reached after {timeout:.0f}s")
            time.sleep(every)
        return time.monotonic() - t0

    def healthy(self) -> bool:
        """Both nodes Ready, the API server ready, every kube-system pod Running and ready."""
        if not self.api_up():
            return False
        r = self.kubectl("get", "nodes", "-o", "jsonpath={range .items[*]}{.status.conditions[?(@.type=='Ready')].status}{' '}{end}",
                         check=False)
        if r.returncode or r.stdout.split() != ["True", "True"]:
            return False
        r = self.kubectl("get", "pods", "-n", "kube-system", "--no-headers", check=False)
        rows = [line.split() for line in r.stdout.splitlines()]
        return r.returncode == 0 and bool(rows) and all(
            row[2] == "Running" and row[1].split("/")[0] == row[1].split("/")[1] for row in rows)

    def wait_healthy(self, timeout: float = 240) -> float:
        return self.wait("a healthy cluster (nodes Ready, kube-system running)", self.healthy, timeout, 2.0)

    def move_manifest(self, component: str, away: bool) -> None:
        src, dst = f"{MANIFESTS}/{component}.yaml", f"/etc/kubernetes/{component}.yaml.away"
        if not away:
            src, dst = dst, src
        subprocess.run(["docker", "exec", self.control_plane, "mv", src, dst], check=True, timeout=30)

    def restore_manifests(self) -> None:
        """Put back any static-pod manifest a failed test left away."""
        subprocess.run(["docker", "exec", self.control_plane, "sh", "-c",
                        f"for f in /etc/kubernetes/*.yaml.away; do [ -e \"$f\" ] || continue; "
                        f"b=$(basename \"$f\" .away); mv \"$f\" {MANIFESTS}/$b; done"], check=False, timeout=30)


@dataclass
class Outage:
    """The API server away: its static-pod manifest moved out (the kubelet stops it), back after `seconds`."""
    cluster: FaultCluster
    seconds: float = 25.0
    down_for: float = 0.0              # measured: first failed /readyz to the first good one again
    down_at: float = 0.0               # time.monotonic() of both
    up_at: float = 0.0
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Outage:
        self._thread = threading.Thread(target=self._run, daemon=True, name="outage")
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.cluster.move_manifest("kube-apiserver", away=True)
            self.cluster.wait("API server down", lambda: not self.cluster.api_up(), 60, 0.5)
            t0 = self.down_at = time.monotonic()
            time.sleep(self.seconds)
            self.cluster.move_manifest("kube-apiserver", away=False)
            self.cluster.wait("API server back", self.cluster.api_up, 180, 0.5)
            self.up_at = time.monotonic()
            self.down_for = self.up_at - t0
        except BaseException as e:  # noqa: BLE001 - reported by join()
            self.error = e
            self.cluster.restore_manifests()

    def join(self) -> float:
        assert self._thread is not None
        self._thread.join(300)
        if self.error:
            raise self.error
        return self.down_for


def kubelab_env(cluster: FaultCluster, state: Path, learner: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBELAB_", "KUBECONFIG"))}
    env.update(KUBECONFIG=str(cluster.kubeconfig), XDG_STATE_HOME=str(state), KUBELAB_LEARNER=learner,
               PYTHONUNBUFFERED="1", KUBELAB_CONTEXT=f"kind-{cluster.name}")
    return env


def kubelab_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "runner", *args]


@dataclass
class Proc:
    """A kubelab process with its output gathered line by line (stdout and stderr together)."""
    args: tuple[str, ...]
    env: dict[str, str]
    stdin: str | None = None
    out: list[str] = field(default_factory=list)

    def start(self) -> Proc:
        self.p = subprocess.Popen(kubelab_cmd(*self.args), env=self.env, cwd=REPO, text=True, bufsize=1,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.out.append(line.rstrip("\n"))

    def send(self, text: str) -> None:
        assert self.p.stdin is not None
        self.p.stdin.write(text)
        self.p.stdin.flush()

    def wait_for(self, pattern: str, timeout: float) -> str:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.out):
                if rx.search(line):
                    return line
            if self.p.poll() is not None:
                time.sleep(0.2)
                if not any(rx.search(x) for x in self.out):
                    raise AssertionError(f"exited ({self.p.returncode}) before {pattern!r}:\n" + self.text)
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} after {timeout:.0f}s:\n" + self.text)

    def finish(self, timeout: float) -> int:
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise AssertionError(f"kubelab {' '.join(self.args)} hung (> {timeout:.0f}s):\n" + self.text) from None

    @property
    def text(self) -> str:
        return "\n".join(self.out)


class Terminal:
    """kubelab on a pseudo-terminal, as a learner runs it: keys typed, Ctrl-C through the line discipline."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, self.slave = os.openpty()
        attrs = termios.tcgetattr(self.slave)
        self.cooked = attrs[3] & (termios.ICANON | termios.ECHO)
        env = {**env, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        self.p = subprocess.Popen(kubelab_cmd(*args), env=env, cwd=REPO, stdin=self.slave, stdout=self.slave,
                                  stderr=self.slave, start_new_session=True,
                                  preexec_fn=lambda: __import__("fcntl").ioctl(0, termios.TIOCSCTTY, 0))
        self.raw = b""

    def pump(self, timeout: float = 0.2) -> None:
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                self.raw += os.read(self.master, 65536)
            except OSError:
                pass

    @property
    def screen(self) -> str:
        return ANSI.sub("", self.raw.decode("utf-8", "replace"))

    def wait_for(self, pattern: str, timeout: float, since: int = 0) -> None:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if rx.search(self.screen[since:]):
                return
            if self.p.poll() is not None:
                self.pump(0.5)
                if rx.search(self.screen[since:]):
                    return
                raise AssertionError(f"exited ({self.p.returncode}) before {pattern!r}:\n{self.screen[-3000:]}")
        raise AssertionError(f"no {pattern!r} after {timeout:.0f}s:\n{self.screen[-3000:]}")

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def ctrl_c(self) -> None:
        os.write(self.master, b"\x03")       # the tty turns it into SIGINT for the foreground group

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.p.poll() is None and time.monotonic() < deadline:
            self.pump()
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            raise AssertionError(f"did not end within {timeout:.0f}s of Ctrl-C:\n{self.screen[-3000:]}")
        self.pump(0.3)
        return self.p.returncode

    def restored(self) -> bool:
        """Echo and line mode back on, and the cursor shown again if it was hidden."""
        attrs = termios.tcgetattr(self.slave)
        raw = self.raw.decode("utf-8", "replace")
        cursor_ok = raw.rfind("\x1b[?25l") <= raw.rfind("\x1b[?25h")
        return (attrs[3] & (termios.ICANON | termios.ECHO)) == self.cooked and cursor_ok

    def close(self) -> None:
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
        os.close(self.master)
        os.close(self.slave)
