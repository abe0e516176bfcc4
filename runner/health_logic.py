"""Pure logic of the Service routing health check: what each probe pod runs, how its output reads,
and what the results say is broken. The cluster side is runner/cluster/health.py."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

PROBE_SECONDS = 3          # bound on each probe inside the pod; the probes run at the same time
REPAIR = "repair: make cluster (restarts kube-proxy, or recreates the cluster when that is not enough)"
MARK = "@@kubelab-probe"


@dataclass(frozen=True)
class Target:
    """One probe. kind "http": an HTTP answer from url whose body holds `expect` (the content matters: where
    the host's network answers any address, e.g. through a proxy, a mere answer proves nothing);
    kind "dns": nslookup of `lookup` through `server` must answer with the address `expect`."""
    name: str
    kind: str
    url: str = ""
    lookup: str = ""
    server: str = ""
    expect: str = ""
    what: str = ""          # for messages: "ClusterIP 10.96.0.1:443 (Service default/kubernetes)"


NO_OUTPUT = "no output from the probe"


@dataclass
class ProbeResult:
    target: Target
    ok: bool
    detail: str
    unknown: bool = False      # the probe never reported (exec cut short): says nothing about routing


@dataclass
class NodeReport:
    node: str
    pod: str | None
    results: list[ProbeResult] = field(default_factory=list)
    error: str = ""          # no probe pod on the node, exec failed...

    def result(self, name: str) -> ProbeResult | None:
        return next((r for r in self.results if r.target.name == name), None)


def probe_command(t: Target, seconds: int = PROBE_SECONDS) -> str:
    # busybox wget's own -T crashes the static build: `timeout` bounds it (as in probes.py).
    if t.kind == "http":
        tls = " --no-check-certificate" if t.url.startswith("https") else ""
        return f"timeout {seconds} wget -S -O -{tls} '{t.url}'"
    if t.kind == "dns":
        return f"timeout {seconds} nslookup '{t.lookup}' {t.server}".rstrip()
    raise ValueError(f"unknown probe kind {t.kind!r}")


def probe_script(targets: list[Target], seconds: int = PROBE_SECONDS) -> str:
    """One sh script running every probe at once, so a broken node answers in `seconds`, not their sum."""
    lines = ['d=$(mktemp -d)']
    for i, t in enumerate(targets):
        lines.append(f"( {probe_command(t, seconds)} >$d/{i}.out 2>$d/{i}.err; echo $? >$d/{i}.rc ) &")
    lines.append("wait")
    for i, t in enumerate(targets):
        # a metrics page is long: of a body, only the line holding what is expected comes back
        body = f"grep -m1 -F -e '{t.expect}' $d/{i}.out" if t.kind == "http" and t.expect else f"head -c 2000 $d/{i}.out"
        lines.append(f'echo "{MARK} {t.name} $(cat $d/{i}.rc)"; head -c 2000 $d/{i}.err; {body}')
    lines.append('rm -rf "$d"')
    return "\n".join(lines)


def parse_output(stdout: str, targets: list[Target]) -> list[ProbeResult]:
    sections: dict[str, tuple[int | None, list[str]]] = {}
    current = None
    for line in stdout.splitlines():
        if line.startswith(MARK + " "):
            parts = line.split()
            current = parts[1] if len(parts) > 1 else "?"
            rc = int(parts[2]) if len(parts) > 2 and parts[2].lstrip("-").isdigit() else None
            sections[current] = (rc, [])
        elif current is not None:
            sections[current][1].append(line)
    return [judge(t, *sections.get(t.name, (None, [NO_OUTPUT]))) for t in targets]


def judge(t: Target, rc: int | None, lines: list[str]) -> ProbeResult:
    if rc is None and lines == [NO_OUTPUT]:
        return ProbeResult(t, False, NO_OUTPUT, unknown=True)
    text = "\n".join(lines)
    if t.kind == "http":
        status = next((s.split()[1] for s in (x.strip() for x in lines) if s.startswith("HTTP/") and len(s.split()) > 1), None)
        if status and t.expect in text:
            return ProbeResult(t, True, f"HTTP {status}")
        if status:
            return ProbeResult(t, False, f"HTTP {status} from something else: the answer lacks {t.expect!r}")
        return ProbeResult(t, False, failure(rc, lines))
    answer = text.split("Name:", 1)[1] if "Name:" in text else ""    # not the "Server:" lines
    if rc == 0 and re.search(rf"(?<![\d.]){re.escape(t.expect)}(?![\d.])", answer):
        return ProbeResult(t, True, f"{t.lookup} -> {t.expect}")
    return ProbeResult(t, False, failure(rc, lines) if rc != 0 else f"answer lacks {t.expect}: {one_line(text)}")


def failure(rc: int | None, lines: list[str]) -> str:
    if rc in (124, 143):
        return f"no answer within {PROBE_SECONDS}s"
    msg = next((x.strip() for x in lines if "can't connect" in x or "refused" in x or "timed out" in x
                or "NXDOMAIN" in x or "server can't" in x or x.startswith(("wget:", "nslookup:", ";;"))), "")
    return msg or (one_line("\n".join(lines)) or f"exit code {rc}")


def one_line(text: str, limit: int = 160) -> str:
    s = " ".join(text.split())
    return s if len(s) <= limit else s[:limit - 1] + "…"


@dataclass
class HealthReport:
    nodes: list[NodeReport]
    seconds: float
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def conclusive(self) -> bool:
        """Something was found broken, not only left unprobed (an overloaded machine cuts execs short)."""
        return any(not p.startswith(UNPROBED) for p in self.problems)


UNPROBED = "could not probe"


def diagnose(nodes: list[NodeReport]) -> list[str]:
    """One line per broken thing, naming the node, what failed and what that points to."""
    out = []
    for n in nodes:
        if n.error:
            out.append(f"node {n.node}: cannot probe: {n.error}")
            continue
        found = len(out)
        svc, ep, dns = (r if r and not r.unknown else None for r in (n.result(k) for k in ("clusterip", "endpoint", "dns")))
        if svc and not svc.ok:
            if ep and ep.ok:
                out.append(f"node {n.node}: Service routing broken: a pod there gets no answer from "
                           f"{svc.target.what} ({svc.detail}), though its endpoint {ep.target.what} answers: "
                           "kube-proxy's rules on this node are missing or stale")
            else:
                why = f"; its endpoint {ep.target.what} does not answer either ({ep.detail})" if ep else ""
                out.append(f"node {n.node}: pod network (or CoreDNS) broken: no answer from {svc.target.what} "
                           f"({svc.detail}){why}")
        if dns and not dns.ok:
            out.append(f"node {n.node}: DNS broken: lookup of {dns.target.lookup} via {dns.target.what} "
                       f"failed ({dns.detail})")
        silent = [r.target.name for r in n.results if r.unknown]
        if silent and len(out) == found:
            # the exec was cut short (its output ends early): unknown is not broken
            out.append(f"{UNPROBED} node {n.node}: no answer in time from its probe pod for {', '.join(silent)} "
                       "(the node or the API server too busy to run it; this says nothing about routing: try again)")
    return out
