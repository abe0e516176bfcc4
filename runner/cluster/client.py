"""Connect to the cluster and retry transient API failures.

Kubeconfig: --kubeconfig, else $KUBECONFIG, else the one `make cluster` writes
(~/.cache/kubelab/kubeconfig, or under $KUBELAB_CACHE), else ~/.kube/config. Context: --context, else $KUBELAB_CONTEXT,
else `kind-kubelab` when the kubeconfig has it, else the current context.
"""
from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential_jitter

from runner import limits
from runner.cluster.bounds import bound_requests, probe
from runner.cluster.kubeconfig import DEFAULT_CONTEXT, cluster_kubeconfig, learner_of, resolve_context, resolve_kubeconfig  # noqa: F401 - re-exported for callers
from runner.errors import (
    ApiUnavailable,
    ClusterError,
    ClusterUnavailable,
    Conflict,
    Forbidden,
    InvalidRequest,
    KubelabError,
    NotFound,
    Unauthorized,
    UnknownKind,
)
from runner.errors import ExecChannelLost as ExecChannelLost  # at home in runner.errors; re-exported for callers

T = TypeVar("T")


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a client library error or of its translation (None: no answer, or not an API error)."""
    if isinstance(exc, (ApiException, DynamicApiError, ClusterError)):
        return getattr(exc, "status", None)
    return None


def describe_error(exc: BaseException) -> str:
    """One line for an exception; API errors become the apiserver's own message (e.g. 422 ... already allocated)."""
    if isinstance(exc, KubelabError):
        return str(exc)
    body = getattr(exc, "body", None)
    if isinstance(body, (str, bytes)) and body:
        try:
            import json
            data = json.loads(body)
            head = " ".join(str(x) for x in (data.get("code", status_of(exc)), data.get("reason")) if x)
            return f"{head}: {data.get('message', '')}".strip()
        except ValueError:
            pass
    st = status_of(exc)
    if st is not None:
        return f"{st} {getattr(exc, 'reason', '') or ''}".strip()
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


# Server-side apply of a field the schema does not know answers 500 (not 400): no retry can fix it.
_SCHEMA_ERRORS = ("failed to create typed patch object", "field not declared in schema", "unknown field")


def is_schema_error(exc: BaseException) -> bool:
    return any(m in _body(exc) for m in _SCHEMA_ERRORS)


def _body(exc: BaseException) -> str:
    body = getattr(exc, "body", None)   # the raw error's, or the text its translation kept
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")


# A pod created in a namespace whose `default` ServiceAccount the controller has not made yet is refused with
# 403 "error looking up service account": a moment later it is accepted (seen right after a node restart).
_NOT_YET = ("error looking up service account",)


def is_not_yet(exc: BaseException) -> bool:
    return status_of(exc) == 403 and any(m in _body(exc) for m in _NOT_YET)


def is_transient(exc: BaseException) -> bool:
    """Connection resets, apiserver restarts, throttling and 5xx are worth retrying; 4xx are not (except
    the ServiceAccount of a new namespace that is not there yet)."""
    if isinstance(exc, ApiUnavailable):
        return False         # already retried for the whole budget
    if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
        return True
    st = status_of(exc)
    return st is not None and (st == 0 or st == 429 or st >= 500) and not is_schema_error(exc) or is_not_yet(exc)


# A restarted API server accepts connections before its authorizer has loaded the RBAC rules: for a moment it
# refuses everyone, the cluster admin too (403 'cannot get resource'). Such an answer soon after the server was
# away is part of the outage, not a verdict.
WARMUP = 30.0
_last_down = [float("-inf")]        # monotonic time of the last refused/reset/5xx answer, any thread


def note_down() -> None:
    _last_down[0] = time.monotonic()


def warming_up(exc: BaseException) -> bool:
    return status_of(exc) in (401, 403) and time.monotonic() - _last_down[0] < WARMUP


def is_permanent(exc: BaseException) -> bool:
    """An answer no wait can change: a bad request or selector (400), refused credentials (401), no right (403),
    an unknown kind, an invalid object (422), a field the schema does not know. A check ends at once on it."""
    if isinstance(exc, ClusterError):
        return exc.permanent         # decided when it was translated (a moment ago, at the same clock)
    st = status_of(exc)
    if is_not_yet(exc) or warming_up(exc):
        return False
    return st in (400, 401, 403, 422) or (st is not None and st >= 500 and is_schema_error(exc))


def was_away(exc: BaseException) -> bool:
    """The API server was not there at all (refused, reset, no answer, 503 while starting): not a 429 or a 500."""
    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)) or status_of(exc) in (0, 503)


def _retry_on(exc: BaseException) -> bool:
    if is_transient(exc):
        if was_away(exc):
            note_down()
        return True
    return warming_up(exc)


def retrying(deadline: float = 30.0) -> Callable[[Callable[..., T]], Callable[..., T]]:
    policy: Callable[[Callable[..., T]], Callable[..., T]] = retry(  # tenacity is untyped here
        retry=retry_if_exception(_retry_on), stop=stop_after_delay(deadline),
        wait=wait_exponential_jitter(multiplier=0.2, max=3.0, jitter=0.2), reraise=True)
    return policy


_budget: contextvars.ContextVar[float | None] = contextvars.ContextVar("api_budget", default=None)


