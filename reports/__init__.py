"""Conformance reports: one :class:`~mobius_gate.reports.model.Report` of a run, many small writers.

``pytest checks ... --conformance-report=DIR`` writes ``conformance.json`` (validated by
``conformance.schema.json``), ``junit.xml``, ``report.html`` (pytest-html, through its hooks),
``summary.md``, ``conformance.csv``, ``conformance.html`` (matrix, diagnoses, trend) and appends the
run to ``history.sqlite``; ``--compare=TARGET`` writes the staging-vs-production gap table
(``compare.md``/``compare.json``). See ``reports/README.md``.
"""
