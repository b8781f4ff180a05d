"""A new user's review of the gate's input handling: waivers, option values, the database note.

Pure functions only (no gate run): the waivers loader, the option validators, the release's
fix order and kinds, and the note a database error carries.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mobius_gate import validate
from mobius_gate.options import scenario_dir
from mobius_gate.release import Outcome, decide
from mobius_gate.requirements import CATALOGUE
from mobius_gate.rules.common import inspect_note
from mobius_gate.waivers import WaiverError, load_waivers

ENTRY = "waivers:\n  - requirement: {rid}\n    reason: checked by hand (OPS-1)\n    expires: {date}\n"


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    with pytest.raises(WaiverError) as info:
        load_waivers(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}:"), message
    return message.removeprefix(f"{path}:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ENTRY.format(rid="DB-EXISTS", date="2026-02-30"), "4: invalid YAML: '2026-02-30' is not a valid date"),
        (ENTRY.format(rid="DB-EXISTS", date="2026-13-01"), "4: invalid YAML: '2026-13-01' is not a valid date"),
        (ENTRY.format(rid="DB-EXISTS", date="2026-01-01") + "    reason: again\n", "5: invalid YAML: duplicate key"),
        (ENTRY.format(rid="DB-EXISTS", date="2026-01-01") + "waivers: []\n", "5: invalid YAML: duplicate key"),
        (ENTRY.format(rid="DB-EXISTS", date="2026-01-01").replace("hand", "hand\x07"), "3: control character"),
        ("waivers:\n  - requirement: DB-EXISTS\n    reason: why not\n", "2: waivers.0.expires: Field required"),
        (
            ENTRY.format(rid="DB-EXISTS", date="2027-01-01") + ENTRY.format(rid="NOPE-1", date="2027-01-01")[9:],
            "5: waivers.1.requirement: Value error, matches no requirement ID (NOPE-1)",
        ),
        (ENTRY.format(rid="DB-EXISTS", date="2027-01-01") + "---\nwaivers: []\n", "6: a second YAML document"),
    ],
)
def test_a_bad_waivers_file_names_its_line(tmp_path: Path, text: str, expected: str) -> None:
    assert _load(tmp_path, text).startswith(expected)


@pytest.mark.parametrize("pattern", ['"*"', '"*-*"', "'*S*'", "'[DS]*'"])
def test_a_blanket_waiver_is_refused_with_the_reason(tmp_path: Path, pattern: str) -> None:
    message = _load(tmp_path, ENTRY.format(rid=pattern, date="2099-01-01"))
    assert message.startswith("2: waivers.0.requirement: ")
    assert "phases" in message and "turns any failing release into PASS" in message


@pytest.mark.parametrize("pattern", ["DB-*", "VER-E2E-*", "SVC-*", "INF-*", "SVC-DEPLOYED"])
def test_a_waiver_within_one_phase_is_accepted(tmp_path: Path, pattern: str) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(ENTRY.format(rid=pattern, date="2099-01-01"))
    assert load_waivers(path).items[0].requirement == pattern


def test_a_waiver_covering_no_check_is_unused(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    text = ENTRY.format(rid="SVC-INGRESS", date="2099-01-01") + "    resource: mobius-dbt-iu\n"
    text += ENTRY.format(rid="DB-*", date="2099-01-01")[9:]
    path.write_text(text)
    waivers = load_waivers(path)
    checks = [("SVC-INGRESS", "mobius-dbt-ui"), ("DB-EXISTS", "mobius_chat")]
    assert [w.resource for w in waivers.unused(checks)] == ["mobius-dbt-iu"]
    # a narrowed run that did not run SVC-INGRESS at all says nothing about its waiver
    assert waivers.unused([("DB-EXISTS", "mobius_chat")], partial=True) == []
    assert [w.requirement for w in waivers.unused([("DB-EXISTS", "mobius_chat")])] == ["SVC-INGRESS"]


# --- option values -------------------------------------------------------------------------------


def test_requirement_globs_select_from_the_catalogue() -> None:
    selected = validate.requirement_ids("svc-*, INF-API", CATALOGUE)
    assert selected == {rid for rid in CATALOGUE if rid.startswith("SVC-")} | {"INF-API"}
    assert validate.requirement_ids(None, CATALOGUE) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "--requirement: empty value; name a requirement ID or a glob such as SVC-*"),
        (" , ", "--requirement: empty value; name a requirement ID or a glob such as SVC-*"),
        ("SVC-*,NOPE-*", "--requirement: NOPE-* matches no requirement ID; see pytest checks --list-requirements"),
    ],
)
def test_requirement_values_that_select_nothing_are_usage_errors(value: str, message: str) -> None:
    with pytest.raises(pytest.UsageError, match="^" + message.replace("*", r"\*") + "$"):
        validate.requirement_ids(value, CATALOGUE)


@pytest.mark.parametrize("value", ["prod", "staging", "http://127.0.0.1:8089", "https://emu.local"])
def test_emulator_names_and_urls_are_accepted(value: str) -> None:
    assert validate.emulator_ref(value, scenario_dir()) == value


def test_every_bundled_scenario_is_a_known_name() -> None:
    for path in scenario_dir().glob("*.yaml"):
        assert validate.emulator_ref(path.stem, scenario_dir()) == path.stem
        assert validate.emulator_ref(str(path), scenario_dir()) == str(path)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("prd", "--emulator: unknown scenario 'prd'; bundled scenarios: connector-other-project"),
        ("nowhere/prod.yaml", "--emulator: no such scenario file: nowhere/prod.yaml"),
        ("ftp://127.0.0.1", "--emulator: 'ftp://127.0.0.1': only http:// and https:// URLs"),
        ("", "--emulator: empty value"),
    ],
)
def test_bad_emulator_values_are_usage_errors(value: str, message: str) -> None:
    with pytest.raises(pytest.UsageError) as info:
        validate.emulator_ref(value, scenario_dir())
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    "value", ["postgresql://postgres@127.0.0.1:5432/mobius_chat", "postgres://u:p@h/d", "postgresql:///d?host=/s"]
)
def test_postgresql_urls_are_accepted(value: str) -> None:
    assert validate.database_url(value) == value


@pytest.mark.parametrize(
    ("value", "shown"),
    [("notaurl", "not a URL"), ("mysql://u:hunter2@h/d", "a mysql:// URL"), ("postgresql://", "a postgresql:// URL")],
)
def test_other_database_urls_are_usage_errors_that_hide_the_value(value: str, shown: str) -> None:
    with pytest.raises(pytest.UsageError) as info:
        validate.database_url(value)
    assert f"got {shown}" in str(info.value) and "hunter2" not in str(info.value)


# --- the database note fits the cause --------------------------------------------------------------

CAUSES = [
    ('invalid database URL: missing "=" after "notaurl"', "the database URL is malformed"),
    ("PostgreSQL at 127.0.0.1:1: connection failed: Connection refused", "the database is unreachable"),
    ('PostgreSQL at db:5432: could not translate host name "db"', "the database is unreachable"),
    ('PostgreSQL at 127.0.0.1:5432: password authentication failed for user "gate"', "refused the login"),
    ("reading the database password from Secret Manager failed: 403", "roles/secretmanager.secretAccessor"),
]


@pytest.mark.parametrize(("cause", "advice"), CAUSES)
def test_a_database_error_note_fits_its_cause(cause: str, advice: str) -> None:
    note = inspect_note("DB-EXISTS", "mobius_chat", "mobiusos-new", "us-central1", cause)
    assert advice in note and "roles/viewer" not in note


def test_a_gcp_error_note_still_suggests_the_viewer_role() -> None:
    note = inspect_note("SVC-DEPLOYED", "mobius-chat-api", "p", "us-central1", "403 PERMISSION_DENIED")
    assert "roles/viewer" in note and "--project=p" in note


# --- the release: repaired, live-only, the checklist's service order --------------------------------


def test_repaired_and_live_only_are_counted_apart_and_do_not_change_the_verdict() -> None:
    outcomes = [
        Outcome("SVC-DEPLOYED", "mobius-chat-api", "pass", repaired=True),
        Outcome("SVC-DEPLOYED", "mobius-rag", "pass"),
        Outcome("VER-LOGS", "mobius-chat-worker", "na", live_only=True),
        Outcome("SVC-INGRESS", "module-hub", "na"),
    ]
    release = decide(outcomes, partial=False)
    assert release.verdict == "PASS"
    assert dict(release.counts) == {"repaired": 1, "pass": 1, "live_only": 1, "na": 1}


def test_failing_resources_come_in_the_checklists_service_order() -> None:
    services = ["mobius-chat-api", "mobius-chat-worker", "mobius-skills-scraper", "mobius-rag", "module-hub"]
    outcomes = [Outcome("SVC-DEPLOYED", name, "fail") for name in sorted(services)]
    outcomes.append(Outcome("SVC-ENV", "mobius-rag+REDIS_URL", "fail"))
    outcomes.append(Outcome("SVC-ENV", "mobius-chat-api+REDIS_URL", "fail"))
    release = decide(outcomes, partial=False, services=services)
    assert [(o.requirement, o.resource) for o in release.failing] == [
        *(("SVC-DEPLOYED", name) for name in services),
        ("SVC-ENV", "mobius-chat-api+REDIS_URL"),
        ("SVC-ENV", "mobius-rag+REDIS_URL"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "a:\tb\n",  # a tab as spacing: libyaml reads it, PyYAML refuses it
        "a: 1\t# note\n",
        "{path: /health?full=1}\n",  # '?' in a flow collection
        "- a\n\ufeff- b\n",  # a byte order mark past the start
        "a: 0x_\n",  # not an integer
        "a: " + "9" * 5000 + "\n",  # more digits than Python converts
        'a: "\\U00110000"\n',  # no such character
    ],
)
def test_yaml_the_fast_parser_would_take_is_still_refused_in_one_line(text: str) -> None:
    """Well-formed YAML is read by libyaml; what it is laxer about is still refused, as PyYAML refuses it."""
    from mobius_gate.strict_input import InputError, yaml_documents

    with pytest.raises(InputError) as info:
        yaml_documents(text)
    assert "\n" not in str(info.value) and str(info.value).startswith("invalid YAML"), info.value
