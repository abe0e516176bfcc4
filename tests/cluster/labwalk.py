"""The lab cases run as a walk per lab (run_lab) and all labs several at a time (run_all): each lab is
walked once in one namespace, its cases run in it before their step's solve and the namespace is restored
after each (tests/cluster/nsrestore.py); the cases themselves and a case alone: tests/cluster/labcases.py.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import nsrestore
from labcases import Case, CaseResult, own_step, passes_before_solve, prepare, run_case, solve_and_check

from runner.activity import any_starting
from runner.cluster import objects as kobj
from runner.cluster.client import Kube, describe_error
from runner.engine import Session
from runner.loader import LoadedLab, find_lab
from runner.schema import ApplySpec
from runner.verify import Cleanups, LabReport


def _case_kinds(cases: list[Case], sess: Session) -> list[tuple[str, str]]:
    """(apiVersion, kind) of the objects the cases' files make, for the snapshot."""
    out = []
    for c in cases:
        if c.path is not None and c.path.suffix == ".yaml" and not c.meta.get("patch"):
            try:
                docs = kobj.load_documents(ApplySpec(file=c.path.name), c.path.parent, sess.vars)
            except Exception:  # noqa: BLE001 - the case itself reports a broken file
                continue
            out += [(d.get("apiVersion", "v1"), d["kind"]) for d in docs if d.get("kind")]
    return out


def _pods_started(sess: Session, limit: float = 120.0) -> None:
    """Wait until no pod of the namespace is still on its way: a pod without an IP yet is in no
    EndpointSlice, and a case judged then could pass a check about who is selected (labels: be-prod)."""
    pods = sess.informers.get("v1", "Pod", sess.namespace)
    deadline = time.monotonic() + limit
    while any_starting(pods.objects(), time.time()) and time.monotonic() < deadline:
        time.sleep(1.0)


def run_lab(kube: Kube, lab: str, cases: list[Case], base: str, cleanups: Cleanups,
            progress: Callable[[str], None] = lambda _line: None) -> dict[str, CaseResult]:
    """Every case of one lab in one namespace: the lab is walked once, step by step as `kubelab solve`
    then `kubelab check` do it, after verify's must-fail phase (the solve-check case: `kubelab verify` and
    `kubelab check` after `kubelab solve` in one walk); before a step's own solve, each case of that step
    acts instead of the solve and is judged, then the namespace is restored to the step's start
    (tests/cluster/nsrestore.py). A restore that cannot be proven, or a step that does not pass, sends
    the cases still to run to fresh namespaces of their own (run_case), as before. A case that asks for a
    fresh namespace is not given here: run_all makes it a job of its own."""
    t0 = time.monotonic()
    out: dict[str, CaseResult] = {}
    spine_case = next((c for c in cases if c.kind == "solve-check"), None)
    spine = CaseResult()
    try:
        loaded: LoadedLab = find_lab(lab)
    except Exception as e:  # noqa: BLE001 - reported by the tests
        return {c.id: CaseResult(error=f"lab {lab}: {describe_error(e)}") for c in cases}
    sess = Session(kube, loaded, f"{base[:30]}-{secrets.token_hex(3)}")
    report = spine.report = LabReport(lab, sess.namespace)
    ids = [s.id for s in loaded.lab.steps]
    todo = [c for c in cases if c.kind != "solve-check"]
    unknown = [c for c in todo if c.step not in ids]
    for c in unknown:
        out[c.id] = CaseResult(error=f"no step {c.step!r} in lab {lab}")
    todo = [c for c in todo if c.step in ids]
    broken = ""
    restored = False      # a case ran and the namespace was restored after it
    try:
        prepare(sess)
        kinds = nsrestore.kinds(kube, sess.cluster_kinds() + _case_kinds(todo, sess))
        last = max([ids.index(c.step) for c in todo], default=-1) if spine_case is None else len(ids) - 1
        for i, step_id in enumerate(ids[:last + 1]):
            if spine_case is not None and (why := passes_before_solve(sess, step_id)):
                broken = spine.error = f"step {step_id}: {why}"
                spine.failed_steps.append(step_id)
                break
            here = sorted((c for c in todo if c.step == step_id), key=lambda c: c.kind != "mistake")
            if here:
                _pods_started(sess)
                before = nsrestore.take(kube, sess.namespace, kinds)
                previous = sess.step(ids[i - 1]) if i else None
            for c in here:
                res = out[c.id] = CaseResult(report=report)
                c0 = time.monotonic()
                try:
                    own_step(sess, c, res)
                except Exception as e:  # noqa: BLE001 - reported by the test
                    res.error = describe_error(e)
                restored = True
                try:
                    done = nsrestore.restore(sess, kinds, before, previous)
                    res.seconds = time.monotonic() - c0
                    progress(f"[cases {lab}] {c.kind} {c.id} ({res.seconds:.0f}s, with restore: {done[:200]})")
                except Exception as e:  # noqa: BLE001 - the rest run on their own
                    res.seconds = time.monotonic() - c0
                    broken = f"restore after {c.id} failed: {describe_error(e)}"
                    break
            if broken:
                break
            if not solve_and_check(kube, sess, loaded, step_id, spine, fresh=True):
                broken = f"step {step_id} does not pass after its solve"
                break
    except Exception as e:  # noqa: BLE001 - reported by the tests
        broken = spine.error = spine.error or describe_error(e)
    finally:
        sess.close()
        cleanups.start(report, sess)
    if spine_case is not None:
        spine.seconds = time.monotonic() - t0
        out[spine_case.id] = spine
        walked = len(spine.step_seconds) == len(ids) and not (spine.error or spine.failed_steps)
        if not walked and (not spine.error or restored):
            # a restore broke the walk before its end, or left something its own next step tripped on: the
            # solve-check walks the lab again, alone (the failure stays in the progress line)
            progress(f"[cases {lab}] the solve-check walks the lab again in a namespace of its own: {broken}")
            out[spine_case.id] = run_case(kube, spine_case, base, cleanups)
    rest = [c for c in todo if c.id not in out]
    if rest:
        progress(f"[cases {lab}] {len(rest)} cases run in namespaces of their own: {broken}")
    for c in rest:
        out[c.id] = run_case(kube, c, base, cleanups)
    return out


