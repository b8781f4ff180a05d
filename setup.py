"""Package layout (the rest of the metadata is in pyproject.toml).

Only ``mobius_gate`` is installed as a top-level name. The card's folders keep their
place in the checkout and are mapped under it, so nothing generic (``fixtures``,
``checks``) lands in site-packages: ``checks/`` → ``mobius_gate.checks``,
``fixtures/`` → ``mobius_gate.fixtures``.
"""

from pathlib import Path

from setuptools import find_packages, setup

MAPPED = {"mobius_gate": "mobius_gate", "mobius_gate.checks": "checks", "mobius_gate.fixtures": "fixtures"}
MAPPED |= {f"mobius_gate.{name}": name for name in ("remediate", "reports") if Path(name, "__init__.py").is_file()}

packages = []
for package, folder in MAPPED.items():
    packages += [package, *(f"{package}.{sub}" for sub in find_packages(folder))]

setup(packages=packages, package_dir=MAPPED)
