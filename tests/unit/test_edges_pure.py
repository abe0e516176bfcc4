"""Pure pieces of the cluster edge and the UI: parsing, placeholders, progress, views, reports."""
import xml.etree.ElementTree as ET

from runner import views
from runner.checks.base import Result
from runner.cluster.probes import parse_wget, wget_command
from runner.engine import Outcome
from runner.i18n import detect, msg
from runner.junit import write_junit
from runner.placeholders import namespace_for, substitute
from runner.progress import LabProgress, ProgressStore
from runner.render import plain_table
from runner.schema import HttpSpec
from runner.tls import self_signed
from runner.verify import LabReport, StepReport, failure_lines


def test_parse_wget_success_and_error_status():
    err = "Connecting to web:8080 (10.96.0.5:8080)\n  HTTP/1.1 200 OK\n  Content-Type: text/plain\n  Date: x\n"
    r = parse_wget("web-abc", err, 0)
    assert (r.status, r.headers["content-type"], r.body) == (200, "text/plain", "web-abc")
    r = parse_wget("", "  HTTP/1.1 404 Not Found\nwget: server returned error: HTTP/1.1 404 Not Found\n", 1)
    assert r.status == 404
    r = parse_wget("", "wget: can't connect to remote host (10.96.0.5): Connection refused\n", 1)
    assert r.status is None and "Connection refused" in r.error


def test_wget_command_sets_host_timeout_and_tls_flags():
    cmd = wget_command(HttpSpec.model_validate({"url": "https://web/", "host": "a.b", "request_timeout": "3s"}))
    assert cmd[:6] == ["timeout", "3", "wget", "-S", "-O", "-"] and "-T" not in cmd
    assert "Host: a.b" in cmd and "--no-check-certificate" in cmd and cmd[-1] == "https://web/"
    assert parse_wget("", "", 143).error == "timed out"


def test_placeholders_and_namespace_names():
    assert substitute({"name": "${NAMESPACE}-r", "l": ["${LAB}", "${OTHER}"]}, {"NAMESPACE": "lab-x", "LAB": "x"}) == \
        {"name": "lab-x-r", "l": ["x", "${OTHER}"]}
    assert namespace_for("pv-pvc", None) == "lab-pv-pvc"
    assert namespace_for("pod", "Kim_Min") == "lab-pod-kim-min"
    assert len(namespace_for("x" * 80, "y")) <= 63


def test_progress_roundtrip(tmp_path):
    store = ProgressStore("ann", tmp_path)
    assert store.get("pod") == LabProgress()
    store.put("pod", LabProgress(step="exec", completed=["deploy"], hints={"exec": 1}))
    assert ProgressStore("ann", tmp_path).get("pod").step == "exec"
    assert ProgressStore("bob", tmp_path).get("pod").step is None   # per learner
    store.clear("pod")
    assert store.get("pod").step is None


def test_language_detection(monkeypatch):
    for v in ("KUBELAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(v, raising=False)
    assert detect() == "en"
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert detect() == "ko" and detect("EN") == "en"
    assert msg("hint", "ko") == "힌트" and msg("hint", "fr") == "Hint"


def pod(name, owner, ready, deleting=False):
    meta = {"name": name, "ownerReferences": [{"kind": "ReplicaSet", "name": owner}]}
    if deleting:
        meta["deletionTimestamp"] = "x"
    return {"metadata": meta, "spec": {"nodeName": "n1", "containers": [{}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                       "containerStatuses": [{"ready": ready, "restartCount": 0}]}}


def test_pods_view_groups_by_replicaset_with_ready_counts():
    headers, rows = views.pods([pod("a", "rs1", True), pod("b", "rs2", False), pod("c", "rs1", True, deleting=True)])
    assert headers[0] == "OWNER"
    assert rows[0][:4] == ["ReplicaSet/rs1", "1 pods", "", "1 ready"]
    assert rows[2][2] == "Terminating"
    assert ["ReplicaSet/rs2", "1 pods", "", "0 ready", "", ""] in rows


def test_endpoints_and_objects_views():
    sl = [{"ports": [{"port": 8080}], "endpoints": [
        {"addresses": ["10.0.0.1"], "conditions": {"ready": True}, "targetRef": {"name": "web-1"}},
        {"addresses": ["10.0.0.2"], "conditions": {"ready": False, "terminating": True}}]}]
    _, rows = views.endpoints(sl)
    assert rows == [["10.0.0.1", "8080/TCP", "ready", "web-1"], ["10.0.0.2", "8080/TCP", "terminating", "-"]]
    _, rows = views.objects([{"metadata": {"name": "rs"}, "spec": {"replicas": 2}}],
                            {"N": "metadata.name", "R": "spec.replicas", "X": "status.ready"})
    assert rows == [["rs", "2", "-"]]
    assert plain_table("t", (["A", "B"], [["x", "yy"]]))[1:] == ["A  B", "x  yy"]


def failing_report():
    o = Outcome("web selector", "match", Result.failed("Service/web: spec.selector.app: expected 'web', got 'wbe'",
                                                       ["-  app: web", "+  app: wbe"]), 90.0,
                ["events of Service/web:", "  (none)"])
    return LabReport("service", "lab-service-verify", [StepReport("create", "passed"),
                                                       StepReport("expose", "failed", "check", "selector", [o], 91.0)])


def test_failure_lines_name_lab_step_check_with_diff_and_events():
    lines = failure_lines(failing_report())
    assert lines[0].startswith("FAILED service / step expose / check")
    text = "\n".join(lines)
    assert "check 'web selector' (match) FAILED" in text and "+  app: wbe" in text and "events of Service/web" in text


def test_junit_has_a_testcase_per_step_and_the_failure(tmp_path):
    path = tmp_path / "out" / "j.xml"
    write_junit(path, [failing_report()])
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite.get("name") == "service" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["create", "expose"]
    assert "app: wbe" in cases[1].find("failure").text


def test_self_signed_cert_has_sans():
    from cryptography import x509
    crt, key = self_signed(["web.lab-x.localtest.me", "other"])
    cert = x509.load_pem_x509_certificate(crt)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert sans == ["web.lab-x.localtest.me", "other"] and b"PRIVATE KEY" in key


def test_transient_errors_are_retried_and_others_are_not():
    import urllib3
    from kubernetes.client.exceptions import ApiException

    from runner.cluster.client import describe_error, is_transient, retrying

    assert is_transient(ApiException(status=429)) and is_transient(ApiException(status=503))
    assert is_transient(urllib3.exceptions.ProtocolError("Connection reset by peer"))
    assert is_transient(ConnectionResetError()) and not is_transient(ApiException(status=404))
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ApiException(status=500)
        return "ok"
    assert retrying(5.0)(flaky)() == "ok" and len(calls) == 3

    def forbidden():
        calls.append(1)
        raise ApiException(status=403, reason="Forbidden")
    calls.clear()
    try:
        retrying(5.0)(forbidden)()
    except ApiException as e:
        assert describe_error(e) == "403 Forbidden"
    assert len(calls) == 1
