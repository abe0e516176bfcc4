"""The add-on manifests name only pins that build/addons.sh fills in, and those pins exist."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ADDONS = ROOT / "manifests/cluster/addons"


def pins() -> dict[str, str]:
    lines = (ROOT / "build/versions.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))


def test_every_placeholder_is_a_pin_the_installer_renders() -> None:
    rendered = set(re.findall(r"\\\$\{([A-Z_]+)\}", (ROOT / "build/addons.sh").read_text()))
    used = {v for f in ADDONS.glob("*.yaml") for v in re.findall(r"\$\{([A-Z_]+)\}", f.read_text())}
    assert used, "the add-on manifests should name their image versions through pins"
    assert used <= rendered, f"addons.sh does not fill in {sorted(used - rendered)}"
    assert used <= set(pins()), f"not in build/versions.env: {sorted(used - set(pins()))}"


def test_manifests_parse_and_images_are_never_pulled() -> None:
    for f in ADDONS.glob("*.yaml"):
        for doc in yaml.safe_load_all(f.read_text()):
            spec = (doc or {}).get("spec", {}).get("template", {}).get("spec", {})
            for c in spec.get("containers", []):
                assert c.get("imagePullPolicy") == "IfNotPresent", f"{f.name}: {c['name']} would pull"
