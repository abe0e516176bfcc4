"""One entry per check kind: what a check of that kind watches (its informers, and how long it may go
without a fresh look) and how one evaluation gathers what its pure verdict (runner.checks.*) needs.
A new check kind is a module in runner.checks and an entry here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runner.checks import absent, condition, count, event, match
from runner.checks import exec as exec_check
from runner.checks import http as http_check
from runner.checks.base import Result
from runner.cluster import probes
from runner.cluster.client import api_budget
from runner.cluster.informer import Informer

if TYPE_CHECKING:
    from runner.engine.observe import Observing

TICK_PROBE = 1.0      # http/exec look at things that are not API objects: re-probe at least this often
TICK_SAFETY = 5.0     # even for watched objects, re-evaluate now and then (a watch can lag or restart)


class InformerFailed(Exception):
    """An informer holds an error no wait fixes (401, 403, a bad selector): the objects are unknown, not absent."""


class NotListed(Exception):
    """An informer that never listed (the API server away): what it would show is unknown, not absent."""


def objects_of(inf: Informer) -> list[dict[str, Any]]:
    if inf.error:
        raise InformerFailed(inf.error)
    if not inf.synced.is_set():
        raise NotListed(inf.unlisted())
    return inf.objects()


@dataclass(frozen=True)
class Kind:
    sources: Callable[[Observing, Any], tuple[list[Informer], float]]
    evaluate: Callable[[Observing, Any], Result] | None    # None: judged by its sampler (invariant)


def _target(sess: Observing, s: Any) -> tuple[list[Informer], float]:
    return [sess.informer(s.target)], TICK_SAFETY


def _pods(sess: Observing, s: Any) -> tuple[list[Informer], float]:
    return [sess.informers.get("v1", "Pod", sess.namespace)], TICK_PROBE


def _on_objects(verdict: Callable[[Any, list[dict[str, Any]]], Result]) -> Callable[[Observing, Any], Result]:
    return lambda sess, s: verdict(s, objects_of(sess.informer(s.target)))


def _event_sources(sess: Observing, s: Any) -> tuple[list[Informer], float]:
    infs = [sess.informers.get("v1", "Event", sess.namespace)]
    return infs + ([sess.informer(s.target)] if s.target.selector else []), TICK_SAFETY


def _event(sess: Observing, s: Any) -> Result:
    names = {s.target.name} if s.target.name else (
        {o["metadata"]["name"] for o in sess.informer(s.target).objects()} if s.target.selector else None)
    return event.evaluate(s, objects_of(sess.informers.get("v1", "Event", sess.namespace)), names)


def _http(sess: Observing, s: Any) -> Result:
    s = sess.node_http(s)      # 127.0.0.1 this machine cannot reach on this cluster: a node's address, in-cluster
    return http_check.evaluate(s, sess.http(s))   # the Services/Ingresses behind the URL: explain_failure


def _exec(sess: Observing, s: Any) -> Result:
    # A pod that is not Running fails at once: exec against it would be retried for 30s.
    pod = sess.running(s.pod_name) if s.pod_name else sess.pick_pod(s)
    with api_budget(5.0):      # evaluated again anyway: no minute-long retries inside one evaluation
        return exec_check.evaluate(s, probes.pod_exec(sess.kube, sess.namespace, pod, s.command, s.container))


KINDS: dict[str, Kind] = {
    "match": Kind(_target, _on_objects(match.evaluate)),
    "absent": Kind(_target, _on_objects(absent.evaluate)),
    "count": Kind(_target, _on_objects(count.evaluate)),
    "condition": Kind(_target, _on_objects(condition.evaluate)),
    "event": Kind(_event_sources, _event),
    "http": Kind(_pods, _http),
    "exec": Kind(_pods, _exec),
    "invariant": Kind(_pods, None),
}
