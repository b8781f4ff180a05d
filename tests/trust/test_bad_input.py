"""Bad input never crashes the gate and never quietly changes the run: one line, exit 4, no traceback.

Tables of (input, expected line) through the command line (``pytester.runpytest_inprocess``),
the option validators themselves, the checklist loader and the snapshot loader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from mobius_gate.fixtures.emulator import Emulator

from mobius_gate import validate
from mobius_gate.collect import collect_inventory
from mobius_gate.collect.snapshot import SnapshotError, load_snapshot
from mobius_gate.collect.target import CollectOptions, Target
from mobius_gate.spec import DEFAULT_CHECKLIST, ChecklistError, load_checklist

PROJECT, REGION = "mobiusos-new", "us-central1"
SNAPSHOT = Path(__file__).parent.parent / "collect" / "data" / "snapshot-staging"
ONE_CHECK = """
from mobius_gate.requirements import check
from mobius_gate.rules.subjects import each


@check("SVC-DEPLOYED", each(lambda spec: ["mobius-chat-api"]))
def test_deployed(name, judge):
    return judge.passed("deployed") if judge.inv.service(name) else judge.failed("absent")
"""


def usage_error(result: pytest.RunResult) -> str:
    """The run's one error line, after checking it is a clean usage error."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "INTERNALERROR" not in output
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr.lines
    return errors[0]


@pytest.fixture
def gate(pytester: pytest.Pytester) -> Callable[..., pytest.RunResult]:
    """Run pytest in-process on one tiny check with the given command-line arguments."""
    pytester.makepyfile(test_one=ONE_CHECK)
    return lambda *args: pytester.runpytest_inprocess("test_one.py", "-p", "no:cacheprovider", *args)


# --- checklist files ---------------------------------------------------------------------------

SHIPPED = DEFAULT_CHECKLIST.read_bytes()


def _utf16(data: bytes) -> bytes:
    return data.decode().encode("utf-16")


def _insert(extra: bytes) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"version: 1", b"version: 1" + extra, 1)


def _dup_top_level(data: bytes) -> bytes:
    return data.replace(b"version: 1", b"version: 1\nversion: 2", 1)


def _dup_nested(data: bytes) -> bytes:
    return data.replace(b"  memory_size_gb: 1", b"  memory_size_gb: 1\n  memory_size_gb: 5", 1)


def _deep(data: bytes) -> bytes:
    return b"version: 1\nsource: x\nprofiles: " + b"[" * 5000 + b"]" * 5000 + b"\n"


CHECKLISTS = [
    pytest.param(lambda _: bytes(range(128, 256)) * 4, "not UTF-8 text (byte 0x80): binary data?", 1, id="binary-junk"),
    pytest.param(_utf16, "UTF-16/UTF-32 text (byte order mark): save the file as UTF-8", 1, id="utf-16"),
    pytest.param(
        lambda d: _utf16(d)[2:], "NUL byte: binary data or UTF-16 text, expected UTF-8 text", 1, id="utf16-nobom"
    ),
    pytest.param(_insert(b"\x00"), "NUL byte: binary data or UTF-16 text, expected UTF-8 text", "version: 1", id="nul"),
    pytest.param(_insert(b"\x07"), "control character #x07 is not allowed in YAML", "version: 1", id="bell"),
    pytest.param(_insert(b"\x1b[0m"), "control character #x1b is not allowed in YAML", "version: 1", id="escape"),
    pytest.param(_dup_top_level, "invalid YAML: duplicate key 'version' (first at line", "version: 2", id="dup-key"),
    pytest.param(
        _dup_nested, "invalid YAML: duplicate key 'memory_size_gb' (first at line", "memory_size_gb: 5", id="dup-nested"
    ),
    pytest.param(_deep, "invalid YAML: nested more than 64 levels deep", 3, id="nested-5000"),
]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _line(path: Path, line: int | str | None) -> str:
    if line is None:
        return ""
    if isinstance(line, str):
        line = next(i for i, text in enumerate(path.read_bytes().splitlines(), 1) if line.encode() in text)
    return f":{line}"


