"""The Service routing health check's pure parts: the probe script, reading busybox output, the diagnosis,
the cache of a good result. The probes themselves run against the live cluster (tests/cluster/test_health.py)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from runner.cluster.health import recently_good, remember_good
from runner.health_logic import MARK, HealthReport, NodeReport, ProbeResult, Target, diagnose, judge, parse_output, probe_script

SVC = Target("clusterip", "http", url="http://10.96.0.10:9153/metrics", expect="coredns_build_info",
             what="ClusterIP 10.96.0.10:9153 (Service kube-system/kube-dns)")
EP = Target("endpoint", "http", url="http://10.244.0.3:9153/metrics", expect="coredns_build_info",
            what="10.244.0.3:9153 (a CoreDNS pod)")
DNS = Target("dns", "dns", lookup="kubernetes.default.svc.cluster.local", server="10.96.0.10", expect="10.96.0.1",
             what="ClusterIP 10.96.0.10:53 (Service kube-system/kube-dns)")
TARGETS = [SVC, EP, DNS]

# busybox 1.35 output as seen in the probe pods (wget -S headers on stderr, nslookup answer on stdout).
OK_OUTPUT = f"""{MARK} clusterip 0
Connecting to 10.96.0.10:9153 (10.96.0.10:9153)
  HTTP/1.1 200 OK
  Content-Type: text/plain; version=0.0.4; charset=utf-8
# TYPE coredns_build_info gauge
coredns_build_info{{goversion="go1.26",revision="",version="1.14.6"}} 1
{MARK} endpoint 0
  HTTP/1.1 200 OK
coredns_build_info{{version="1.14.6"}} 1
{MARK} dns 0
Server:\t\t10.96.0.10
Address:\t10.96.0.10:53

Name:\tkubernetes.default.svc.cluster.local
Address: 10.96.0.1
"""
ROUTING_BROKEN = f"""{MARK} clusterip 143
Connecting to 10.96.0.10:9153 (10.96.0.10:9153)
{MARK} endpoint 0
  HTTP/1.1 200 OK
