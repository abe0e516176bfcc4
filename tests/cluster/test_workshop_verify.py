"""Workshop acceptance on the live cluster: `kubelab workshop up` for three learners, then three processes, each
holding only one learner's kubeconfig, verify every lab that can run in workshop mode at the same time.
Also: no claim of one learner names another's volume or class, reset and verify delete only their own, and a
refused token tells the learner what to do."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from runner.cluster.client import connect
from runner.loader import load_all
from runner.workshop.needs import lab_needs
from runner.workshop.plan import LEARNER_LABEL

KUBELAB = [sys.executable, "-m", "runner.cli"]
VERIFY_TIMEOUT = 30 * 60
PARALLEL = "3"              # labs at a time per learner, as `make verify` does: 9 at once in all


def _env(kubeconfig: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBELAB_LEARNER", "KUBELAB_CONTEXT")}
    env.update(KUBECONFIG=str(kubeconfig), PYTHONUNBUFFERED="1")
    return env


def _kubelab(args: list[str], kubeconfig: Path | str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KUBELAB, "--plain", *args], env=_env(kubeconfig), capture_output=True, text=True,
                          timeout=timeout, check=False)


# A test workshop's learners are named after the pytest process: wt<pid>-<random>-<1..3>
TEST_LEARNER = re.compile(r"^wt(\d+)-[0-9a-f]{3}-[1-3]$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # another user's process: alive
        pass
    return True


def _down_dead_test_workshops(admin: str, out: Path) -> None:
    """A test run killed mid-way (CI stopping a run, a Ctrl-C twice) leaves its workshop up, and that workshop
    holds NodePorts every later service lab needs. Only learners of this machine's test runs whose process is gone."""
    learners = {ns.metadata.labels.get(LEARNER_LABEL, "") for ns in client.CoreV1Api(connect().api).list_namespace(
        label_selector=LEARNER_LABEL).items}
    dead = sorted(n for n in learners if (m := TEST_LEARNER.match(n)) and not _alive(int(m.group(1))))
    if dead:
        (out / "dead.txt").write_text("\n".join(dead) + "\n")
        r = _kubelab(["workshop", "down", "--roster", str(out / "dead.txt")], admin)
        assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], Path]]:
    kube = connect()
    admin = kube.kubeconfig or ""
    tag = f"wt{os.getpid()}-{uuid.uuid4().hex[:3]}"
    names = [f"{tag}-{i}" for i in (1, 2, 3)]
    out = tmp_path_factory.mktemp("workshop")
    _down_dead_test_workshops(admin, out)
    roster = out / "roster.txt"
    roster.write_text("\n".join(names) + "\n")
    r = _kubelab(["workshop", "up", "--roster", str(roster), "--out", str(out / "kc"), "--hours", "2"], admin)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        yield names, out / "kc"
    finally:
        _kubelab(["workshop", "down", "--roster", str(roster)], admin)


def _api(path: Path) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(path))


def _forbidden(fn, *args, **kwargs) -> str:  # noqa: ANN001
    with pytest.raises(ApiException) as e:
        fn(*args, **kwargs)
    assert e.value.status in (403, 422), e.value       # RBAC says 403; the admission policy's denial too
    return str(e.value.body)


def _claim(name: str, cls: str, volume: str | None = None) -> client.V1PersistentVolumeClaim:
    return client.V1PersistentVolumeClaim(metadata=client.V1ObjectMeta(name=name), spec=client.V1PersistentVolumeClaimSpec(
        storage_class_name=cls, volume_name=volume, access_modes=["ReadWriteOnce"],
        resources=client.V1VolumeResourceRequirements(requests={"storage": "100Mi"})))


def test_a_claim_never_binds_another_learners_volume(workshop: tuple[list[str], Path]) -> None:
    (a, b, _), kc = workshop
    core = client.CoreV1Api(_api(kc / f"{a}.kubeconfig"))
    mine, theirs = f"lab-pv-pvc-{a}", f"lab-pv-pvc-{b}"
    why = _forbidden(core.create_namespaced_persistent_volume_claim, mine, _claim("steal", f"{theirs}-manual"))
    assert "storageClassName" in why
    why = _forbidden(core.create_namespaced_persistent_volume_claim, mine,
                     _claim("steal", f"{mine}-manual", f"{theirs}-pv-1g"))
    assert "volumeName" in why
    # their own volume, by name: may not point it at the other learner's claims, nor delete it
    why = _forbidden(core.patch_persistent_volume, f"{mine}-pv-1g",
                     {"spec": {"claimRef": {"namespace": theirs, "name": "static-claim"}}})
    assert "claimRef" in why
    _forbidden(core.delete_persistent_volume, f"{mine}-pv-1g")
    _forbidden(core.patch_persistent_volume, f"{theirs}-pv-1g", {"metadata": {"labels": {"x": "y"}}})
    # positive control: the own class binds the own volume; then `kubelab reset` frees it again
    core.create_namespaced_persistent_volume_claim(mine, _claim("own", f"{mine}-manual"))
    r = _kubelab(["reset", "pv-pvc"], kc / f"{a}.kubeconfig")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PersistentVolumeClaim/own" in r.stdout
    pv = core.read_persistent_volume(f"{mine}-pv-1g")
    assert pv.spec.claim_ref is None and pv.status.phase in ("Available", "Released"), pv.status


