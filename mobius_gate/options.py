"""Command-line options of mobius-gate and the settings object built from them."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from mobius_gate import validate
from mobius_gate.cli_options import FLAGS, add_options, gate_flags_given  # noqa: F401 (re-exported)
from mobius_gate.requirements import CATALOGUE
from mobius_gate.spec import DEFAULT_CHECKLIST, Checklist, ChecklistError, load_checklist
from mobius_gate.waivers import WaiverError, Waivers, load_waivers


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
    #: Never in a repr: pytest's ``-l`` prints fixtures' and tests' locals (``settings``).
    db_url: str | None = field(repr=False)
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

    requirements = validate.requirement_ids(opt("mobius_requirements"), CATALOGUE)

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
        emulator=validate.emulator_ref(opt("mobius_emulator"), scenario_dir()),
        inventory_file=existing("mobius_inventory", "file"),
        snapshot_dir=existing("mobius_snapshot", "dir"),
        save_inventory=validate.writable_file(opt("mobius_save_inventory"), "--save-gate-inventory"),
        strict=opt("mobius_block_advisories"),  # --block-advisories (pytest's own --strict is left to pytest)
        requirements=requirements,
        list_requirements=opt("mobius_list_requirements"),
        db_url=validate.database_url(opt("mobius_db_url")) or os.environ.get("CHAT_RAG_DATABASE_URL"),
        logs_since=parse_duration(opt("mobius_logs_since")),
        collect_timeout=validate.collect_budget(opt("mobius_collect_timeout")),
        live_flows=opt("mobius_live_flows") or "e2e_live" in (config.option.markexpr or ""),
        waivers=_waivers(opt("mobius_waivers")),
        remediation=_remediation_for(config, checklist, project, sources),
        conformance_report=report_dir(opt("mobius_conformance_report")),
        compare=_compare(opt("mobius_compare")),
        compare_to=_compare_to(existing("mobius_compare_to", "file")),
    )


def scenario_dir() -> Path:
    """The bundled emulator scenarios, found without importing the emulator (its extra may be missing)."""
    spec = importlib.util.find_spec("mobius_gate.fixtures")
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    return Path(locations[0] if locations else ".") / "emulator" / "scenarios"


def report_dir(value: str | None) -> Path | None:
    """``--conformance-report=DIR``: created now (before pytest-html opens DIR/report.html), so a file
    in the way or an unwritable place is one usage line, not an INTERNALERROR or a lost report."""
    path = validate.given_path(value, "--conformance-report")
    if path is None:
        return None
    if Path(path).exists() and not Path(path).is_dir():
        raise pytest.UsageError(f"--conformance-report: {path} exists and is not a directory")
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(f"--conformance-report: cannot create {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"--conformance-report: cannot write into {path}")
    return Path(path)


def _compare(value: str | None) -> str | None:
    """``--compare=TARGET`` resolved now (mobius_gate.reports.targets), so a bad one costs no gate run."""
    target = validate.named(value, "--compare")
    if target is not None:
        from mobius_gate.reports.targets import resolve

        resolve(target)
    return target


def _compare_to(path: Path | None) -> Path | None:
    """``--compare-to=FILE`` parsed and checked against conformance.schema.json now, not at session end."""
    if path is not None:
        from mobius_gate.reports.json_out import ReportFileError, load

        try:
            load(path)
        except ReportFileError as exc:
            raise pytest.UsageError(f"--compare-to {path}: {exc}") from None
    return path


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
