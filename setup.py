"""Package layout (the rest of the metadata is in pyproject.toml).

Only ``mobius_gate`` is installed as a top-level name. The card's folders keep their
place in the checkout and are mapped under it, so nothing generic (``fixtures``,
``checks``) lands in site-packages: ``checks/`` → ``mobius_gate.checks``,
``fixtures/`` → ``mobius_gate.fixtures``. Data folders (the emulator's ``scenarios/``, the
stack's ``migrations/``) are found as namespace packages, so their files ship as package data.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

MAPPED = {"mobius_gate": "mobius_gate", "mobius_gate.checks": "checks", "mobius_gate.fixtures": "fixtures"}
MAPPED |= {f"mobius_gate.{name}": name for name in ("remediate", "reports") if Path(name, "__init__.py").is_file()}

packages = []
for package, folder in MAPPED.items():
    found = find_namespace_packages(folder, exclude=["__pycache__", "*.__pycache__"])
    packages += [package, *(f"{package}.{sub}" for sub in found)]

setup(packages=packages, package_dir=MAPPED)
