"""The mobius-gate pytest plugin: options, parametrization, verdict → outcome, summary.

Flow: ``pytest_configure`` validates the options and the checklist; checks are
parametrized from the resolved checklist in ``pytest_generate_tests``; the
inventory is acquired once (controller) and shared with xdist workers; each
check's ``mobius_case`` fixture judges its pure rule during setup so that an
unreadable section or an ``error`` verdict is a pytest *error*, ``na`` a skip,
and the test body turns ``fail`` into a failure (advisory → xfail unless
``--block-advisories``).

Start-up stays cheap: nothing here imports a google-cloud client or the emulator; the
collectors load on the first inventory acquisition, which ``--collect-only``,
``--list-requirements``, a replayed inventory and a snapshot never make.
"""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import mobius_gate.checks
from mobius_gate import heap
from mobius_gate.acquire import WORKERINPUT_KEY, InventorySource
from mobius_gate.options import Settings, add_options, build_settings, gate_flags_given
from mobius_gate.plugin.judging import mobius_case  # noqa: F401  (the fixture every check requests)
from mobius_gate.plugin.state import CHECKS_SEEN, SETTINGS, SOURCE, inventory, is_worker
from mobius_gate.plugin.summary import ConformanceSummary
from mobius_gate.requirements import CASE_FIXTURE, CATALOGUE, BoundRule

