"""JUnit XML for `kubelab verify --junit`: one testsuite per lab, one testcase per step."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from runner.verify import LabReport, failure_lines


def write_junit(path: Path, reports: list[LabReport]) -> None:
    root = ET.Element("testsuites", name="kubelab verify")
    for r in reports:
        if r.skipped:     # not runnable on this cluster: reported as skipped, never as passed
            suite = ET.SubElement(root, "testsuite", name=r.lab, tests="1", failures="0", skipped="1", time="0")
            case = ET.SubElement(suite, "testcase", classname=f"labs.{r.lab}", name="(lab)")
            ET.SubElement(case, "skipped", message=r.skipped)
            continue
        failures = sum(1 for s in r.steps if s.status == "failed") + (1 if r.error else 0)
        suite = ET.SubElement(root, "testsuite", name=r.lab, tests=str(len(r.steps) + (1 if r.error else 0)),
                              failures=str(failures), skipped="0", time=f"{r.seconds:.2f}")
        for s in r.steps:
            case = ET.SubElement(suite, "testcase", classname=f"labs.{r.lab}", name=s.step, time=f"{s.seconds:.2f}")
            if s.status == "failed":
                f = ET.SubElement(case, "failure", message=f"{s.phase}: {s.message}")
                one = LabReport(r.lab, r.namespace, [s])
                f.text = "\n".join(failure_lines(one))
            elif s.status == "declared":
                ET.SubElement(case, "system-out").text = s.message
        if r.error:
            case = ET.SubElement(suite, "testcase", classname=f"labs.{r.lab}", name="(lab)")
            ET.SubElement(case, "error", message=r.error).text = r.error
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