coredns_build_info{{version="1.14.6"}} 1
{MARK} dns 1
;; connection timed out; no servers could be reached
"""


def test_healthy_output_reads_as_ok() -> None:
    rs = parse_output(OK_OUTPUT, TARGETS)
    assert [(r.target.name, r.ok) for r in rs] == [("clusterip", True), ("endpoint", True), ("dns", True)]
    assert rs[0].detail == "HTTP 200"
    assert diagnose([NodeReport("n1", "p", rs)]) == []


def test_http_answer_must_come_from_the_service() -> None:
    assert judge(SVC, 0, ["  HTTP/1.1 200 OK", 'coredns_build_info{version="1.14.6"} 1']).ok
    # where the host's network answers any address (a proxy), an answer without the content is no proof
    r = judge(SVC, 1, ["  HTTP/1.1 404 Not Found", "wget: server returned error: HTTP/1.1 404 Not Found"])
    assert not r.ok and "HTTP 404 from something else" in r.detail
    r = judge(SVC, 1, ["Connecting to 10.96.0.10:9153 (10.96.0.10:9153)",
                       "wget: can't connect to remote host (10.96.0.10): Connection refused"])
    assert not r.ok and "Connection refused" in r.detail
    assert judge(SVC, 143, ["Connecting to 10.96.0.10:9153"]).detail == "no answer within 3s"


def test_dns_answer_must_name_the_expected_address() -> None:
    assert not judge(DNS, 0, ["Name: kubernetes.default.svc.cluster.local", "Address: 10.96.0.99"]).ok
    # the server's own address (10.96.0.10) must not pass for the answer 10.96.0.1
    assert not judge(DNS, 0, ["Server:\t10.96.0.10", "Address:\t10.96.0.10:53", "", "Name: x", "Address: 10.96.0.11"]).ok
    assert not judge(DNS, 1, ["** server can't find kubernetes.default.svc.cluster.local: NXDOMAIN"]).ok


def test_missing_section_is_a_failure() -> None:
    rs = parse_output(f"{MARK} clusterip 0\n  HTTP/1.1 200 OK\ncoredns_build_info 1\n", TARGETS)
    assert [r.ok for r in rs] == [True, False, False]


def test_diagnosis_names_node_and_cause() -> None:
    nodes = [NodeReport("kubelab-control-plane", "p1", parse_output(OK_OUTPUT, TARGETS)),
             NodeReport("kubelab-worker", "p2", parse_output(ROUTING_BROKEN, TARGETS))]
    problems = diagnose(nodes)
    assert len(problems) == 2, problems
    assert problems[0].startswith("node kubelab-worker: Service routing broken")
    assert "kube-proxy" in problems[0] and "10.96.0.10:9153" in problems[0] and "no answer within 3s" in problems[0]
    assert problems[1].startswith("node kubelab-worker: DNS broken")


def test_pod_network_broken_when_endpoint_fails_too() -> None:
    bad = [ProbeResult(SVC, False, "no answer within 3s"), ProbeResult(EP, False, "no answer within 3s"),
           ProbeResult(DNS, True, "")]
    (p,) = diagnose([NodeReport("w", "p", bad)])
    assert p.startswith("node w: pod network (or CoreDNS) broken") and "10.244.0.3:9153" in p
    assert diagnose([NodeReport("w", None, error="node is NotReady")]) == ["node w: cannot probe: node is NotReady"]


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")
def test_probe_script_runs_probes_at_once_and_bounds_them(tmp_path: Path) -> None:
    """The script under a real sh, with wget/nslookup stand-ins that hang: it ends in ~the bound, not the sum."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("wget", "nslookup"):
        (bindir / name).write_text("#!/bin/sh\nsleep 30\n")
        (bindir / name).chmod(0o755)
    script = probe_script(TARGETS, seconds=1)
    import time
    t0 = time.monotonic()
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=20,
                         env={"PATH": f"{bindir}:/usr/bin:/bin"}).stdout
    took = time.monotonic() - t0
    assert took < 2.5, took
    rs = parse_output(out, TARGETS)
    assert [r.ok for r in rs] == [False, False, False]
    assert all(r.detail == "no answer within 3s" or "exit code" in r.detail for r in rs), [r.detail for r in rs]


def test_good_result_cache_expires(tmp_path: Path) -> None:
    f = tmp_path / "h" / "x.json"
    assert not recently_good(f, 300, 1000.0)
    remember_good(f, 1000.0)
    assert recently_good(f, 300, 1200.0)
    assert not recently_good(f, 300, 1301.0)
    assert not recently_good(f, 300, 900.0)     # a clock gone backwards does not count as recent
    f.write_text(json.dumps({"ok": True, "at": "garbage"}))
    assert not recently_good(f, 300, 1000.0)
    f.write_text("[1, 2")
    assert not recently_good(f, 300, 1000.0)


def test_a_probe_that_never_reported_is_not_a_broken_network() -> None:
    """Seen on a machine at load 100: the exec into the probe pod came back empty, and the node was called
    'pod network broken'. No output says nothing about routing: unprobed, not broken, and not conclusive."""
    silent = parse_output("", TARGETS)
    assert all(r.unknown and not r.ok for r in silent)
    rep = HealthReport([NodeReport("w", "p", silent)], 1.0, diagnose([NodeReport("w", "p", silent)]))
    assert not rep.ok and not rep.conclusive
    assert rep.problems[0].startswith("could not probe node w") and "broken" not in rep.problems[0]
    broken = [NodeReport("w", "p", parse_output(ROUTING_BROKEN, TARGETS)), NodeReport("c", "p", silent)]
    assert HealthReport(broken, 1.0, diagnose(broken)).conclusive
    # cut short after the first two probes' output: the lookup's result is unknown, not failed
    cut = parse_output(OK_OUTPUT.split(f"{MARK} dns")[0], TARGETS)
    assert [r.unknown for r in cut] == [False, False, True]
    (p,) = diagnose([NodeReport("w", "p", cut)])
    assert p.startswith("could not probe node w") and "dns" in p
