"""Every API request ends: a default (connect, read) timeout on requests that set none, and a first
short request at connect time, so a closed port, a server that never answers or refused credentials
is one clear line within seconds instead of a hang or a late "not found"."""
from __future__ import annotations

import time
from typing import Any

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from runner import limits


def bound_requests(api: client.ApiClient) -> None:
    """Give every request of this client a timeout unless its caller chose one (watches get a longer read)."""
    rest = api.rest_client
    plain = rest.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("_request_timeout"):
            query = kwargs.get("query_params") or []
            watching = any(k == "watch" and v for k, v in query) or "watch=true" in url
            kwargs["_request_timeout"] = (limits.REQUEST_TIMEOUT[0],
                                          limits.WATCH_READ_TIMEOUT if watching else limits.REQUEST_TIMEOUT[1])
        return plain(method, url, *args, **kwargs)

    rest.request = request   # instance attribute: this client only
    try:   # exec and in-cluster HTTP use websockets, which have no timeout of their own
        import websocket
        if websocket.getdefaulttimeout() is None:
            websocket.setdefaulttimeout(limits.REQUEST_TIMEOUT[1])
    except ImportError:
        pass


def _reason(e: BaseException) -> str:
    text = str(getattr(e, "reason", None) or e)
    for known, says in (("Connection refused", "connection refused"), ("timed out", "no answer"),
                        ("Name or service not known", "unknown host"), ("CERTIFICATE_VERIFY_FAILED", "certificate not trusted")):
        if known in text:
            return says
    return text.splitlines()[0][:160]


def probe(api: client.ApiClient, where: str, budget: float | None = None,
          refused: str = "get a fresh kubeconfig (make cluster)") -> None:
    """GET /version within `budget` seconds; raises ConnectionError with one line saying what to do
    (`refused`: what to do when the credentials are refused)."""
    budget = limits.CONNECT_BUDGET if budget is None else budget
    deadline = time.monotonic() + budget
    host = api.configuration.host
    while True:
        left = deadline - time.monotonic()
        try:
            client.VersionApi(api).get_code(_request_timeout=(min(3.0, max(left, 0.5)), max(left, 0.5)))
            return
        except ApiException as e:
            if e.status == 401:
                raise ConnectionError(f"the cluster at {host} refused the credentials of {where} "
                                      f"({e.status} {e.reason}): {refused}") from None
            if e.status == 403:   # /version is open to everyone: a 403 is an API server still loading its RBAC rules
                why = "403 Forbidden to /version: the API server is still starting (try again in a moment)"
            elif e.status and e.status < 500 and e.status != 429:
                raise ConnectionError(f"the cluster at {host} answered {e.status} {e.reason} ({where})") from None
            else:
                why = f"{e.status} {e.reason}"
        except (urllib3.exceptions.HTTPError, OSError) as e:
            why = _reason(e)
        if time.monotonic() + 0.5 >= deadline:
            raise ConnectionError(f"cannot reach the cluster at {host} ({where}): {why} for {budget:.0f}s; "
                                  "is it running? (make cluster, or kubelab cluster status)")
        time.sleep(0.5)