def cost(case: Case) -> int:
    """Steps replayed before the case's own (solve-check: all of them): the longest jobs start first."""
    try:
        ids = [s.id for s in find_lab(case.lab).lab.steps]
    except Exception:  # noqa: BLE001 - run_case reports it
        return 0
    return 100 if case.kind == "solve-check" else (ids.index(case.step) if case.step in ids else 0)


def run_all(kube: Kube, cases: list[Case], base: str, workers: int,
            progress: Callable[[str], None] = lambda _line: None) -> dict[str, CaseResult]:
    """Every case, one job per lab (run_lab) and one per case that needs a fresh namespace, `workers` jobs
    at a time, those with most steps to walk first; one sweep at the end (its leftovers fail the cases of
    that namespace)."""
    cleanups = Cleanups(kube)
    t0 = time.monotonic()
    lock = threading.Lock()
    done = [0]
    labs: dict[str, list[Case]] = {}
    for c in cases:
        labs.setdefault(c.lab, []).append(c)

    def say(line: str) -> None:
        with lock:
            progress(f"[cases {time.monotonic() - t0:5.0f}s] {line}")

    # a case that needs a namespace of its own is a job of its own: beside its lab's walk, not after it
    jobs = [(lab, [c for c in cs if not c.fresh]) for lab, cs in labs.items()]
    jobs += [(c.lab, [c]) for c in cases if c.fresh]
    jobs = [(lab, cs) for lab, cs in jobs if cs]

    def one(job: tuple[str, list[Case]]) -> dict[str, CaseResult]:
        lab, todo = job
        results = (run_lab(kube, lab, todo, base, cleanups, say) if not todo[0].fresh
                   else {todo[0].id: run_case(kube, todo[0], base, cleanups)})
        with lock:
            done[0] += 1
        bad = [f"{k}: {r.error[:200]}" for k, r in results.items() if r.error]
        say(f"job {done[0]}/{len(jobs)} {lab}: {len(results)} cases" + (f"; errors: {'; '.join(bad)}" if bad else ""))
        return results
    ordered = sorted(jobs, key=lambda job: sum(cost(c) + 1 for c in job[1]), reverse=True)
    results: dict[str, CaseResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for got in pool.map(one, ordered):
            results.update(got)
    say(f"all {len(cases)} ran; sweeping their namespaces")
    cleanups.finish()
    say("clean")
    for r in results.values():
        if r.report is not None and r.report.left:
            r.error = r.error or f"left behind: {', '.join(r.report.left)}"
    return results