@contextmanager
def api_budget(seconds: float) -> Iterator[None]:
    """A shorter outage budget for the calls of this block (this thread): best-effort work such as the
    diagnostics of a failed check must not keep a learner waiting a minute per call while the API server is away."""
    outer = _budget.get()
    token = _budget.set(seconds if outer is None else min(seconds, outer))
    try:
        yield
    finally:
        _budget.reset(token)


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one API call with transient-error retries for up to limits.API_OUTAGE seconds (or api_budget's);
    past that, ApiUnavailable (one line) instead of the client library's error."""
    t0 = time.monotonic()
    try:
        return retrying(_budget.get() or limits.API_OUTAGE)(fn)(*args, **kwargs)
    except Exception as e:
        if not (is_transient(e) or warming_up(e)) or is_not_yet(e):
            mine = translate(e)
            if mine is e:
                raise
            raise mine from e
        raise ApiUnavailable(f"API server unavailable for {time.monotonic() - t0:.0f} s: {describe_error(e)}") from None


_BY_STATUS: dict[int, type[ClusterError]] = {400: InvalidRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
                                             409: Conflict, 422: InvalidRequest}


def translate(exc: BaseException) -> BaseException:
    """The kubelab error for a client library error (ApiException, the dynamic client's, urllib3's, a refused or
    reset connection); any other exception as it is. Its message is describe_error's line, unchanged."""
    if isinstance(exc, KubelabError):
        return exc
    if isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError)) and status_of(exc) is None:
        return ApiUnavailable(f"API server unavailable: {describe_error(exc)}")
    if not isinstance(exc, (ApiException, DynamicApiError)):
        return exc
    st = status_of(exc)
    cls = _BY_STATUS.get(st or 0, ClusterError)
    if st is not None and st >= 500 and is_schema_error(exc):
        cls = InvalidRequest
    elif not st or st == 429 or st >= 500:    # no answer (a refused websocket upgrade), throttled, failing server
        cls = ApiUnavailable if cls is ClusterError else cls
    return cls(describe_error(exc), st, str(getattr(exc, "reason", "") or ""), _body(exc), permanent=is_permanent(exc))


@contextmanager
def translated() -> Iterator[None]:
    """Client library errors raised in this block leave it translated (for the raw watch streams; `call` does
    the same for every other request)."""
    try:
        yield
    except Exception as e:
        mine = translate(e)
        if mine is e:
            raise
        raise mine from e


@dataclass
class Kube:
    api: client.ApiClient
    dyn: DynamicClient
    cfg: client.Configuration
    context: str | None
    kubeconfig: str | None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._res: dict[tuple[str, str], Any] = {}

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    def exec_core(self) -> client.CoreV1Api:
        """A CoreV1Api on its own ApiClient: kubernetes.stream monkeypatches the client it uses,
        which would break informers sharing it from other threads."""
        return client.CoreV1Api(client.ApiClient(self.cfg))

    def resource(self, api_version: str, kind: str) -> Any:
        """Discovery lookup, cached; raises ValueError for an unknown kind (a lab bug, not transient)."""
        key = (api_version, kind)
        with self._lock:
            if key not in self._res:
                try:
                    self._res[key] = call(self.dyn.resources.get, api_version=api_version, kind=kind)
                except ResourceNotFoundError:
                    raise UnknownKind(f"the cluster has no kind {kind} in {api_version}") from None
            return self._res[key]

    def namespaced(self, api_version: str, kind: str) -> bool:
        return bool(self.resource(api_version, kind).namespaced)


def connect(kubeconfig: str | None = None, context: str | None = None) -> Kube:
    path = resolve_kubeconfig(kubeconfig)
    ctx = resolve_context(path, context)
    try:
        cfg = client.Configuration()
        config.load_kube_config(config_file=path, context=ctx, client_configuration=cfg)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}: " if mark else ""
        raise ClusterUnavailable(f"kubeconfig {path} is not valid YAML: {at}{getattr(e, 'problem', None) or e}") from None
    except Exception as e:  # noqa: BLE001 - a kubeconfig of the wrong shape fails anywhere in the loader
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ClusterUnavailable(f"no usable kubeconfig ({path or 'none found'}, context {ctx or 'current'}): {why}") from None
    cfg.retries = 1
    cfg.connection_pool_maxsize = 64  # one long-lived connection per informer watch
    api = client.ApiClient(cfg)
    bound_requests(api)
    where = f"kubeconfig {path}, context {ctx or 'current'}"
    learner = learner_of(path, ctx)
    refused = (f"your workshop token has expired or was revoked: ask the instructor for a new kubeconfig "
               f"(learner {learner})") if learner else "get a fresh kubeconfig (make cluster)"
    try:
        probe(api, where, refused=refused)   # the discovery cache would hide a refused token or a dead server until much later
    except ConnectionError as e:
        raise ClusterUnavailable(str(e)) from None
    try:
        dyn = retrying(10.0)(DynamicClient)(api)
    except Exception as e:  # noqa: BLE001 - any failure here means "cannot reach the cluster"
        raise ClusterUnavailable(f"cannot reach the cluster ({path}, context {ctx or 'current'}): {e}") from None
    return Kube(api, dyn, cfg, ctx, path)
