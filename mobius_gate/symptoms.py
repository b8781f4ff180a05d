"""The symptoms of the checklist's "Common Issues & Fixes", named once.

Diagnoses (:mod:`mobius_gate.diagnose`), the Phase 3 rules that say what a
deviation leads to, and the local end-to-end flows (``e2e/flows.py``) all use
these names, so one issue reads the same wherever it is reported.
"""

from __future__ import annotations

#: Issue names, as the checklist's headings say them.
WAITING_FOR_WORKER = "Waiting for worker"
STARTS_THEN_SHUTS_DOWN = "Worker starts then shuts down"
RAG_ZERO_RESULTS = "RAG returns 0 results"
CANT_REACH_REDIS = "Service can't reach Redis"
NOT_READY = "Service not ready"
SCALED_TO_ZERO = "Worker not running"
MIGRATIONS_NOT_RUN = "Phase 2 migrations not run"
NO_WORKER_SERVER = "Worker has no HTTP server"

#: What a deviation leads to, as a Phase 3 reason says it (the consequence, not a diagnosis).
JOBS_WAIT = 'jobs wait for a worker that never sees them ("Waiting for worker...")'
SERVICE_CANT_REACH_REDIS = "the service can't reach Redis"
WORKER_SHUTS_DOWN = "the worker starts then shuts down"
