"""The run history: each run appended to a SQLite file in the report directory.

Two tables: ``runs`` (one row a run: time, project, source, verdict, conformance, counts) and
``checks`` (one row per check of a run: key, outcome, open). From them: the previous run's
outcomes, how long each open finding has been open (the unbroken streak of runs it was open in),
and the trend of conformance over the last runs.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from mobius_gate.reports.model import Report

FILENAME = "history.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, project TEXT NOT NULL, source TEXT NOT NULL, verdict TEXT,
    conformance REAL NOT NULL, fail INTEGER NOT NULL, total INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checks (
    run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL, requirement TEXT NOT NULL,
    resource TEXT NOT NULL, outcome TEXT NOT NULL, open INTEGER NOT NULL,
    PRIMARY KEY (run_id, key)
);
"""

#: key → (outcome, open)
Outcomes = dict[str, tuple[str, bool]]


class History:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path)
        conn.executescript(_SCHEMA)
        return conn

    def record(self, report: Report) -> int:
        """Append ``report`` as a run; its id."""
        run, counts = report.run, report.counts()
        with closing(self._connect()) as conn, conn:
            cur = conn.execute(
                "INSERT INTO runs (at, project, source, verdict, conformance, fail, total) VALUES (?,?,?,?,?,?,?)",
                (
                    run.finished_at,
                    run.project,
                    run.source.label(),
                    run.verdict,
                    report.conformance(),
                    counts["fail"],
                    counts["total"],
                ),
            )
            run_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT OR REPLACE INTO checks VALUES (?,?,?,?,?,?)",
                [(run_id, c.key, c.requirement, c.resource, c.outcome, int(c.open)) for c in report.checks],
            )
        return run_id

    def runs(self, project: str, before: int | None = None) -> list[tuple[int, str, str | None]]:
        """(id, at, verdict) of the project's runs, newest first (those before run ``before`` if given)."""
        query = "SELECT id, at, verdict FROM runs WHERE project = ?"
        params: list[Any] = [project]
        if before is not None:
            query += " AND id < ?"
            params.append(before)
        with closing(self._connect()) as conn:
            return list(conn.execute(query + " ORDER BY id DESC", params))

    def outcomes(self, run_id: int) -> Outcomes:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT key, outcome, open FROM checks WHERE run_id = ?", (run_id,))
            return {key: (outcome, bool(is_open)) for key, outcome, is_open in rows}

    def open_streaks(self, project: str, keys: set[str], upto: int) -> dict[str, tuple[str, int]]:
        """For each key open in run ``upto``: (time of the first run of its unbroken open streak, runs)."""
        streak: dict[str, tuple[str, int]] = {}
        alive = set(keys)
        for run_id, at, _ in self.runs(project, before=upto + 1):
            if not alive:
                break
            outcomes = self.outcomes(run_id)
            still = {k for k in alive if outcomes.get(k, ("", False))[1]}
            for key in still:
                streak[key] = (at, streak.get(key, ("", 0))[1] + 1)
            alive = still
        return streak

    def trend(self, project: str, limit: int = 30) -> list[dict[str, Any]]:
        """The project's last ``limit`` runs, oldest first: time, verdict, conformance, failures, checks."""
        with closing(self._connect()) as conn:
            rows = list(
                conn.execute(
                    "SELECT at, verdict, conformance, fail, total FROM runs WHERE project = ? ORDER BY id DESC LIMIT ?",
                    (project, limit),
                )
            )
        return [
            {"at": at, "verdict": verdict, "conformance": round(rate, 4), "fail": fail, "total": total}
            for at, verdict, rate, fail, total in reversed(rows)
        ]
