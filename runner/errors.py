"""kubelab's own errors: each str() is the one line the user sees (the CLI prints it instead of a traceback).

The client library's exceptions (kubernetes ApiException, the dynamic client's errors, urllib3's) are translated
into ClusterError subclasses at the cluster edge (runner/cluster/client.py, `call`): nothing above runner/cluster/
catches or inspects them (tests/unit/test_import_rules.py holds that).
"""
from __future__ import annotations


class KubelabError(Exception):
    """Base of the errors kubelab reports itself."""


class LabError(KubelabError):
    """A lab or one of its files cannot be used; str() is a single human line naming the file and field."""


class ClusterError(KubelabError):
    """The cluster refused or failed a request. status: the HTTP status (None: no answer); body: the API's Status
    text; permanent: no wait or retry can change the answer (a check ends at once on it)."""

    permanent = False

    def __init__(self, message: str, status: int | None = None, reason: str = "", body: str = "",
                 permanent: bool | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.body = status, reason, body
        if permanent is not None:
            self.permanent = permanent


class NotFound(ClusterError):
    """404: the object (or its namespace) does not exist."""


class Forbidden(ClusterError):
    """403: the account may not do this (RBAC, admission). Not permanent while a new namespace has no default
    ServiceAccount yet, or right after an API server restart (its authorizer warming up)."""

    permanent = True


class Unauthorized(Forbidden):
    """401: the credentials were refused (an expired or revoked token)."""


class InvalidRequest(ClusterError):
    """400/422, or a field the schema does not know: the manifest, field or selector is wrong."""

    permanent = True


class Conflict(ClusterError):
    """409: the object already exists, or changed under a write."""


class UnknownKind(ClusterError, ValueError):
    """The cluster serves no such apiVersion/kind (a lab bug, not transient). A ValueError too: callers that
    skip kinds the cluster does not serve catch it as one."""

    permanent = True


class ApiUnavailable(ClusterError, ConnectionError):
    """The API server gave only transient errors (refused, reset, 5xx) for the whole retry budget:
    "API server unavailable for 61 s: <last error>". A ConnectionError, as before the hierarchy."""


class ExecChannelLost(ClusterError, ConnectionError):
    """An exec stream through the API server broke before the command's exit status arrived (the API server
    or the node restarted): nothing is known about the command, which is not the same as it failing."""


class ClusterUnavailable(KubelabError):
    """No cluster to talk to: no usable kubeconfig, nothing answering, credentials refused at connect."""


class ActionFailed(KubelabError, RuntimeError):
    """An action of a step (a solve's exec, a patch of an object that is not there) did not do what it should."""


def is_permanent(exc: BaseException) -> bool:
    """No wait can change this error: a check ends at once with it."""
    return isinstance(exc, ClusterError) and exc.permanent


def denied(exc: BaseException) -> bool:
    """403: the account is known and may not do this (not a 401: credentials refused altogether)."""
    return isinstance(exc, Forbidden) and not isinstance(exc, Unauthorized)


def describe_error(exc: BaseException) -> str:
    """One line for any exception: ours as they are, others with their type."""
    if isinstance(exc, KubelabError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{type(exc).__name__}: {exc}".splitlines()[0]
