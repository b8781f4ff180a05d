"""mobius-gate: a pytest release gate that verifies a Google Cloud project against the Mobius
production migration checklist (``checklist.yaml``), repairs what it can, and reports."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mobius-gate")
except PackageNotFoundError:  # a checkout that was never installed
    __version__ = "0+unknown"
