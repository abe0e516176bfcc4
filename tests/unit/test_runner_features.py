"""Pure logic of the runner features labs need (issue 8): no-answer HTTP, TLS assertions, values,
placeholders and escapes, rollout undo, per-check hints, NodePort picking, fitting the live view."""

import pytest
from pydantic import ValidationError

from runner import fit, hints, values
from runner.checks import http
from runner.checks.base import Result
from runner.checks.http import HttpResponse
from runner.cluster.nodeports import Holder, pick, what_frees
from runner.cluster.rollout import undo_template
from runner.i18n import localize_detail
from runner.placeholders import names_in, substitute
from runner.render import plain_table
from runner.sampler import ticks
from runner.schema import Check, Step, Text
from runner.tls import self_signed


def spec(d):
    return Check.model_validate(d).spec


# --- http: no answer ----------------------------------------------------------------------

@pytest.mark.parametrize("error,kind", [
    ("ConnectionRefusedError: [Errno 111] Connection refused", "refused"),
    ("wget: can't connect to remote host (10.96.0.12): Connection refused", "refused"),
    ("RemoteDisconnected: Remote end closed connection without response", "reset"),
    ("wget: error getting response: Connection reset by peer", "reset"),
    ("TimeoutError: timed out", "timeout"),
    ("timed out", "timeout"),
    ("wget: bad address 'web'", "dns"),
    ("SSLError: [SSL: WRONG_VERSION_NUMBER]", "tls"),
    ("something odd", "error"),
])
def test_no_response_is_classified(error, kind):
    assert http.classify(error) == kind


def test_no_answer_passes_only_the_expected_way():
    s = spec({"http": {"url": "http://web:8080/", "no_answer": ["refused"]}})
    assert s.status is None
    ok = http.evaluate(s, HttpResponse(None, error="wget: can't connect to remote host (1.2.3.4): Connection refused"))
    assert ok.ok and "connection refused" in ok.summary
    late = http.evaluate(s, HttpResponse(None, error="timed out"))
    assert not late.ok and "expected refused, but: timed out" in late.summary
    answered = http.evaluate(s, HttpResponse(200, body="web-1"))
    assert not answered.ok and "expected no answer (refused), got HTTP 200" in answered.summary
    any_way = spec({"http": {"url": "http://web:8080/", "no_answer": True}})
    assert any_way.no_answer == ["refused", "reset", "timeout"]
    assert http.evaluate(any_way, HttpResponse(None, error="TimeoutError: timed out")).ok


def test_no_answer_rejects_response_expectations():
    with pytest.raises(ValidationError, match="no_answer expects no response: remove status"):
        Check.model_validate({"http": {"url": "http://x/", "no_answer": True, "status": 200}})
    with pytest.raises(ValidationError, match="refused"):
        Check.model_validate({"http": {"url": "http://x/", "no_answer": ["closed"]}})


def test_a_normal_http_failure_says_how_it_failed():
    s = spec({"http": {"url": "http://web:8080/"}})
    r = http.evaluate(s, HttpResponse(None, error="ConnectionRefusedError: [Errno 111] Connection refused"))
    assert not r.ok and "no response: connection refused" in r.summary


# --- http: TLS --------------------------------------------------------------------------------

def _der(pem: bytes) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def test_tls_served_certificate_must_be_the_secrets():
    mine, _ = self_signed(["web.lab-x.localtest.me"])
    other, _ = self_signed(["TRAEFIK DEFAULT CERT"])
    s = spec({"http": {"from": "host", "url": "https://127.0.0.1/", "host": "web.lab-x.localtest.me",
                       "tls": {"secret": "web-tls", "san_contains": "web.lab-x.localtest.me",
                               "issuer_contains": "CN=web.lab-x"}}})
    assert http.evaluate(s, HttpResponse(200, cert=_der(mine), secret_cert=mine.decode())).ok
    r = http.evaluate(s, HttpResponse(200, cert=_der(other), secret_cert=mine.decode()))
    assert not r.ok and "not the one in Secret web-tls" in r.summary
    assert any("expected a SAN 'web.lab-x.localtest.me'" in d for d in r.details)
    missing = http.evaluate(s, HttpResponse(200, cert=_der(mine), secret_cert=None))
    assert not missing.ok and "Secret not found" in missing.summary