@pytest.mark.parametrize(("corrupt", "problem", "line"), CHECKLISTS)
def test_bad_checklist_is_one_line_naming_file_and_line(
    tmp_path: Path, corrupt: Callable[[bytes], bytes], problem: str, line: int | str | None
) -> None:
    path = _write(tmp_path, "checklist.yaml", corrupt(SHIPPED))
    with pytest.raises(ChecklistError) as err:
        load_checklist(path)
    assert str(err.value).startswith(f"{path}{_line(path, line)}: {problem}")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("case", ["binary-junk", "utf-16", "nul", "bell", "dup-key", "nested-5000"])
def test_bad_checklist_on_the_command_line(gate: Callable[..., pytest.RunResult], tmp_path: Path, case: str) -> None:
    corrupt, problem, line = next(p.values for p in CHECKLISTS if p.id == case)
    path = _write(tmp_path, "checklist.yaml", corrupt(SHIPPED))
    assert usage_error(gate(f"--checklist={path}")).startswith(f"ERROR: {path}{_line(path, line)}: {problem}")


def test_a_second_yaml_document_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "checklist.yaml", SHIPPED + b"\n---\nversion: 2\n")
    with pytest.raises(ChecklistError, match=r":\d+: expected one YAML document, found another here$"):
        load_checklist(path)


# --- option values -------------------------------------------------------------------------------

OPTIONS = [
    (
        "--logs-since=99999999999d",
        "--logs-since: at most 3650d (Cloud Logging's longest retention), got '99999999999d'",
    ),
    ("--logs-since=9999999999999d", "--logs-since: expected a duration like 30m, 24h or 7d, got '9999999999999d'"),
    ("--logs-since=3651d", "--logs-since: at most 3650d"),
    ("--logs-since=0s", "--logs-since: the window must be positive, got '0s'"),
    ("--logs-since=0d", "--logs-since: the window must be positive, got '0d'"),
    ("--logs-since=-1h", "--logs-since: expected a duration like 30m, 24h or 7d, got '-1h'"),
    ("--logs-since=", "--logs-since: expected a duration like 30m, 24h or 7d, got ''"),
    ("--collect-timeout=inf", "--collect-timeout: expected a number of seconds > 0 and at most 3600, got inf"),
    ("--collect-timeout=nan", "--collect-timeout: expected a number of seconds > 0 and at most 3600, got nan"),
    ("--collect-timeout=0", "--collect-timeout: expected a number of seconds > 0 and at most 3600, got 0.0"),
    ("--collect-timeout=-1", "--collect-timeout: expected a number of seconds > 0 and at most 3600, got -1.0"),
    ("--collect-timeout=1e9", "--collect-timeout: expected a number of seconds > 0 and at most 3600, got 1000000000.0"),
    ("--project=", "--project: empty value; name one or leave the option out"),
    ("--project= ", "--project: empty value; name one or leave the option out"),
    ("--project=a b", "--project: 'a b' contains whitespace or control characters"),
    ("--region=", "--region: empty value; name one or leave the option out"),
    ("--emulator=", "--emulator: empty value; name one or leave the option out"),
    ("--snapshot=", "--snapshot: empty path; name one or leave the option out"),
    ("--gate-inventory=", "--gate-inventory: empty path; name one or leave the option out"),
    ("--save-gate-inventory=", "--save-gate-inventory: empty path; name one or leave the option out"),
]


@pytest.mark.parametrize(("arg", "message"), OPTIONS)
def test_bad_option_value_is_a_usage_error(gate: Callable[..., pytest.RunResult], arg: str, message: str) -> None:
    assert usage_error(gate(arg)).startswith(f"ERROR: {message}")


