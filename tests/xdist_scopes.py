"""pytest-xdist work units for ``make test`` (``-n 2 --dist loadfile``): one per test module, and
one for all of ``e2e/`` so the local reference stack starts on one worker only.

(``--dist loadgroup`` with ``xdist_group`` marks would say this declaratively, but with
pytest 9.2 it silently stops grouping: pytest-xdist issue #1386.)
"""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

E2E_SCOPE = "e2e/"
#: The golden-verdict runs (one gate run per bundled scenario) are spread over the workers one by one.
SPREAD = ("::test_verdicts_equal_the_golden_file[",)


class ModulesAndE2E(LoadFileScheduling):
    """``--dist loadfile``, except that every ``e2e/`` test is in one work unit and each golden run is its own."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(E2E_SCOPE):
            return E2E_SCOPE
        if any(marker in nodeid for marker in SPREAD):
            return nodeid
        return super()._split_scope(nodeid)
