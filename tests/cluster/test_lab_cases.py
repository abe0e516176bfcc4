"""Alternative solutions pass their step; typical mistakes fail the named check, with that check's
hint first and a summary that names the cause; `kubelab check` passes every step after `kubelab solve`
(cases and how they run: tests/cluster/labcases.py)."""
from __future__ import annotations

import re

import pytest
from labcases import Case, CaseResult, alternative_cases, mistake_cases, solve_check_cases
from labwalk import run_all

from runner.cluster.client import Kube
from runner.loader import find_lab

CASES = alternative_cases() + mistake_cases() + solve_check_cases()


@pytest.fixture(scope="session")
def case_results(request: pytest.FixtureRequest, kubelab_kube: Kube) -> dict[str, CaseResult]:
    """All selected cases at once, several in parallel, each in its own namespace: a slow rollout case
    does not hold up the others."""
    base = request.config.getoption("kubelab_learner")
    workers = request.config.getoption("kubelab_case_workers")
    # other tests parametrize a "case" too (strings): only this module's Case objects are cases here
    selected = {(p.kind, p.id) for item in request.session.items
                if isinstance(p := getattr(getattr(item, "callspec", None), "params", {}).get("case"), Case)}
    jobs = [c for c in CASES if (c.kind, c.id) in selected]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capman = request.config.pluginmanager.get_plugin("capturemanager")

    def progress(line: str) -> None:     # past the capture: the run takes minutes, show how far it is
        if reporter is not None and capman is not None:
            with capman.global_and_fixture_disabled():
                reporter.write_line(line)
    return run_all(kubelab_kube, jobs, base, workers, progress)


def _report(res: CaseResult) -> str:
    lines = [f"{'ok  ' if o.result.ok else 'FAIL'} {o.label}: {o.result.summary}" for o in res.outcomes]
    for o in res.outcomes:
        if not o.result.ok:
            lines += [f"    {d}" for d in o.result.details[:6] + o.diagnostics[:8]]
    return "\n".join(lines)


def _props(request: pytest.FixtureRequest, res: CaseResult) -> None:
    request.node.user_properties.append(("seconds", f"{res.seconds:.1f}"))


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "alternative"], ids=lambda c: c.id)
def test_alternative_passes(case: Case, case_results: dict[str, CaseResult], request: pytest.FixtureRequest) -> None:
    res = case_results[case.id]
    _props(request, res)
    assert not res.error, f"{case.id}: {res.error}\n{_report(res)}"
    assert res.outcomes, f"{case.id}: the step has no checks"
    assert all(o.result.ok for o in res.outcomes), f"{case.id} is a correct solution but fails:\n{_report(res)}"


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "mistake"], ids=lambda c: c.id)
def test_mistake_fails_with_its_hint_and_cause(case: Case, case_results: dict[str, CaseResult],
                                               request: pytest.FixtureRequest) -> None:
    assert case.meta.get("check") and case.meta.get("cause"), (
        f"{case.path}: no entry (step, check, cause) in tests/fixtures/mistakes/{case.lab}.yaml")
    res = case_results[case.id]
    _props(request, res)
    assert not res.error, f"{case.id}: {res.error}\n{_report(res)}"
    o = res.named
    assert o is not None and not o.result.ok, f"{case.id}: check {case.meta['check']!r} passed:\n{_report(res)}"
    causes = case.meta["cause"] if isinstance(case.meta["cause"], list) else [case.meta["cause"]]
    assert any(re.search(c, o.result.summary, re.I) for c in causes), (
        f"{case.id}: the summary does not name the cause ({' | '.join(causes)}): {o.result.summary}\n{_report(res)}")
    assert res.named_hint, f"{case.id}: check {o.label!r} has no hint of its own"
    assert res.hints and res.hints[0] == res.named_hint, (
        f"{case.id}: first hint shown is {res.hints[:1]}, not the check's own: {res.named_hint!r}")


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "solve-check"], ids=lambda c: c.id)
def test_check_passes_after_solve(case: Case, case_results: dict[str, CaseResult],
                                  request: pytest.FixtureRequest) -> None:
    res = case_results[case.id]
    _props(request, res)
    for step, sec in res.step_seconds.items():
        request.node.user_properties.append((f"check {step}", f"{sec:.1f}"))
    assert not res.error, f"{case.id}: {res.error}\n{_report(res)}"
    steps = [s.id for s in find_lab(case.lab).lab.steps]
    assert list(res.step_seconds) == steps, f"{case.id}: steps checked {list(res.step_seconds)}, not all of {steps}"
