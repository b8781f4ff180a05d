"""``mobius-gate``: run the gate's checks from an installed package (``pytest <checks> ARGS``).

What makes it a command of its own rather than ``pytest.main()`` in disguise:

* ``--help`` says ``usage: mobius-gate``; ``--version`` names mobius-gate's version before pytest's;
* node ids are short (``test_svc_deploy.py::…``): the rootdir is the checks folder and ids are
  shown relative to it, not to the current directory (which gave ``../v/lib/python3.11/site-packages/…``);
  paths in options (``--snapshot``, ``--waivers``, ``--conformance-report``) stay relative to the cwd;
* no ``PytestAssertRewriteWarning`` about ``mobius_gate``: this module imports the package before
  pytest starts, so pytest cannot rewrite the plugin's asserts — harmless (the checks judge
  through verdicts, not asserts), so that one warning is filtered, and only for ``mobius_gate``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest

PROG = "mobius-gate"
#: ``-W`` filter (a literal prefix) for pytest 9's "Module already imported so cannot be rewritten; mobius_gate".
REWRITE_WARNING = "ignore:Module already imported so cannot be rewritten; mobius_gate:pytest.PytestAssertRewriteWarning"


class _Program:
    """The command's own face on pytest: its name in ``usage:``, paths relative to the checks folder."""

    @staticmethod
    def pytest_addoption(parser: pytest.Parser) -> None:
        parser.prog = PROG

    @staticmethod
    @pytest.hookimpl(trylast=True)
    def pytest_configure(config: pytest.Config) -> None:
        """Node ids and skip locations as seen from the rootdir (the checks folder), not from the cwd."""
        config.cwd_relative_nodeid = lambda nodeid: nodeid  # type: ignore[method-assign]
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.startpath = config.rootpath


def pytest_args(argv: Sequence[str]) -> list[str]:
    """The ``pytest.main`` arguments for ``mobius-gate ARGV``: the installed checks, short node ids, no cache."""
    from mobius_gate.plugin import CHECKS_DIR

    args = [str(CHECKS_DIR), "-p", "no:cacheprovider", "-W", REWRITE_WARNING]
    if not any(a == "--rootdir" or a.startswith("--rootdir=") for a in argv):
        args.append(f"--rootdir={CHECKS_DIR}")
    return [*args, *argv]


def main(argv: list[str] | None = None) -> int:
    """Same options as ``pytest checks …`` in a checkout; the checks folder is the installed one."""
    import mobius_gate

    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args or "-V" in args:
        print(f"{PROG} {mobius_gate.__version__}")
    return int(pytest.main(pytest_args(args), plugins=[_Program()]))


if __name__ == "__main__":
    sys.exit(main())
