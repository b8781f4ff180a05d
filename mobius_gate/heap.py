"""Keep Python's cyclic garbage collector off what lives for the whole run.

A gate process imports pytest, the google-cloud clients and (for ``--emulator``) the
emulator: a few hundred thousand long-lived objects that every full collection would
walk again, and pytest runs one more full collection as it unconfigures. Moving them
to the permanent generation (:func:`gc.freeze`) once start-up is over, and once more
after the inventory is collected, saves about a fifth of a gate run's CPU.

Each stage freezes at most once per process, so a process that runs the gate many
times (``pytest.main`` in a test suite) freezes only what its first run loaded;
reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc

_settled: set[str] = set()


def settle(stage: str) -> None:
    """Freeze everything alive now, unless this process already did for ``stage``."""
    if stage not in _settled:
        _settled.add(stage)
        gc.freeze()