def test_tls_needs_https_from_host():
    with pytest.raises(ValidationError, match="https"):
        Check.model_validate({"http": {"from": "host", "url": "http://x/", "tls": {"san_contains": "a"}}})
    with pytest.raises(ValidationError, match="from: host"):
        Check.model_validate({"http": {"url": "https://x/", "tls": {"san_contains": "a"}}})
    with pytest.raises(ValidationError, match="at least one"):
        Check.model_validate({"http": {"from": "host", "url": "https://x/", "tls": {}}})


# --- values and placeholders -----------------------------------------------------------------

POD = {"kind": "Pod", "metadata": {"name": "duo"}, "status": {"podIP": "10.244.1.7"}}


def test_values_are_read_from_objects():
    v = Step.model_validate({"id": "s", "title": "t", "values": {
        "POD_IP": {"target": {"kind": "Pod", "name": "duo"}, "expr": "status.podIP"},
        "IPS": {"target": {"kind": "Pod", "selector": "app=web"}, "expr": "status.podIP", "all": True, "at": "start"},
    }}).values
    assert values.read("POD_IP", v["POD_IP"], [POD]) == "10.244.1.7"
    assert values.read("IPS", v["IPS"], [POD, POD]) == '["10.244.1.7","10.244.1.7"]'
    with pytest.raises(values.ValueMissing, match="Pod/duo not found"):
        values.read("POD_IP", v["POD_IP"], [])
    with pytest.raises(values.ValueMissing, match="status.podIP is empty on Pod/duo"):
        values.read("POD_IP", v["POD_IP"], [{"kind": "Pod", "metadata": {"name": "duo"}, "status": {}}])


