"""``mobius-gate``: run the gate's checks from an installed package (``pytest <checks> ARGS``)."""

from __future__ import annotations

import sys

import pytest


def main(argv: list[str] | None = None) -> int:
    """Same options as ``pytest checks …`` in a checkout; the checks folder is the installed one."""
    from mobius_gate.plugin import CHECKS_DIR

    args = list(sys.argv[1:] if argv is None else argv)
    return int(pytest.main([str(CHECKS_DIR), "-p", "no:cacheprovider", *args]))


if __name__ == "__main__":
    sys.exit(main())