def test_refused_token_names_what_to_do(workshop: tuple[list[str], Path], tmp_path: Path) -> None:
    (a, _, _), kc = workshop
    doc = yaml.safe_load((kc / f"{a}.kubeconfig").read_text())
    doc["users"][0]["user"]["token"] = "expired.or.revoked"
    bad = tmp_path / "old.kubeconfig"
    bad.write_text(yaml.safe_dump(doc))
    r = _kubelab(["check", "pod", "1"], bad, timeout=120)
    assert r.returncode != 0
    assert "ask the instructor for a new kubeconfig" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.workshop_all
def test_three_learners_verify_every_lab_at_once(workshop: tuple[list[str], Path],
                                                 record_property: pytest.RecordProperty) -> None:
    names, kc = workshop
    kube = connect()
    labs, errors = load_all()
    assert not errors, errors
    runnable, cannot = [], {}
    for lab in labs:
        n = lab_needs(lab, lambda a, k: not kube.resource(a, k).namespaced)
        if n.blockers:
            cannot[lab.id] = n.blockers
        else:
            runnable.append(lab.id)
    for lab_id, why in cannot.items():     # named in the report, with the reason
        record_property(f"not in workshop mode: {lab_id}", "; ".join(why))
        print(f"cannot run in workshop mode: {lab_id}: {'; '.join(why)}")
    assert "pod" in runnable and "pv-pvc" in runnable
    # what is not the run's must survive it: a learner's own object in the verify namespace, another's lab
    a, b = names[0], names[1]
    core_a = client.CoreV1Api(_api(kc / f"{a}.kubeconfig"))
    core_b = client.CoreV1Api(_api(kc / f"{b}.kubeconfig"))
    keep = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="bystander"), data={"k": "v"})
    core_a.create_namespaced_config_map(f"lab-pod-verify-{a}", keep)
    core_b.create_namespaced_config_map(f"lab-pod-{b}", keep)
    logs = {n: (kc / f"{n}.log").open("w") for n in names}
    procs = {n: subprocess.Popen([*KUBELAB, "--plain", "verify", "--parallel", PARALLEL, *runnable],
                                 env=_env(kc / f"{n}.kubeconfig"), stdout=logs[n], stderr=subprocess.STDOUT)
             for n in names}
    failed = []
    for n, p in procs.items():
        try:
            rc = p.wait(timeout=VERIFY_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = -1
        logs[n].close()
        text = (kc / f"{n}.log").read_text()
        record_property(f"verify {n}", "; ".join(ln for ln in text.splitlines() if ": OK in " in ln or ": FAILED" in ln))
        missing = [lab for lab in runnable if f"{lab}: OK in " not in text]
        if rc != 0 or missing:
            failed.append(f"learner {n} (rc {rc}, not OK: {', '.join(missing)}):\n" + text[-4000:])
    assert not failed, "\n".join(failed)
    assert core_a.read_namespaced_config_map("bystander", f"lab-pod-verify-{a}").data == {"k": "v"}
    assert core_b.read_namespaced_config_map("bystander", f"lab-pod-{b}").data == {"k": "v"}


def test_a_lost_namespace_names_what_the_instructor_runs(workshop: tuple[list[str], Path]) -> None:
    (_, _, c), kc = workshop
    client.CoreV1Api(connect().api).delete_namespace(f"lab-pod-{c}")    # the instructor's mistake
    for cmd in (["reset", "pod"], ["check", "pod", "1"]):
        r = _kubelab(cmd, kc / f"{c}.kubeconfig", timeout=180)
        assert r.returncode != 0, r.stdout
        assert f"lab-pod-{c} is gone" in r.stderr and "kubelab workshop up --labs pod" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
