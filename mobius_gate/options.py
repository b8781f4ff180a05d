"""Command-line options of mobius-gate and the settings object built from them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from mobius_gate import validate
from mobius_gate.requirements import CATALOGUE
from mobius_gate.spec import DEFAULT_CHECKLIST, Checklist, ChecklistError, load_checklist
from mobius_gate.waivers import WaiverError, Waivers, load_waivers


def add_options(parser: pytest.Parser) -> None:
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
        help=f"Checklist YAML (default: {DEFAULT_CHECKLIST.name} in the repository).",
    )
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
        help="Only run checks of these requirement IDs (see --list-requirements; -k SVC-DEPLOYED works too).",
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
    _add_report_options(parser)
    group.addoption(
        "--list-requirements",
        dest="mobius_list_requirements",
        action="store_true",
        default=False,
        help="Print the requirement catalogue with check counts for the loaded checklist, then exit "
        "(without a path: the gate's own checks).",
    )
    group.addoption(
        "--db-url",
        dest="mobius_db_url",
        default=None,
        metavar="URL",
        help="PostgreSQL URL for Phase 2 checks (default: $CHAT_RAG_DATABASE_URL).",
    )
    group.addoption(
        "--logs-since",
        dest="mobius_logs_since",
        default="24h",
        metavar="DURATION",
        help="Window for VER-LOGS, e.g. 30m, 24h, 7d (default 24h).",
    )
    group.addoption(
        "--collect-timeout",
        dest="mobius_collect_timeout",
        default=120.0,
        type=float,
        metavar="S",
        help="Bound on collecting the inventory, seconds (default 120).",
    )
    _add_remediation_options(parser)


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


def parse_duration(text: str) -> timedelta:
    """``--logs-since`` → a positive window (see :func:`mobius_gate.validate.logs_window`)."""
    return validate.logs_window(text)


DEFAULT_AUDIT_LOG = Path(".mobius-gate/audit.jsonl")


@dataclass(frozen=True)
class Remediation:
    """``--remediate`` and its companions, validated (see remediate/README.md)."""

    mode: str | None = None  # None | "plan" | "apply"
    max_changes: int = 10
    #: NAME → file holding the value (read when applied, never printed).
    secret_values: tuple[tuple[str, Path], ...] = ()
    audit_log: Path = DEFAULT_AUDIT_LOG
    rollback: tuple[str, ...] = ()

    @property
    def writes(self) -> bool:
        """Whether this run may change the project (apply, or a requested rollback outside plan)."""
        return self.mode == "apply" or (bool(self.rollback) and self.mode != "plan")

    @property
    def active(self) -> bool:
        return self.mode is not None or bool(self.rollback)


def remediation(config: pytest.Config, checklist: Checklist, project: str) -> Remediation:
    """The remediation options; apply needs the project named with --project and allowed."""
    opt = config.getoption
    max_changes = opt("mobius_max_changes")
    if max_changes is None or max_changes < 0:
        raise pytest.UsageError(f"--max-changes: expected a number >= 0, got {max_changes}")
    values = []
    for item in opt("mobius_secret_values") or ():
        name, sep, ref = item.partition("=")
        if not sep or not name.strip() or not ref.startswith("@") or len(ref) < 2:
            raise pytest.UsageError("--secret-value: expected NAME=@FILE (the value is read from FILE, never typed)")
        path = Path(ref[1:])
        if not path.is_file():
            raise pytest.UsageError(f"--secret-value {name.strip()}: no such file: {path}")
        values.append((name.strip(), path))
    audit = validate.writable_file(opt("mobius_audit_log"), "--audit-log") if opt("mobius_audit_log") else None
    result = Remediation(
        mode=opt("mobius_remediate"),
        max_changes=max_changes,
        secret_values=tuple(values),
        audit_log=Path(audit) if audit else DEFAULT_AUDIT_LOG,
        rollback=tuple(dict.fromkeys(s.strip() for s in opt("mobius_rollback") or () if s.strip())),
    )
    if result.writes:
        what = "--remediate=apply" if result.mode == "apply" else "--rollback"
        named = opt("mobius_project")
        if not named:
            raise pytest.UsageError(f"{what} changes a project: name it with --project")
        if not opt("mobius_yes") and project not in checklist.remediate.allow_projects:
            raise pytest.UsageError(
                f"{what}: project {project} is not in remediate.allow_projects of the checklist; "
                "add it there or pass --yes"
            )
    return result


@dataclass(frozen=True)
class Settings:
    """The run's configuration, validated once in pytest_configure."""

    checklist_path: Path
    checklist: Checklist  # as written (unresolved)
    spec: Checklist  # resolved for the project
    project: str
    region: str
    emulator: str | None
    inventory_file: Path | None
    snapshot_dir: Path | None
    save_inventory: Path | None
    strict: bool  # --block-advisories: advisory findings fail the gate too
    requirements: frozenset[str] | None
    list_requirements: bool
    db_url: str | None
    logs_since: timedelta
    collect_timeout: float
    #: The run selected the live flows (``-m e2e_live``): collect their outcomes.
    live_flows: bool = False
    waivers: Waivers = field(default_factory=Waivers)
    remediation: Remediation = Remediation()
    #: Reports: ``--conformance-report`` directory, ``--compare`` target, ``--compare-to`` earlier report.
    conformance_report: Path | None = None
    compare: str | None = None
    compare_to: Path | None = None

    @property
    def source_label(self) -> str:
        if self.inventory_file:
            return f"inventory file {self.inventory_file}"
        if self.snapshot_dir:
            return f"snapshot {self.snapshot_dir}"
        if self.emulator:
            return f"emulator {self.emulator}"
        return "live GCP (Application Default Credentials)"