def test_unwritable_save_inventory_is_refused_before_collecting(
    gate: Callable[..., pytest.RunResult], tmp_path: Path
) -> None:
    a_file = _write(tmp_path, "file", b"")
    cases = {
        str(tmp_path): f"--save-gate-inventory: {tmp_path} is a directory, expected a file path",
        f"{a_file}/inv.json": (
            f"--save-gate-inventory: cannot create {a_file}/inv.json: {a_file} is not a writable directory"
        ),
    }
    for target, message in cases.items():
        assert usage_error(gate(f"--snapshot={SNAPSHOT}", f"--save-gate-inventory={target}")) == f"ERROR: {message}"


def test_save_inventory_failing_at_write_time_is_one_line(gate: Callable[..., pytest.RunResult]) -> None:
    """/proc passes the access check (as root) but refuses the directory: still one line, exit 4."""
    line = usage_error(gate(f"--snapshot={SNAPSHOT}", "--save-gate-inventory=/proc/mobius-gate/inv.json"))
    assert line in (
        "ERROR: --save-gate-inventory: cannot write /proc/mobius-gate/inv.json: No such file or directory",  # root
        "ERROR: --save-gate-inventory: cannot create /proc/mobius-gate/inv.json: /proc is not a writable directory",
    )


def test_good_values_still_work(gate: Callable[..., pytest.RunResult], tmp_path: Path) -> None:
    saved = tmp_path / "new" / "dir" / "inv.json"
    result = gate(
        f"--snapshot={SNAPSHOT}", "--logs-since=1s", "--collect-timeout=0.5", f"--save-gate-inventory={saved}"
    )
    result.assert_outcomes(passed=1)
    assert json.loads(saved.read_text())["project"] == PROJECT


VALIDATORS = [
    (validate.logs_window, "30m", timedelta(minutes=30)),
    (validate.logs_window, " 24h ", timedelta(hours=24)),
    (validate.logs_window, "1s", timedelta(seconds=1)),
    (validate.logs_window, "3650d", timedelta(days=3650)),
    (validate.collect_budget, 120.0, 120.0),
    (validate.collect_budget, "0.25", 0.25),
    (validate.collect_budget, 3600, 3600.0),
]


@pytest.mark.parametrize(("fn", "value", "expected"), VALIDATORS)
def test_validators_accept_good_values(fn: Callable[[object], object], value: object, expected: object) -> None:
    assert fn(value) == expected


@pytest.mark.parametrize(
    ("fn", "value"),
    [
        (validate.logs_window, "0s"),
        (validate.logs_window, "1w"),
        (validate.logs_window, "1.5h"),
        (validate.collect_budget, float("inf")),
        (validate.collect_budget, float("-inf")),
        (validate.collect_budget, "ten"),
        (validate.collect_budget, None),
    ],
)
def test_validators_refuse_bad_values(fn: Callable[[object], object], value: object) -> None:
    with pytest.raises(pytest.UsageError):
        fn(value)


def test_an_option_left_out_keeps_its_default() -> None:
    assert validate.named(None, "--project") is None
    assert validate.given_path(None, "--snapshot") is None
    assert validate.writable_file(None, "--save-gate-inventory") is None


# --- snapshots -----------------------------------------------------------------------------------


def _nested_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _knative(spec: str) -> bytes:
    head = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: mobius-chat-api\n"
    return (head + spec).encode()


