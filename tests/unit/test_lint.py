"""`kubelab lint` without a cluster: every problem named with file and line, exit 1; clean labs pass."""
from __future__ import annotations

from pathlib import Path

import pytest

from runner.lint import Context, lint_lab
from runner.scaffold import create

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context.load()



def test_offline_images_come_from_the_cluster_build(ctx: Context) -> None:
    assert any("/agnhost:" in i for i in ctx.images) and any("/busybox:" in i for i in ctx.images)


@pytest.mark.parametrize("lab", sorted(ROOT.glob("labs/*/lab.yaml")), ids=lambda p: p.parent.name)
def test_every_lab_in_the_repo_lints_clean(lab: Path, ctx: Context) -> None:
    errors = [str(p) for p in lint_lab(lab, ctx) if not p.warning]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("lab", sorted(ROOT.glob("tests/fixtures/broken-labs/*/lab.yaml")), ids=lambda p: p.parent.name)
def test_broken_fixture_labs_are_named_with_file_and_line(lab: Path, kubelab) -> None:
    r = kubelab("lint", str(lab.relative_to(ROOT)))
    assert r.returncode == 1, r.stdout + r.stderr
    first = r.stdout.splitlines()[0]
    file, line, message = first.split(":", 2)
    assert Path(ROOT / file).is_file() and int(line) > 0 and message.strip(), first


# --- deliberately broken copies of the scaffolded lab ------------------------------------------------------

@pytest.fixture
def demo(tmp_path: Path) -> Path:
    create(tmp_path / "labs", "demo")
    return tmp_path


def test_the_scaffold_lints_clean(demo: Path, ctx: Context) -> None:
    assert lint_lab(demo / "labs/demo/lab.yaml", ctx) == []


def lint_here(folder: Path) -> tuple[int, str]:
    """What `kubelab lint` in this folder prints (problem lines) and its exit code, in process (fast)."""
    problems = lint_lab(folder / "labs/demo/lab.yaml", Context.load())
    return (1 if any(not p.warning for p in problems) else 0), "\n".join(map(str, problems))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _line(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


LAB, WEB, MD_KO = "labs/demo/lab.yaml", "manifests/demo/web.yaml", "labs/demo/01-scale.ko.md"
Breakage = tuple[str, str, str, str, str]   # file, old, new, line marker (in the broken file), message part
BREAKAGES: dict[str, Breakage] = {
    "unknown key": (LAB, "    hints:", "    hintz:", "hintz:", "unknown field"),
    "wrong field type": (LAB, "timeout: 3m", "timeout: soon", "timeout: soon", "duration"),
    "invalid yaml": (LAB, "  - id: scale", "  - id: scale: x", "id: scale: x", "invalid YAML"),
    "check without solve": (LAB, "    solve:", "    unsolved:", "unsolved:", "unknown field"),
    "id is not the folder": (LAB, "id: demo", "id: dmeo", "id: dmeo", "directory name"),
    "missing manifest": (LAB, "      - web.yaml", "      - wbe.yaml", "wbe.yaml", "manifest file not found"),
    "missing markdown": (LAB, "{file: 01-scale.md}", "{file: 01-scael.md}", "01-scael.md", "markdown file not found"),
    "missing ko text": (LAB, ', ko: "레플리카 두 개"}', "}", 'title: {en: "Two replicas"', "no ko text"),
    "unknown placeholder": (LAB, "-n ${NAMESPACE} scale", "-n ${NAMESPCE} scale", "${NAMESPCE} scale",
                            "unknown placeholder ${NAMESPCE}"),
    "target kind in the wrong group": (LAB, "target: {apiVersion: apps/v1, kind: Deployment, name: web}\n          fields",
                                       "target: {kind: Deployment, name: web}\n          fields",
                                       "target: {kind: Deployment, name: web}", "served as apiVersion apps/v1"),
    "solve contradicts the check": (LAB, "      - patch:\n          target: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
                                         "          patch: {spec: {replicas: 2}}", "      - apply: web.yaml",
                                    "fields: {spec: {replicas: 2}}", "expects spec.replicas: 2, but the solve applies 1"),
    "manifest of an unknown kind": (WEB, "kind: Deployment", "kind: Deploymnet", "kind: Deploymnet", "unknown kind"),
    "manifest without a name": (WEB, "  name: web\n", "  nmae: web\n", "metadata:", "metadata.name"),
    "pull policy Always offline": (WEB, "  imagePullPolicy: IfNotPresent", "  imagePullPolicy: Always",
                                   "imagePullPolicy: Always", "IfNotPresent"),
    "invalid manifest yaml": (WEB, "labels: {app: web}", "labels: {app: web", "spec:", "invalid YAML"),
}


@pytest.mark.parametrize("name", BREAKAGES)
def test_a_broken_copy_is_named_with_file_and_line(name: str, demo: Path) -> None:
    file, old, new, marker, message = BREAKAGES[name]
    _edit(demo / file, old, new)
    rc, out = lint_here(demo)
    assert rc == 1, out
    expected = f"{demo / file}:{_line(demo / file, marker)}: "
    assert any(line.startswith(expected) and message in line for line in out.splitlines()), \
        f"wanted {expected}...{message}\n{out}"


def test_missing_translation_file(demo: Path) -> None:
    (demo / MD_KO).unlink()
    rc, out = lint_here(demo)
    assert rc == 1 and f"{demo / LAB}:{_line(demo / LAB, '01-scale.md')}: no ko text" in out, out


def test_an_image_outside_the_offline_set_is_a_warning(demo: Path, kubelab) -> None:
    _edit(demo / WEB, "image: registry.k8s.io/e2e-test-images/agnhost:2.66.1", "image: nginx:1.27")
    r = kubelab("lint", cwd=demo)   # the command line: exit 0 with only warnings
    assert r.returncode == 0, r.stdout
    assert f"{demo / WEB}:{_line(demo / WEB, 'nginx:1.27')}: warning: image nginx:1.27" in r.stdout


def test_a_service_selecting_no_pod_in_a_solution(demo: Path) -> None:
    (demo / "manifests/demo/svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: wbe}\n"
        "  ports: [{port: 8080}]\n")
    _edit(demo / LAB, "      - patch:", "      - apply: svc.yaml\n      - patch:")
    rc, out = lint_here(demo)
    assert rc == 1 and f"{demo / 'manifests/demo/svc.yaml'}:5: Service web selects app=wbe" in out, out


def test_lint_names_a_missing_lab(kubelab) -> None:
    r = kubelab("lint", "no-such-lab")
    assert r.returncode == 1 and "no lab at no-such-lab" in r.stderr and "Traceback" not in r.stderr
