"""Verdict → pytest outcome, advisory/strict, selection and listing, on a saved inventory.

Each test writes a tiny check module and an inventory JSON, then runs pytest on it
the way a user would (``pytest test_gate.py --gate-inventory=FILE``), in-process through pytester (no new interpreter).
"""

from __future__ import annotations

import textwrap

import pytest

from mobius_gate.inventory import Inventory, Section, Service

CHECKS = textwrap.dedent(
    '''
    from mobius_gate.requirements import check
    from mobius_gate.rules.subjects import declared_services, each


    @check("SVC-DEPLOYED", declared_services(lambda svc: svc.name in ("mobius-chat-api", "mobius-chat-worker")))
    def test_deployed(svc, judge):
        """§3: every service is deployed."""
        if judge.inv.service(svc.name):
            return judge.passed("deployed")
        return judge.failed("not deployed", expected="deployed", actual="absent", fix=f"gcloud run deploy {svc.name}")


    @check("INF-API", each(lambda spec: ["run.googleapis.com"], lambda api: "run"))
    def test_api(api, judge):
        return judge.passed("enabled")


    @check("INF-SECRET", each(lambda spec: ["jwt-secret"]))
    def test_secret(name, judge):
        return judge.passed("exists")


    @check("SVC-PLAINTEXT-CREDS", each(lambda spec: ["mobius-rag"]))
    def test_plain(name, judge):
        return judge.failed("credential in a plain env value")
    '''
)


@pytest.fixture
def gate(pytester: pytest.Pytester, loopback_env: dict[str, str]):
    """Write the check module and an inventory: chat-api deployed, APIs unreadable, secrets not collected."""
    pytester.makepyfile(test_gate=CHECKS)
    inv = Inventory(
        project="mobiusos-new",
        region="us-central1",
        source="test",
        services=Section[Service](items=[Service(name="mobius-chat-api")]),
        apis=Section[str].unavailable("permission denied listing services: caller lacks serviceusage.services.list"),
        secrets=Section.not_collected("not in snapshot /tmp/x"),
    )
    path = pytester.path / "inventory.json"
    inv.save(path)
    for key, value in loopback_env.items():
        pytester._monkeypatch.setenv(key, value)

    def run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_inprocess("test_gate.py", f"--gate-inventory={path}", "-rA", *args)

    return run


def test_each_verdict_becomes_its_outcome(gate) -> None:
    result = gate()
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=1, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for line in (
        "[[]SVC-DEPLOYED[]] mobius-chat-worker: not deployed. Expected: deployed; actual: absent. "
        "Fix: gcloud run deploy mobius-chat-worker*",
        "[[]INF-API[]] run: cannot judge: permission denied listing services*",
        "*[[]INF-SECRET[]] jwt-secret: not collected: not in snapshot*",
        "*1 pass, 1 fail, 1 error, 1 advisory, 0 waived, 1 not judged, 0 not applicable",
        "partial run: no release verdict (exit 1)",
    ):
        result.stdout.fnmatch_lines([line])
    assert "Traceback" not in result.stdout.str()


def test_advisory_fails_only_with_block_advisories(gate) -> None:
    relaxed = gate("--requirement=SVC-PLAINTEXT-CREDS")
    relaxed.assert_outcomes(xfailed=1)
    assert relaxed.ret == pytest.ExitCode.OK
    relaxed.stdout.fnmatch_lines(["*advisory findings (1, not blocking*", "partial run: no release verdict (exit 0)"])

    strict = gate("--requirement=SVC-PLAINTEXT-CREDS", "--block-advisories")
    strict.assert_outcomes(failed=1)
    assert strict.ret == pytest.ExitCode.TESTS_FAILED


def test_pytest_strict_is_left_to_pytest(gate) -> None:
    """pytest's own --strict no longer changes the gate's verdicts."""
    relaxed = gate("--requirement=SVC-PLAINTEXT-CREDS", "--strict")
    relaxed.assert_outcomes(xfailed=1)
    assert relaxed.ret == pytest.ExitCode.OK


def test_k_selects_by_requirement_id_and_by_resource(gate) -> None:
    by_id = gate("-k", "SVC-DEPLOYED")
    by_id.assert_outcomes(passed=1, failed=1)
    by_id.stdout.fnmatch_lines(["*3 deselected*"])
    by_resource = gate("-k", "mobius-chat-worker")
    by_resource.assert_outcomes(failed=1)
    by_resource.stdout.fnmatch_lines(["FAILED test_gate.py::test_deployed[[]mobius-chat-worker[]]*"])
    combined = gate("-k", "SVC-DEPLOYED and mobius-chat-api or INF-API")
    combined.assert_outcomes(passed=1, errors=1)


def test_requirement_selection_and_service_keyword(gate) -> None:
    result = gate("--requirement=svc-deployed", "-k", "mobius-chat-api")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK


def test_unknown_requirement_is_a_usage_error(gate) -> None:
    result = gate("--requirement=SVC-NOPE")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--requirement: SVC-NOPE matches no requirement ID; see pytest checks --list-requirements*"]
    )


def test_list_requirements_counts_checks_and_exits_zero(gate) -> None:
    result = gate("--list-requirements")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*ID*phase*severity*checks*title*",
            "DB-EXISTS*database*0*",
            "SVC-DEPLOYED*services*blocking*2*service deployed*",
            "SVC-PLAINTEXT-CREDS*advisory*1*",
            "33 requirements, 5 checks for mobiusos-new",
        ]
    )


def test_phase_markers_select(gate) -> None:
    result = gate("-m", "infra")
    result.assert_outcomes(errors=1, skipped=1)


def test_a_broken_inventory_file_is_one_clear_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gate=CHECKS)
    bad = pytester.path / "inv.json"
    bad.write_text('{"project": 3}')
    result = pytester.runpytest_inprocess("test_gate.py", f"--gate-inventory={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --gate-inventory *inv.json: not a saved mobius-gate inventory*"])
    assert "Traceback" not in result.stderr.str()


def test_an_emulator_url_where_nothing_answers_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gate=CHECKS)
    result = pytester.runpytest_inprocess("test_gate.py", "--emulator=http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --emulator http://127.0.0.1:9: no mobius-gate emulator answers there*"])


def test_two_sources_and_a_missing_snapshot_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gate=CHECKS)
    both = pytester.runpytest_inprocess("test_gate.py", "--emulator=prod", "--snapshot=.")
    assert both.ret == pytest.ExitCode.USAGE_ERROR
    both.stderr.fnmatch_lines(["ERROR: --emulator and --snapshot were given together: choose one source"])
    missing = pytester.runpytest_inprocess("test_gate.py", "--snapshot=nope")
    missing.stderr.fnmatch_lines(["ERROR: --snapshot: no such directory: nope"])


def test_an_unreadable_section_error_is_redacted_and_says_what_to_do(
    pytester: pytest.Pytester, loopback_env: dict[str, str]
) -> None:
    pytester.makepyfile(test_gate=CHECKS)
    inv = Inventory(
        project="mobiusos-new",
        region="us-central1",
        source="test",
        apis=Section[str].unavailable("proxy said: postgresql://postgres:hunter2-secret@10.0.0.9/x refused"),
    )
    path = pytester.path / "inventory.json"
    inv.save(path)
    result = pytester.runpytest_inprocess("test_gate.py", f"--gate-inventory={path}", "--requirement=INF-API")
    result.assert_outcomes(errors=1)
    assert "hunter2-secret" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["[[]INF-API[]] run: cannot judge: proxy said: postgresql://postgres:***@*Fix: *"])
