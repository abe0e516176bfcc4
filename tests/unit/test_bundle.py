"""build/bundle.sh import: a corrupted or mismatched bundle is refused with one clear line, and nothing is
installed (the real script on real tar files; it stops before Docker is touched)."""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "build" / "bundle.sh"


def pins(build: Path = ROOT / "build") -> str:
    out = subprocess.run(["bash", "-c", f". {build}/lib.sh; pins_key"], capture_output=True, text=True, check=True,
                         env={**os.environ, "KUBELAB_CACHE": str(build.parent / "cache")})
    return out.stdout.strip()


def write_bundle(path: Path, files: dict[str, bytes], manifest: dict[str, bytes] | None = None) -> None:
    """files go in the tar; MANIFEST lists the checksums of `manifest` (default: of files)."""
    listed = manifest if manifest is not None else files
    lines = "".join(f"{hashlib.sha256(v).hexdigest()}  {k}\n" for k, v in sorted(listed.items()) if k != "MANIFEST")
    with tarfile.open(path, "w") as tar:
        for name, data in {**files, "MANIFEST": lines.encode()}.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def good_files() -> dict[str, bytes]:
    return {"PINS": f"kubelab-bundle-3 {pins()}\n".encode(), "node-image.tar": b"node", "node-image-id": b"sha256:1",
            "images.txt": b"sha256:2 agnhost", "bin/kind": b"kind", "bin/kubectl": b"kubectl", "versions.env": b"x",
            "addons/gateway-api-crds/gateways.yaml": b"crd", "addons/metrics-server-base/kustomization.yaml": b"k"}


def run_import(tmp_path: Path, bundle: Path) -> subprocess.CompletedProcess[str]:
    cache = tmp_path / "cache"
    env = {**os.environ, "KUBELAB_CACHE": str(cache), "PATH": "/usr/bin:/bin"}   # no docker/go needed to refuse
    return subprocess.run(["bash", str(SCRIPT), "import", str(bundle)], capture_output=True, text=True, env=env,
                          timeout=120)


def assert_refused(tmp_path: Path, r: subprocess.CompletedProcess[str], bundle: Path, words: str) -> None:
    assert r.returncode != 0, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "ERROR" in last and str(bundle) in last and words in last and "nothing installed" in last, r.stderr
    assert "Traceback" not in r.stderr
    leftovers = [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith("bundle")]
    assert leftovers == [], leftovers


@pytest.mark.parametrize("stamp", ["kubelab-bundle-3 0123456789abcdef", f"kubelab-bundle-2 {pins()}"])
def test_other_pins_are_refused(tmp_path: Path, stamp: str) -> None:
    """Other pins, or these pins in the older format (its node image lacks the lab and add-on images)."""
    files = good_files() | {"PINS": f"{stamp}\n".encode()}
    write_bundle(bundle := tmp_path / "b.tar", files)
    assert_refused(tmp_path, run_import(tmp_path, bundle), bundle, "bundle is for other pins")


@pytest.mark.parametrize("recipe", ["versions.env", "node/kubelab-network.sh", "node-image.sh", "images.sh",
                                    "addon-images.sh", "node-bundle.sh", "binaries.sh"])
def test_the_pins_name_every_recipe_of_the_node_image(tmp_path: Path, recipe: str) -> None:
    """A bundle made before a recipe of its node image changed is for other pins: its node image differs."""
    build = tmp_path / "build"
    shutil.copytree(ROOT / "build", build)
    before = pins(build)
    with (build / recipe).open("a") as f:
        f.write("\n# changed\n")
    assert pins(build) != before


@pytest.mark.parametrize("changed", ["bin/kind", "node-image.tar"])  # the node image is checked without unpacking
def test_a_changed_file_is_refused(tmp_path: Path, changed: str) -> None:
    files = good_files()
    write_bundle(bundle := tmp_path / "b.tar", files | {changed: b"tampered"}, manifest=files)
    assert_refused(tmp_path, run_import(tmp_path, bundle), bundle, "checksum mismatch")


def test_a_truncated_bundle_is_refused(tmp_path: Path) -> None:
    write_bundle(whole := tmp_path / "whole.tar", good_files() | {"node-image.tar": os.urandom(200_000)})
    (bundle := tmp_path / "b.tar").write_bytes(whole.read_bytes()[:150_000])
    assert_refused(tmp_path, run_import(tmp_path, bundle), bundle, "corrupted bundle")


@pytest.mark.parametrize("drop", ["node-image.tar", "node-image-id", "images.txt", "MANIFEST",
                                  "addons/gateway-api-crds/gateways.yaml"])
def test_an_incomplete_bundle_is_refused(tmp_path: Path, drop: str) -> None:
    files = good_files()
    if drop == "MANIFEST":
        with tarfile.open(bundle := tmp_path / "b.tar", "w") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(f"./{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        words = "not a kubelab bundle"
    else:
        files.pop(drop)
        write_bundle(bundle := tmp_path / "b.tar", files)
        words = f"lacks {drop.rsplit('/', 1)[0] + '/' if drop.startswith('addons/') else drop}"
    assert_refused(tmp_path, run_import(tmp_path, bundle), bundle, words)


def test_a_file_outside_the_manifest_is_refused(tmp_path: Path) -> None:
    files = good_files()
    write_bundle(bundle := tmp_path / "b.tar", files | {"images/9-extra.tar": b"x"}, manifest=files)
    assert_refused(tmp_path, run_import(tmp_path, bundle), bundle, "outside its manifest")
