"""``junit.xml`` shaped for CI test viewers: one testcase per (requirement, resource).

Suite ``mobius-gate`` with the run as properties (project, source, checklist hash, verdict);
a testcase is named ``REQ-ID resource`` with classname ``phase.requirement``; a failure's body
holds the reason, expected/actual, the likely cause and the gcloud fix; advisories and waived
checks are skipped with ``advisory:``/``waived:`` messages (visible, not failing), an error is
an ``<error>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mobius_gate.reports.model import CheckResult, Report


def _body(check: CheckResult) -> str:
    lines = [f"[{check.requirement}] {check.resource}: {check.reason}"]
    if check.expected is not None or check.actual is not None:
        lines.append(f"expected: {check.expected}")
        lines.append(f"actual:   {check.actual}")
    if check.diagnosis:
        lines.append(f"likely cause: {check.diagnosis}")
    if check.fix:
        lines.append(f"fix: {check.fix}")
    if check.section:
        lines.append(f"checklist § {check.section}")
    return "\n".join(lines)


def _case(suite: ET.Element, check: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        name=check.key,
        classname=f"{check.phase}.{check.requirement}",
        time=f"{check.duration_s:.3f}",
    )
    props = ET.SubElement(case, "properties")
    for name, value in (("requirement", check.requirement), ("severity", check.severity), ("outcome", check.outcome)):
        ET.SubElement(props, "property", name=name, value=value)
    message = f"[{check.requirement}] {check.resource}: {check.reason}"
    if check.outcome == "fail":
        ET.SubElement(case, "failure", message=message, type=check.requirement).text = _body(check)
    elif check.outcome == "error":
        ET.SubElement(case, "error", message=message, type="could-not-judge").text = _body(check)
    elif check.outcome in ("advisory", "waived"):
        label = f"{check.outcome}: {message}" + (f" (waiver: {check.waiver})" if check.waiver else "")
        ET.SubElement(case, "skipped", message=label, type=check.outcome).text = _body(check)
    elif check.outcome == "skipped":
        kind = "not judged" if check.unjudged else "not applicable"
        ET.SubElement(case, "skipped", message=f"{kind}: {check.reason}", type=kind.replace(" ", "-"))
    elif check.outcome == "repaired":
        ET.SubElement(case, "system-out").text = f"repaired by --remediate=apply and re-verified: {check.reason}"


def render(report: Report) -> str:
    counts = report.counts()
    run = report.run
    root = ET.Element("testsuites", name="mobius-gate")
    suite = ET.SubElement(
        root,
        "testsuite",
        name="mobius-gate",
        tests=str(counts["total"]),
        failures=str(counts["fail"]),
        errors=str(counts["error"]),
        skipped=str(counts["skipped"] + counts["advisory"] + counts["waived"]),
        time=f"{sum(c.duration_s for c in report.checks):.3f}",
        timestamp=run.started_at,
        hostname=run.project,
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("project", run.project),
        ("region", run.region),
        ("source", run.source.label()),
        ("checklist_sha256", run.checklist_sha256),
        ("verdict", run.verdict_label),
        ("tool_version", run.tool_version),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    for check in report.checks:
        _case(suite, check)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