def test_a_value_is_read_from_an_object_not_being_deleted():
    """Right after a pod was deleted it is still listed (terminating): "a pod" at step start is a live one
    (deployment's orphan step relabelled a terminating pod, which then vanished)."""
    v = Step.model_validate({"id": "s", "title": "t", "values": {
        "ONE": {"target": {"kind": "Pod", "selector": "app=web"}, "expr": "metadata.name", "at": "start"},
        "ALL": {"target": {"kind": "Pod", "selector": "app=web"}, "expr": "metadata.name", "all": True}}}).values
    gone = {"kind": "Pod", "metadata": {"name": "web-a", "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    live = {"kind": "Pod", "metadata": {"name": "web-b"}}
    assert values.read("ONE", v["ONE"], [gone, live]) == "web-b"
    assert values.read("ONE", v["ONE"], [gone]) == "web-a"            # only a terminating one: that one
    assert values.read("ALL", v["ALL"], [gone, live]) == '["web-a","web-b"]'


def test_value_names_are_upper_case_and_not_reserved():
    for bad in ("pod_ip", "NAMESPACE"):
        with pytest.raises(ValidationError, match="UPPER_CASE"):
            Step.model_validate({"id": "s", "title": "t", "values": {
                bad: {"target": {"kind": "Pod", "name": "a"}, "expr": "status.podIP"}}})


def test_escape_survives_intermediate_passes_and_is_literal_at_the_end():
    v = {"NAMESPACE": "lab-x"}
    text = "echo $${NAMESPACE} in ${NAMESPACE}, ${POD_IP}"
    once = substitute(text, v, final=False)
    assert once == "echo $${NAMESPACE} in lab-x, ${POD_IP}"
    assert substitute(once, {**v, "POD_IP": "10.0.0.1"}, final=True) == "echo ${NAMESPACE} in lab-x, 10.0.0.1"
    assert names_in({"a": [once]}) == {"POD_IP"}


def test_node_port_alone_is_a_number():
    assert substitute({"nodePort": "${NODE_PORT}", "url": "http://h:${NODE_PORT}/"}, {"NODE_PORT": "30081"}) == \
        {"nodePort": 30081, "url": "http://h:30081/"}


def test_a_check_with_a_value_is_valid_before_the_value_is_known():
    c = Check.model_validate({"exec": {"podName": "duo", "command": ["cat", "/shared/ip"], "stdout_equals": "${POD_IP}"}})
    assert "POD_IP" in names_in(c.model_dump(by_alias=True, exclude_unset=True))


# --- rollout undo --------------------------------------------------------------------------------

def _rs(name, rev, uid="d1", image="v"):
    return {"metadata": {"name": name, "annotations": {"deployment.kubernetes.io/revision": str(rev)},
                         "ownerReferences": [{"uid": uid}]},
            "spec": {"template": {"metadata": {"labels": {"app": "web", "pod-template-hash": "h"}},
                                  "spec": {"containers": [{"name": "web", "image": image}]}}}}


def test_rollout_undo_picks_the_previous_revision():
    dep = {"metadata": {"name": "web", "uid": "d1", "annotations": {"deployment.kubernetes.io/revision": "3"}}}
    rss = [_rs("a", 1, image="v1"), _rs("b", 2, image="v2"), _rs("c", 3, image="v3"), _rs("x", 9, uid="other")]
    rev, tmpl = undo_template(dep, rss)
    assert rev == 2 and tmpl["spec"]["containers"][0]["image"] == "v2"
    assert "pod-template-hash" not in tmpl["metadata"]["labels"]
    assert undo_template(dep, rss, 1)[1]["spec"]["containers"][0]["image"] == "v1"
    with pytest.raises(ValueError, match="no revision 9"):
        undo_template(dep, rss, 9)
    with pytest.raises(ValueError, match="no previous revision"):
        undo_template(dep, [_rs("c", 3)])


# --- hints -----------------------------------------------------------------------------------------

class FakeOutcome:
    def __init__(self, ok, hint=None, label="c"):
        self.result, self.hint, self.label = Result(ok, ""), hint, label


def test_the_failing_checks_own_hint_comes_first():
    step = Step.model_validate({"id": "s", "title": "t", "hints": ["probe", "last: the command"]})
    own = Text.model_validate("the image does not exist")
    outs = [FakeOutcome(True, Text.model_validate("unused")), FakeOutcome(False, own)]
    assert [h.get() for h in hints.ordered(step, outs)] == ["the image does not exist", "probe", "last: the command"]
    shown = []
    for want in ("the image does not exist", "probe", "last: the command", None):
        h = hints.next_hint(step, outs, shown)
        assert (h.get() if h else None) == want
        if h:
            shown.append(h)


# --- node ports, sampler clock ---------------------------------------------------------------------

def test_node_port_pick():
    ports = [30080, 30081, 30082]
    assert pick(ports, "lab-a", {}, []) == 30080
    assert pick(ports, "lab-a", {"lab-b": 30080}, [("default", 30081)]) == 30082
    assert pick(ports, "lab-a", {"lab-a": 30081}, []) == 30081
    assert pick(ports, "lab-a", {}, [("lab-a", 30082)]) == 30082          # its own Service's port first
    assert pick(ports, "lab-a", {"x": 30080, "y": 30081}, [("z", 30082)]) is None


def test_no_free_node_port_names_what_frees_each():
    holders = {"lab-service-verify-wsc1": Holder(30080, "service", "wsc1"),
               "lab-service-wsc1": Holder(30081, "service", "wsc1"),
               "lab-service-verify-f299af": Holder(30082, "service"),
               "lab-service-ana": Holder(30083, "service"),
               "lab-service": Holder(30084, "service"),
               "mine": Holder(30085)}
    text = what_frees(list(range(30080, 30087)), "lab-service-bo", holders, {30086: "web/front", 31000: "x/y"})
    assert text.startswith("no free NodePort in 30080-30086 for lab-service-bo; held by: ")
    assert "workshop learners wsc1 (the instructor frees them: `kubelab workshop down --roster FILE`" in text
    assert "lab-service-verify-wsc1" not in text         # named once, as the learner
    assert "lab-service-verify-f299af (30082, a `kubelab verify` run's; if none is running, it was killed: " \
           "`kubelab reset service` where it ran, with its --learner, or `kubectl delete namespace lab-service-verify-f299af`)" in text
    assert "lab-service-ana (30083: `kubelab --learner ana reset service`)" in text
    assert "lab-service (30084: `kubelab reset service`)" in text
    assert "mine (30085: `kubectl annotate namespace mine kubelab.io/node-port-`)" in text
    assert "Service web/front (30086)" in text and "x/y" not in text
    assert "\n" not in text                                 # one line: describe_error keeps only the first


def test_sampler_ticks():
    assert ticks(10.0, 0.3, 9.0) == 0
    assert ticks(10.0, 0.3, 10.0) == 1
    assert ticks(10.0, 0.3, 10.95) == 4


# --- live view fitting, display width, Korean runner words -------------------------------------------

def test_columns_are_dropped_before_names_are_cut():
    headers = ["OWNER", "POD", "STATUS", "READY", "RESTARTS", "NODE"]
    rows = [["ReplicaSet/web-5d8f7c9b4", "2 pods", "", "2 ready", "", ""],
            ["", "web-5d8f7c9b4-x7k2p", "Running", "1/1", "0", "kubelab-worker"]]
    h, r = fit.fit_columns((headers, rows), 60)
    assert fit.width_of(h, r) <= 60
    assert "NODE" not in h and "POD" in h
    assert any("web-5d8f7c9b4-x7k2p" in c for row in r for c in row)          # the name is whole
    assert any("ReplicaSet/web-5d8f7c9b4" in c for row in r for c in row)     # the group keeps its owner


def test_rows_are_capped_to_the_height():
    t = (["POD"], [[f"p{i}"] for i in range(30)])
    out = fit.fit_rows([("a", t), ("b", t)], 22)
    total = sum(fit.TABLE_OVERHEAD + len(rows) for _, (_, rows) in out)
    assert total <= 22 and len(out) == 2
    assert out[0][1][1][-1][0].startswith("… ") and out[0][1][1][-1][0].endswith("more")


def test_plain_table_aligns_korean_by_display_width():
    lines = plain_table("t", (["이름", "X"], [["파드", "1"], ["ab", "2"]]))
    from rich.cells import cell_len
    # "파드" is 4 cells wide, "ab" 2: the second column starts at the same display column
    assert cell_len(lines[2][:lines[2].index("1")]) == cell_len(lines[3][:lines[3].index("2")]) == 6


def test_runner_phrases_in_details_are_translated():
    assert localize_detail("not passing after 15s (timeout 15s): web is Available", "ko").startswith("15초가 지나도")
    assert localize_detail("anything else", "ko") == "anything else"


def test_live_area_fits_80x24_with_the_prompt_last():
    import io

    from rich.console import Console

    from runner import views
    from runner.render import live_group

    def p(name, rs):
        return {"metadata": {"name": name, "ownerReferences": [{"kind": "ReplicaSet", "name": rs}]},
                "spec": {"nodeName": "kubelab-worker", "containers": [{"name": "web"}]},
                "status": {"phase": "Running", "containerStatuses": [{"ready": True, "restartCount": 0}]}}
    pods = [p(f"web-5d8f7c9b4-{i:05d}", "web-5d8f7c9b4") for i in range(6)] + \
           [p(f"web-7c6b5d4f3-{i:05d}", "web-7c6b5d4f3") for i in range(6)]
    eps = [{"ports": [{"port": 8080}], "endpoints": [{"addresses": [f"10.244.1.{i}"], "conditions": {"ready": True},
                                                       "targetRef": {"name": f"web-5d8f7c9b4-{i:05d}"}} for i in range(6)]}]
    footer = "[Enter] check  [h] hint  [s] solve  [q] quit"
    group = live_group([("pods", views.pods(pods)), ("endpoints", views.endpoints(eps))], footer, 80, 24)
    buf = io.StringIO()
    Console(file=buf, width=80, height=24, color_system=None).print(group)
    lines = buf.getvalue().rstrip("\n").splitlines()
    assert len(lines) <= 23 and lines[-1] == footer
    assert all(len(line) <= 80 for line in lines)
    assert any("web-7c6b5d4f3-00000" in line or "web-5d8f7c9b4-00000" in line for line in lines)   # whole names
    assert not any("…" in line and "web-" in line.split("…")[0][-6:] for line in lines)


def test_long_commands_wrap_between_words_and_stay_pastable():
    cmd = "kubectl -n lab-service-learner patch svc web --type merge -p '{\"spec\": {\"selector\": {\"app\": \"web\"}}}'"
    lines = fit.wrap_command(cmd, 40)
    assert all(line.endswith(" \\") for line in lines[:-1]) and len(lines) > 1
    joined = " ".join(line.removesuffix(" \\").strip() for line in lines)
    assert joined == cmd                                   # nothing lost, the quoted JSON never split
    assert fit.wrap_command("kubectl get pods", 40) == ["kubectl get pods"]


def test_outcomes_in_korean_show_runner_words_and_the_checks_own_hint(capsys):
    from runner.checks.base import Result
    from runner.engine import Outcome
    from runner.render import Out
    r = Result(False, "Deployment/web: not found", ["not passing after 15s (timeout 15s): web is Available"])
    o = Outcome("web is Available", "condition", r, 15.0, [], Text.model_validate({"en": "look", "ko": "보세요"}))
    Out("plain", "ko").outcomes([o])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("  실패 web is Available")
    assert out[1].strip() == "힌트: 보세요"
    assert out[2].strip().startswith("15초가 지나도 통과하지 않음")


def test_back_off_noise_is_not_progress():
    from runner import activity

    def pod(phase, ready, restarts):
        return {"metadata": {"name": "duo"}, "status": {"phase": phase, "conditions": [
            {"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"restartCount": restarts}]}}
    calls = []
    fn = activity.listener("Pod", [pod("Running", False, 1)], calls.append)
    fn([pod("Running", False, 2)])                  # another restart of a crash loop
    assert calls == []
    fn([pod("Running", True, 2)])                   # it became ready: progress
    assert len(calls) == 1
    ev = activity.listener("Event", [], calls.append)
    ev([{"type": "Warning", "reason": "BackOff", "involvedObject": {"name": "duo"}}])
    assert len(calls) == 1
    ev([{"type": "Normal", "reason": "Started", "involvedObject": {"name": "duo"}}])
    assert len(calls) == 2


def test_a_pod_on_its_way_is_not_quiet_but_a_stuck_one_is():
    from runner.activity import any_starting, pod_starting
    now = 1_000_000.0

    def pod(phase, *, ready=False, waiting=None, restarts=0, started=None, scheduled=True, deleting=False):
        c = {"restartCount": restarts, "state": {"waiting": {"reason": waiting}} if waiting else
             ({"running": {"startedAt": started}} if started else {})}
        conds = [{"type": "PodScheduled", "status": "True" if scheduled else "False"},
                 {"type": "Ready", "status": "True" if ready else "False"}]
        meta = {"name": "p", **({"deletionTimestamp": "2026-01-01T00:00:00Z"} if deleting else {})}
        return {"metadata": meta, "status": {"phase": phase, "conditions": conds, "containerStatuses": [c]}}
    from datetime import UTC, datetime

    def ts(t):
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert pod_starting(pod("Pending", waiting="ContainerCreating"), now)
    assert pod_starting(pod("Running", started=ts(now - 5)), now)          # waiting for its readiness probe
    assert pod_starting(pod("Running", ready=True, deleting=True), now)    # terminating
    assert not pod_starting(pod("Pending", waiting="ImagePullBackOff"), now)
    assert not pod_starting(pod("Pending", scheduled=False), now)
    assert not pod_starting(pod("Running", started=ts(now - 60)), now)     # never ready
    assert not pod_starting(pod("Running", restarts=2, started=ts(now - 1)), now)   # a crash loop
    assert not pod_starting(pod("Running", ready=True, started=ts(now - 1)), now)
    assert not any_starting([pod("Succeeded")], now)
    two = pod("Running", started=ts(now - 60))        # one container up for a minute, the other still created
    two["status"]["containerStatuses"].append({"restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}})
    assert pod_starting(two, now)
    unreported = pod("Running", started=ts(now - 60))
    unreported["spec"] = {"containers": [{"name": "web"}, {"name": "shell"}]}
    assert pod_starting(unreported, now)