SNAPSHOTS = [
    pytest.param("deep.json", _nested_json(5000), "invalid JSON: nested more than 64 levels deep", id="json-5000"),
    pytest.param("deep.json", _nested_json(100), "nested more than 64 levels deep", id="json-100"),
    pytest.param("deep.yaml", b"a: " + b"[" * 5000 + b"]" * 5000, "invalid YAML: nested more than 64", id="yaml-5000"),
    pytest.param("junk.yaml", bytes(range(128, 256)), "not UTF-8 text (byte 0x80): binary data?", id="binary"),
    pytest.param("u16.yaml", "kind: Service\n".encode("utf-16"), "UTF-16/UTF-32 text (byte order mark)", id="utf-16"),
    pytest.param("ctl.yaml", b"kind: Service\x0c\n", "control character #x0c is not allowed in YAML", id="control"),
    pytest.param(
        "dup.json", b'{"name": "a", "name": "b"}', "invalid JSON: duplicate key 'name' in an object", id="dup"
    ),
    pytest.param(
        "nospec.yaml", _knative(""), "service 'mobius-chat-api' has no spec.template: malformed", id="no-spec"
    ),
    pytest.param("null.yaml", _knative("spec: null\n"), "service 'mobius-chat-api' has no spec.template", id="null"),
    pytest.param("notpl.yaml", _knative("spec:\n  traffic: []\n"), "has no spec.template", id="no-template"),
    pytest.param(
        "v2.json", b'{"name": "projects/p/x/s", "template": null}', "has no template: malformed", id="v2-null"
    ),
    pytest.param(
        "v2e.json", b'{"name": "projects/p/x/s", "template": {}}', "has no template: malformed", id="v2-empty"
    ),
]


@pytest.mark.parametrize(("name", "data", "problem"), SNAPSHOTS)
def test_bad_snapshot_is_one_line_naming_the_file(tmp_path: Path, name: str, data: bytes, problem: str) -> None:
    path = _write(tmp_path, name, data)
    with pytest.raises(SnapshotError) as err:
        load_snapshot(tmp_path, PROJECT, REGION)
    message = str(err.value)
    assert message.startswith(str(path)) and problem in message and "\n" not in message


@pytest.mark.parametrize("case", ["json-5000", "no-spec", "v2-null"])
def test_bad_snapshot_on_the_command_line(gate: Callable[..., pytest.RunResult], tmp_path: Path, case: str) -> None:
    name, data, problem = next(p.values for p in SNAPSHOTS if p.id == case)
    path = _write(tmp_path, name, data)
    line = usage_error(gate(f"--snapshot={tmp_path}"))
    assert line.startswith(f"ERROR: --snapshot: {path}") and problem in line


# --- a live answer without a revision template ---------------------------------------------------


def test_emulator_service_without_template_makes_services_unreadable() -> None:
    """Not conformant: the services section is unavailable, so SVC-* checks error instead of passing."""
    with Emulator("prod", project=PROJECT) as emu:
        name = f"projects/{PROJECT}/locations/{REGION}/services/mobius-rag"
        service = emu.store.get(name, "service")  # the API's JSON for the service
        del service["template"]
        emu.store.put(name, service)
        inv = collect_inventory(Target(PROJECT, REGION, emu.url), CollectOptions(timeout_s=20), {"services"})
    assert inv.services.status == "unavailable"
    assert inv.services.cause == (
        "listing Cloud Run services failed: WireError: Cloud Run returned 1 service(s) without a revision template: "
        f"{name}"
    )


@pytest.mark.parametrize(
    ("emulator", "message"),
    [
        ("http://[::1", "is not a usable URL"),
        ("http://", "names no host"),
    ],
)
def test_a_malformed_emulator_url_is_one_line(emulator: str, message: str) -> None:
    with pytest.raises(pytest.UsageError, match=message):
        validate.emulator_ref(emulator, Path("."))


def test_a_null_where_a_scenario_needs_a_mapping_names_the_file(tmp_path: Path) -> None:
    from mobius_gate.fixtures.emulator import Emulator, ScenarioError

    scenario = tmp_path / "null-template.yaml"
    scenario.write_text("extends: staging\npatches:\n  - {resource: services/mobius-chat-api, set: {template: null}}\n")
    with pytest.raises(ScenarioError, match=r"null-template\.yaml: .*must be a mapping"):
        Emulator(str(scenario), project="mobiusos-new")
