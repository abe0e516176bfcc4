"""The error hierarchy (runner/errors.py) and its translation at the cluster edge (runner/cluster/client.py):
the client library's exceptions leave runner/cluster/ as kubelab's, with the same one-line message and the
same verdict on whether a wait could change them."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3
from fake_api import FakeAPI, pod, serve
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import NotFoundError, api_exception

from runner import errors, limits
from runner.cluster import client as kclient
from runner.cluster.client import Kube, call, connect, translate
from tests.unit.test_informer_fake_api import KUBECONFIG


def api_error(status: int, message: str = "", reason: str = "x") -> ApiException:
    e = ApiException(status=status, reason=reason)
    e.body = json.dumps({"code": status, "reason": reason, "message": message}) if message else ""
    return e


SA_NOT_YET = 'pods "duo" is forbidden: error looking up service account lab-x/default: serviceaccount "default" not found'
SCHEMA = "failed to create typed patch object (x/web; /v1, Kind=Pod): .spec.foo: field not declared in schema"


@pytest.mark.parametrize("raw, cls, permanent", [
    (api_error(404, 'pods "web" not found', "NotFound"), errors.NotFound, False),
    (api_error(401, "Unauthorized", "Unauthorized"), errors.Unauthorized, True),
    (api_error(403, 'pods is forbidden: User "ann" cannot list resource "pods"', "Forbidden"), errors.Forbidden, True),
    (api_error(403, SA_NOT_YET, "Forbidden"), errors.Forbidden, False),
    (api_error(400, "unable to parse requirement: invalid label key", "BadRequest"), errors.InvalidRequest, True),
    (api_error(422, 'Service "web" is invalid: spec.ports[0].nodePort: already allocated', "Invalid"),
     errors.InvalidRequest, True),
    (api_error(500, SCHEMA), errors.InvalidRequest, True),
    (api_error(409, 'configmaps "lock" already exists', "AlreadyExists"), errors.Conflict, False),
    (api_error(503, "", "Service Unavailable"), errors.ApiUnavailable, False),
    (api_error(0, "Handshake status 403 Forbidden"), errors.ApiUnavailable, False),
])
def test_each_api_answer_becomes_its_kubelab_error(raw, cls, permanent):
    mine = translate(raw)
    assert type(mine) is cls and isinstance(mine, errors.ClusterError) and isinstance(mine, errors.KubelabError)
    assert str(mine) == kclient.describe_error(raw) and "\n" not in str(mine)      # the message is unchanged
    assert mine.permanent is permanent and kclient.is_permanent(mine) is kclient.is_permanent(raw) is permanent
    assert errors.is_permanent(mine) is permanent
    assert kclient.status_of(mine) == raw.status and mine.reason == raw.reason


def test_the_dynamic_clients_errors_and_dropped_connections_are_translated_too():
    dyn = api_exception(api_error(404, 'pods "web" not found', "NotFound"))
    assert isinstance(dyn, NotFoundError) and type(translate(dyn)) is errors.NotFound
    assert str(translate(dyn)) == '404 NotFound: pods "web" not found'
    for raw in (urllib3.exceptions.ProtocolError("Connection reset by peer"), ConnectionRefusedError(111, "refused")):
        mine = translate(raw)
        assert isinstance(mine, errors.ApiUnavailable) and isinstance(mine, ConnectionError)
        assert str(mine).startswith("API server unavailable: ")


def test_what_is_not_the_client_librarys_is_left_as_it_is():
    for e in (ValueError("x"), TimeoutError("namespace still terminating"), errors.LabError("lab.yaml: x")):
        assert translate(e) is e


def test_unknown_kind_is_still_a_value_error_and_action_failed_a_runtime_error():
    # callers that skip kinds the cluster does not serve catch ValueError; the CLI catches RuntimeError
    assert issubclass(errors.UnknownKind, ValueError) and errors.UnknownKind("x").permanent
    assert issubclass(errors.ActionFailed, RuntimeError) and issubclass(errors.ActionFailed, errors.KubelabError)
    assert errors.denied(errors.Forbidden("403")) and not errors.denied(errors.Unauthorized("401"))
    assert errors.describe_error(errors.NotFound("404 NotFound: x")) == "404 NotFound: x"
    assert errors.describe_error(KeyError("k")) == "KeyError: 'k'"


def test_call_raises_the_translation_with_the_original_as_cause(monkeypatch):
    monkeypatch.setattr(limits, "API_OUTAGE", 5.0)
    raw = api_error(403, 'pods is forbidden: User "ann" cannot create resource "pods"', "Forbidden")

    def refused():
        raise raw
    with pytest.raises(errors.Forbidden) as e:
        call(refused)
    assert e.value.__cause__ is raw and str(e.value).startswith("403 Forbidden: pods is forbidden")


def test_an_outage_past_the_budget_is_api_unavailable_of_the_hierarchy(monkeypatch):
    monkeypatch.setattr(limits, "API_OUTAGE", 0.5)

    def down():
        raise urllib3.exceptions.MaxRetryError(None, "/api/v1/pods", "[Errno 111] Connection refused")  # type: ignore[arg-type]
    with pytest.raises(errors.ApiUnavailable) as e:
        call(down)
    assert str(e.value).startswith("API server unavailable for ") and isinstance(e.value, ConnectionError)
    assert not errors.is_permanent(e.value)


def test_a_new_namespaces_missing_service_account_stays_a_wait_not_a_verdict(monkeypatch):
    monkeypatch.setattr(limits, "API_OUTAGE", 0.5)

    def not_yet():
        raise api_error(403, SA_NOT_YET, "Forbidden")
    with pytest.raises(errors.Forbidden) as e:
        call(not_yet)
    assert not e.value.permanent and kclient.is_transient(e.value)


# --- over real HTTP, against the fake API server -------------------------------------------------------------

@pytest.fixture
def kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeAPI, Kube]]:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(limits, "API_OUTAGE", 2.0)
    api = FakeAPI(pods={"a": pod("a", 1)})
    srv, port = serve(api)
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(KUBECONFIG.format(port=port))
    yield api, connect(str(cfg))
    api.stop.set()
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("status, cls", [(403, errors.Forbidden), (401, errors.Unauthorized),
                                         (404, errors.NotFound), (422, errors.InvalidRequest)])
def test_an_answer_of_the_api_server_arrives_translated(kube, status, cls):
    api, k = kube
    api.list_status = status
    t0 = time.monotonic()
    with pytest.raises(cls) as e:
        call(k.resource("v1", "Pod").get, namespace="ns")
    assert time.monotonic() - t0 < 2          # not retried: no wait changes it
    assert str(e.value).startswith(f"{status} Forbidden: pods is forbidden"), str(e.value)   # the fake's message
    api.list_status = 200
    assert [p["metadata"]["name"] for p in call(k.resource("v1", "Pod").get, namespace="ns").to_dict()["items"]] == ["a"]


def test_a_kind_the_api_does_not_serve_is_unknown_kind(kube):
    _, k = kube
    with pytest.raises(errors.UnknownKind, match="the cluster has no kind Pdo in v1"):
        k.resource("v1", "Pdo")


def test_the_cli_prints_one_line_for_each_error(monkeypatch, capsys):
    from runner import cli
    for raised, code, line in [
        (errors.Forbidden('403 Forbidden: pods is forbidden: User "ann"'), 1, 'kubelab: 403 Forbidden: pods is forbidden: User "ann"'),
        (errors.ClusterUnavailable("cannot reach the cluster at https://127.0.0.1:1"), 2,
         "kubelab: cannot reach the cluster at https://127.0.0.1:1"),
        (errors.LabError("labs/x/lab.yaml: steps[0].check: field required"), 2, "labs/x/lab.yaml: steps[0].check: field required"),
        (api_error(422, 'Service "web" is invalid', "Invalid"), 1, 'kubelab: 422 Invalid: Service "web" is invalid'),
    ]:
        def app(*a, e=raised, **k):
            raise e
        monkeypatch.setattr(cli, "app", app)
        monkeypatch.setattr(sys, "argv", ["kubelab", "list"])
        monkeypatch.delenv("KUBELAB_DEBUG", raising=False)
        with pytest.raises(SystemExit) as ex:
            cli.main()
        assert ex.value.code == code and capsys.readouterr().err.strip() == line


def test_a_check_ends_at_once_on_a_permanent_error_and_waits_on_an_outage(tmp_path):
    from tests.unit.test_engine_offline import session
    for raised, fatal in [(errors.Forbidden('403 Forbidden: pods is forbidden: User "x"', 403), True),
                          (errors.InvalidRequest("400 BadRequest: unable to parse requirement", 400), True),
                          (errors.ApiUnavailable("API server unavailable for 2 s: connection refused"), False)]:
        sess = session(tmp_path / type(raised).__name__)

        def observe(*a, e=raised, **k):
            raise e
        sess.informers.get = observe
        t0 = time.monotonic()
        (out,) = sess.check_step(sess.step("first"), {}, timeout_cap=1)
        took = time.monotonic() - t0
        assert not out.result.ok and str(raised) in out.result.summary and out.result.fatal is fatal, out.result
        assert (took < 0.9) if fatal else (took >= 0.9), (raised, took)
