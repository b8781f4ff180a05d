"""The gate's command-line options (declarations only; :mod:`mobius_gate.options` turns them into settings)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from mobius_gate.spec import DEFAULT_CHECKLIST


def add_options(parser: pytest.Parser) -> None:
    """Every option of the gate, by group (``pytest checks --help`` shows them)."""
    _add_target_options(parser)
    _add_source_options(parser)
    _add_judging_options(parser)
    _add_input_options(parser)
    _add_remediation_options(parser)
    _add_report_options(parser)


def _add_target_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mobius-gate", "mobius-gate release gate (options of `pytest checks`)")
    group.addoption(
        "--project",
        dest="mobius_project",
        metavar="PROJECT",
        default=None,
        help="GCP project to verify (default: the checklist's production profile, mobiusos-new).",
    )
    group.addoption(
        "--region",
        dest="mobius_region",
        metavar="REGION",
        default=None,
        help="Region (default: the profile's region for that project, else us-central1).",
    )
    group.addoption(
        "--checklist",
        dest="mobius_checklist",
        default=None,
        metavar="PATH",
        help=f"Checklist YAML (default: the bundled {DEFAULT_CHECKLIST.name}).",
    )


def _add_source_options(parser: pytest.Parser) -> None:
    source = parser.getgroup("mobius-gate source", "where the project's state comes from (pick one; default: live GCP)")
    source.addoption(
        "--emulator",
        dest="mobius_emulator",
        default=None,
        metavar="SCENARIO|URL",
        help="Run against the bundled GCP emulator: a scenario name (prod, staging, ...) started "
        "in-process, or the URL of a running one (python -m mobius_gate.fixtures.emulator).",
    )
    source.addoption(
        "--gate-inventory",
        dest="mobius_inventory",
        default=None,
        metavar="FILE",
        help="Judge a saved inventory (from --save-gate-inventory) instead of collecting.",
    )
    source.addoption(
        "--snapshot",
        dest="mobius_snapshot",
        default=None,
        metavar="DIR",
        help="Pre-deploy gate: judge exported service definitions (Knative YAML / Cloud Run v2 JSON).",
    )


def _add_judging_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mobius-gate")
    group.addoption(
        "--save-gate-inventory",
        dest="mobius_save_inventory",
        default=None,
        metavar="FILE",
        help="Write the collected inventory as JSON.",
    )
    group.addoption(
        "--requirement",
        dest="mobius_requirements",
        default=None,
        metavar="ID[,ID]",
        help="Only run checks of these requirement IDs or globs such as SVC-* (see --list-requirements; "
        "-k SVC-DEPLOYED works too).",
    )
    group.addoption(
        "--block-advisories",
        dest="mobius_block_advisories",
        action="store_true",
        default=False,
        help="Advisory findings fail the gate too (by default they are xfailed and reported).",
    )
    group.addoption(
        "--waivers",
        dest="mobius_waivers",
        default=None,
        metavar="FILE",
        help="YAML file of accepted deviations (requirement, resource, reason, expires); waived checks are "
        "reported as waived, and an expired waiver no longer applies.",
    )
    group.addoption(
        "--live-flows",
        dest="mobius_live_flows",
        action="store_true",
        default=False,
        help="Also run the checklist's §4.4 live end-to-end flows against the deployed services "
        "(-m e2e_live runs only them). Without it the flows are not judged and the verdict is INCOMPLETE.",
    )
    group.addoption(
        "--list-requirements",
        dest="mobius_list_requirements",
        action="store_true",
        default=False,
        help="Print the requirement catalogue with check counts for the loaded checklist, then exit "
        "(without a path: the gate's own checks).",
    )


def _add_input_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mobius-gate")
    group.addoption(
        "--db-url",
        dest="mobius_db_url",
        default=None,
        metavar="URL",
        help="postgresql:// URL for Phase 2 checks (default: $CHAT_RAG_DATABASE_URL).",
    )
    group.addoption(
        "--logs-since",
        dest="mobius_logs_since",
        default="30d",
        metavar="DURATION",
        help="How far back VER-LOGS looks for start lines (from the latest revision's start, at most this), "
        "e.g. 30m, 24h, 7d (default 30d, Cloud Logging's default retention).",
    )
    group.addoption(
        "--collect-timeout",
        dest="mobius_collect_timeout",
        default=120.0,
        type=float,
        metavar="S",
        help="Bound on collecting the inventory, seconds (default 120).",
    )


def _add_remediation_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mobius-gate remediation", "repair what the checks find (remediate/README.md)")
    group.addoption(
        "--remediate",
        dest="mobius_remediate",
        choices=("plan", "apply"),
        default=None,
        help="plan: show each failing check's change and the whole plan in dependency order (writes nothing); "
        "apply: make the changes through the API, re-collect and re-judge (needs --project and an allowed project).",
    )
    group.addoption(
        "--yes",
        dest="mobius_yes",
        action="store_true",
        default=False,
        help="Allow --remediate=apply / --rollback on the named project even if remediate.allow_projects omits it.",
    )
    group.addoption(
        "--max-changes",
        dest="mobius_max_changes",
        type=int,
        default=10,
        metavar="N",
        help="At most N changes per run (default 10); the plan lists the ones held back.",
    )
    group.addoption(
        "--secret-value",
        dest="mobius_secret_values",
        action="append",
        default=[],
        metavar="NAME=@FILE",
        help="A value only a human has (a secret's payload, a database URL), read from FILE, never echoed; "
        "NAME is the secret or the placeholder (jwt-secret, CHAT_RAG_DATABASE_URL). Repeatable.",
    )
    group.addoption(
        "--audit-log",
        dest="mobius_audit_log",
        default=None,
        metavar="FILE",
        help="Where applied changes are appended as JSON lines (default .mobius-gate/audit.jsonl).",
    )
    group.addoption(
        "--rollback",
        dest="mobius_rollback",
        action="append",
        default=[],
        metavar="SERVICE",
        help="Checklist Rollback Plan: send SERVICE's traffic back to its previous ready revision (audited).",
    )


def _add_report_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mobius-gate reports", "conformance reports (see reports/README.md)")
    group.addoption(
        "--conformance-report",
        dest="mobius_conformance_report",
        default=None,
        metavar="DIR",
        help="Write conformance.json/.html/.csv, junit.xml, summary.md and report.html into DIR and append "
        "the run to DIR/history.sqlite (regressions, fixes and their ages since the previous run; the trend).",
    )
    group.addoption(
        "--compare",
        dest="mobius_compare",
        default=None,
        metavar="TARGET",
        help="Also collect TARGET (a project, emulator scenario, snapshot dir or saved inventory; or "
        "project:/emulator:/snapshot:/inventory: prefixed) and write the staging-vs-production gap table.",
    )
    group.addoption(
        "--compare-to",
        dest="mobius_compare_to",
        default=None,
        metavar="PREVIOUS.json",
        help="Say what regressed and what was fixed since an earlier conformance.json.",
    )


#: The gate's own options by ``dest``: on a command line that reaches no check they are a usage error.
FLAGS = {
    "mobius_project": "--project",
    "mobius_region": "--region",
    "mobius_checklist": "--checklist",
    "mobius_emulator": "--emulator",
    "mobius_inventory": "--gate-inventory",
    "mobius_snapshot": "--snapshot",
    "mobius_save_inventory": "--save-gate-inventory",
    "mobius_requirements": "--requirement",
    "mobius_block_advisories": "--block-advisories",
    "mobius_waivers": "--waivers",
    "mobius_live_flows": "--live-flows",
    "mobius_db_url": "--db-url",
    "mobius_logs_since": "--logs-since",
    "mobius_collect_timeout": "--collect-timeout",
    "mobius_remediate": "--remediate",
    "mobius_yes": "--yes",
    "mobius_max_changes": "--max-changes",
    "mobius_secret_values": "--secret-value",
    "mobius_audit_log": "--audit-log",
    "mobius_rollback": "--rollback",
    "mobius_conformance_report": "--conformance-report",
    "mobius_compare": "--compare",
    "mobius_compare_to": "--compare-to",
}


def gate_flags_given(args: Sequence[str]) -> list[str]:
    """The gate options written on a command line (``--emulator prod`` and ``--emulator=prod`` alike)."""
    return [flag for flag in FLAGS.values() if any(a == flag or a.startswith(f"{flag}=") for a in args)]