def build_settings(config: pytest.Config) -> Settings:
    opt = config.getoption
    path = Path(opt("mobius_checklist") or DEFAULT_CHECKLIST)
    try:
        checklist = load_checklist(path)
    except ChecklistError as exc:
        raise pytest.UsageError(str(exc)) from None

    sources = [FLAGS[dest] for dest in ("mobius_emulator", "mobius_inventory", "mobius_snapshot") if opt(dest)]
    if len(sources) > 1:
        raise pytest.UsageError(f"{' and '.join(sources)} were given together: choose one source")

    production = checklist.profiles.get("production") or next(iter(checklist.profiles.values()))
    project = validate.named(opt("mobius_project"), "--project") or production.project
    region = validate.named(opt("mobius_region"), "--region") or checklist.region_for(project)
    spec = checklist.resolve(project, region)

    wanted = opt("mobius_requirements")
    requirements = None
    if wanted:
        requirements = frozenset(part.strip().upper() for part in wanted.split(",") if part.strip())
        unknown = sorted(requirements - CATALOGUE.keys())
        if unknown:
            raise pytest.UsageError(f"--requirement: unknown ID {', '.join(unknown)}; known: {', '.join(CATALOGUE)}")

    def existing(option: str, kind: str) -> Path | None:
        value = validate.given_path(opt(option), FLAGS[option])
        if value is None:
            return None
        p = Path(value)
        if (kind == "file" and not p.is_file()) or (kind == "dir" and not p.is_dir()):
            raise pytest.UsageError(f"{FLAGS[option]}: no such {'directory' if kind == 'dir' else kind}: {value}")
        return p

    return Settings(
        checklist_path=path,
        checklist=checklist,
        spec=spec,
        project=project,
        region=region,
        emulator=validate.named(opt("mobius_emulator"), "--emulator"),
        inventory_file=existing("mobius_inventory", "file"),
        snapshot_dir=existing("mobius_snapshot", "dir"),
        save_inventory=validate.writable_file(opt("mobius_save_inventory"), "--save-gate-inventory"),
        strict=opt("mobius_block_advisories"),  # --block-advisories (pytest's own --strict is left to pytest)
        requirements=requirements,
        list_requirements=opt("mobius_list_requirements"),
        db_url=opt("mobius_db_url") or os.environ.get("CHAT_RAG_DATABASE_URL"),
        logs_since=parse_duration(opt("mobius_logs_since")),
        collect_timeout=validate.collect_budget(opt("mobius_collect_timeout")),
        live_flows=opt("mobius_live_flows") or "e2e_live" in (config.option.markexpr or ""),
        waivers=_waivers(opt("mobius_waivers")),
        remediation=_remediation_for(config, checklist, project, sources),
        conformance_report=_report_dir(opt("mobius_conformance_report")),
        compare=validate.named(opt("mobius_compare"), "--compare"),
        compare_to=existing("mobius_compare_to", "file"),
    )


def _report_dir(value: str | None) -> Path | None:
    """``--conformance-report=DIR``: created now, so an unwritable place is one usage line, not a lost report."""
    path = validate.given_path(value, "--conformance-report")
    if path is None:
        return None
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(f"--conformance-report: cannot create {path}: {exc.strerror or exc}") from None
    return Path(path)


def _waivers(value: str | None) -> Waivers:
    """``--waivers=FILE`` loaded and validated; a bad file is one usage line naming it."""
    path = validate.given_path(value, "--waivers")
    if path is None:
        return Waivers()
    try:
        return load_waivers(Path(path))
    except WaiverError as exc:
        raise pytest.UsageError(f"--waivers: {exc}") from None


def _remediation_for(config: pytest.Config, checklist: Checklist, project: str, sources: list[str]) -> Remediation:
    result = remediation(config, checklist, project)
    if result.writes and any(s in sources for s in ("--gate-inventory", "--snapshot")):
        raise pytest.UsageError(f"{' '.join(sources)}: a saved state cannot be repaired; --remediate=plan can read it")
    return result
