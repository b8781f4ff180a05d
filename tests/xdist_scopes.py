"""pytest-xdist work units for ``make test`` (``-n 3 --dist loadfile``): one per test module, and
one for all of ``e2e/`` so the local reference stack starts on one worker only.

Units are handed out longest first: the few modules that mostly wait on other processes
(the reference stack, a wheel install, remediation runs, gate subprocesses) start at once,
so neither worker is left running one of them alone at the end; the rest follow by size,
and the one-test golden runs fill the gaps last. (xdist's own order, by number of tests,
would leave those slow few-test modules for the end.)

(``--dist loadgroup`` with ``xdist_group`` marks would say this declaratively, but with
pytest 9.2 it silently stops grouping: pytest-xdist issue #1386.)
"""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

E2E_SCOPE = "e2e/"
#: The golden-verdict runs (one gate run per bundled scenario) are spread over the workers one by one.
SPREAD = ("::test_verdicts_equal_the_golden_file[",)
#: Units that take long for their number of tests (seconds of waiting on processes), started first.
LONG_FIRST = (
    E2E_SCOPE,
    "tests/packaging/",
    "tests/remediate/",
    "tests/trust/test_no_secret_leaks.py",
    "tests/acceptance/test_gate_command.py",
    "tests/trust/test_budget.py",
    "tests/verification/test_health_incomplete.py",
    "tests/servers/",
)


class ModulesAndE2E(LoadFileScheduling):
    """``--dist loadfile``, except that every ``e2e/`` test is in one work unit, each golden run is its own,
    and units are handed out longest first."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(E2E_SCOPE):
            return E2E_SCOPE
        if any(marker in nodeid for marker in SPREAD):
            return nodeid
        return super()._split_scope(nodeid)

    def schedule(self) -> None:
        if self.collection is None and self.registered_collections:
            self._longest_first()
        super().schedule()

    def _longest_first(self) -> None:
        """Reorder every worker's collection the same way; xdist then keeps that order."""
        first = next(iter(self.registered_collections.values()))
        sizes: dict[str, int] = {}
        for nodeid in first:
            scope = self._split_scope(nodeid)
            sizes[scope] = sizes.get(scope, 0) + 1

        def rank(nodeid: str) -> tuple[int, int]:
            scope = self._split_scope(nodeid)
            listed = next((i for i, prefix in enumerate(LONG_FIRST) if scope.startswith(prefix)), len(LONG_FIRST))
            return listed, -sizes[scope]

        for node, collection in self.registered_collections.items():
            self.registered_collections[node] = sorted(collection, key=rank)
        self.config.option.loadscopereorder = False