#: The checklist as rules: ``checks/`` in a checkout, ``mobius_gate/checks`` when installed (one mapping).
CHECKS_DIR = Path(mobius_gate.checks.__file__).resolve().parent
MARKERS = {
    "infra": "Phase 1 — infrastructure checks",
    "database": "Phase 2 — database checks",
    "services": "Phase 3 — Cloud Run service checks",
    "verification": "Phase 4 — verification checks",
    "requirement(id)": "the checklist requirement a check enforces (catalogue ID)",
    "servers": "starts real servers (emulator, Redis, Postgres); still runs in CI",
    "e2e_live": "live flows against deployed services; opt-in with --live-flows (-m e2e_live runs only them)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)  # mobius_gate.fixtures.server_fixtures, loaded beside it, adds --redis-url/--postgres-url


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    settings = build_settings(config)
    config.stash[SETTINGS] = settings
    config.stash[SOURCE] = InventorySource(settings)
    config.stash[CHECKS_SEEN] = False
    if settings.remediation.active:
        from mobius_gate.remediate.plugin import register

        register(config, settings, config.stash[SOURCE])
    if not is_worker(config):
        _point_at_the_checks(config)
        config.pluginmanager.register(ConformanceSummary(settings), "mobius-gate-summary")
        _register_reports(config, settings)
    if gate_flags_given(config.invocation_params.args):
        heap.settle("configured")  # a gate run; other pytest runs in this environment are left alone


def _register_reports(config: pytest.Config, settings: Settings) -> None:
    """--conformance-report / --compare / --compare-to: the reports plugin, on the controller only."""
    if settings.conformance_report or settings.compare or settings.compare_to:
        from mobius_gate.reports.plugin import register  # imported only when a report is asked for

        register(config, settings)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """--conformance-report=DIR without --html: pytest-html writes DIR/report.html too (before it configures)."""
    if config.getoption("mobius_conformance_report", None):
        from mobius_gate.reports.plugin import default_html

        default_html(config)


def _point_at_the_checks(config: pytest.Config) -> None:
    """With no path on the command line: ``--list-requirements`` lists the gate's own checks, and
    gate options that would otherwise run the framework's tests stop the run with one line."""
    if config.args_source == pytest.Config.ArgsSource.ARGS or _runs_checks(config):
        return
    if config.stash[SETTINGS].list_requirements:
        # Installed, the checks sit alone; in a checkout they need its root conftest, so its rootdir.
        if config.rootpath in CHECKS_DIR.parents or not (CHECKS_DIR.parent / "conftest.py").exists():
            config.args[:] = [str(CHECKS_DIR)]
            return
        raise pytest.UsageError(
            f"--list-requirements: no path to the gate's checks was given: run `pytest checks --list-requirements` "
            f"in {CHECKS_DIR.parent}, or `mobius-gate --list-requirements`"
        )
    given = gate_flags_given(config.invocation_params.args)
    if given:
        raise pytest.UsageError(_use_checks(config, given, "no path to them was given"))


def _use_checks(config: pytest.Config, given: list[str], why: str) -> str:
    """One line: which gate options were given, why they cannot apply, and the command that works."""
    paths = {str(p) for p in config.option.file_or_dir or ()}
    args = shlex.join(str(a) for a in config.invocation_params.args if str(a) not in paths)
    return (
        f"{' and '.join(given)} {'applies' if len(given) == 1 else 'apply'} to the gate's checks, but {why}: "
        f"run `pytest checks {args}` in a checkout, or `mobius-gate {args}`"
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    source = config.stash.get(SOURCE, None)
    if source is not None:
        source.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    s = config.stash[SETTINGS]
    if _runs_checks(config):
        return [f"mobius-gate: project {s.project} ({s.region}) · {s.source_label} · checklist {s.checklist_path}"]
    from mobius_gate.fixtures.server_fixtures import (
        server_report_header,  # framework tests and e2e: where Redis/Postgres are
    )

    return server_report_header(config)


# --- inventory, once per run -------------------------------------------------------------------------


def _xdist_controller(config: pytest.Config) -> bool:
    return (
        not is_worker(config)
        and bool(getattr(config.option, "numprocesses", None))
        and (getattr(config.option, "dist", "no") != "no")
    )


def _runs_checks(config: pytest.Config) -> bool:
    """Whether the command line reaches checks/ (so the controller must collect for its workers)."""
    for arg in config.args or [str(config.invocation_params.dir)]:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == CHECKS_DIR or CHECKS_DIR in path.parents or path in CHECKS_DIR.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    listing = config.stash[SETTINGS].list_requirements or config.option.collectonly
    if _xdist_controller(config) and _runs_checks(config) and not listing:
        _announce(config)
        config.stash[SOURCE].share()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    path = node.config.stash[SOURCE].shared_path
    if path is not None:
        node.workerinput[WORKERINPUT_KEY] = str(path)


def _announce(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    s = config.stash[SETTINGS]
    if reporter is not None and not is_worker(config):
        reporter.write_line(f"mobius-gate: collecting the inventory of {s.project} from {s.source_label} ...")


# --- parametrization and selection ------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    bound: BoundRule | None = getattr(metafunc.function, "mobius_rule", None)
    if bound is None:
        return
    spec = metafunc.config.stash[SETTINGS].spec
    subjects = list(bound.subjects(spec))
    metafunc.parametrize(
        CASE_FIXTURE, [subject for _, subject in subjects], ids=[ident for ident, _ in subjects], indirect=True
    )


def _requirement_of(item: pytest.Item) -> str | None:
    bound: BoundRule | None = getattr(getattr(item, "function", None), "mobius_rule", None)
    return bound.requirement.id if bound is not None else None


def pytest_itemcollected(item: pytest.Item) -> None:
    """A check answers to ``-k`` by its requirement ID too (its resource is in its name already)."""
    requirement = _requirement_of(item)
    if requirement is not None:
        item.extra_keyword_matches.add(requirement)
        item.config.stash[CHECKS_SEEN] = True


def _require_checks(config: pytest.Config) -> None:
    """Gate options, or ``--list-requirements``, on paths that hold no check: one line, not a test run."""
    if is_worker(config) or config.stash[CHECKS_SEEN]:
        return
    given = gate_flags_given(config.invocation_params.args)
    if config.stash[SETTINGS].list_requirements:
        given.append("--list-requirements")
    if given:
        raise pytest.UsageError(_use_checks(config, given, f"no check was collected from {' '.join(config.args)}"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    _require_checks(config)
    settings = config.stash[SETTINGS]
    if settings.requirements is not None:
        keep = [i for i in items if _requirement_of(i) in settings.requirements]
        dropped = [i for i in items if _requirement_of(i) not in settings.requirements]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    if settings.list_requirements:
        _print_catalogue(config, items)
        items[:] = []
        return

    if config.option.collectonly:
        return  # listing checks never touches an API
    if not is_worker(config) and not _xdist_controller(config) and any(_requirement_of(i) for i in items):
        _announce(config)
        inventory(config)


def _print_catalogue(config: pytest.Config, items: list[pytest.Item]) -> None:
    counts = Counter(_requirement_of(i) for i in items)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter else print
    write("")
    write(f"{'ID':<20} {'phase':<13} {'severity':<9} {'§':<18} {'checks':>6}  title")
    for req in CATALOGUE.values():
        write(
            f"{req.id:<20} {req.phase:<13} {req.severity:<9} {req.section:<18} {counts.get(req.id, 0):>6}  {req.title}"
        )
    write(f"{len(CATALOGUE)} requirements, {sum(counts.values())} checks for {config.stash[SETTINGS].project}")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """A narrowing that selects no check: pytest's exit 5 ("no tests ran") plus one line saying why."""
    settings = config.stash[SETTINGS]
    if exitstatus != pytest.ExitCode.NO_TESTS_COLLECTED or settings.list_requirements or not _runs_checks(config):
        return
    narrowed = (("-k", config.option.keyword), ("-m", config.option.markexpr))
    parts = [f"{flag} {value!r}" for flag, value in narrowed if value]
    if settings.requirements is not None:
        parts.append("--requirement " + ",".join(sorted(settings.requirements)))
    narrowing = " and ".join(parts)
    terminalreporter.write_line(
        f"no check matches {narrowing or 'the paths given'}: see pytest checks --list-requirements", yellow=True
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.stash[SETTINGS].list_requirements and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.OK
