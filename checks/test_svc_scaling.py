"""Phase 3 Critical Configuration Lessons: CPU always allocated, minimum and maximum instances, timeout."""

from __future__ import annotations

from mobius_gate.requirements import check
from mobius_gate.rules.common import Findings
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.services import lessons
from mobius_gate.rules.subjects import Deployed, services
from mobius_gate.symptoms import WORKER_SHUTS_DOWN
from mobius_gate.verdict import Verdict

UNKNOWN_CPU = (
    "cannot confirm CPU allocation: the Cloud Run v2 view omits cpuIdle when it is false and the Knative "
    "view (run.googleapis.com/cpu-throttling) was not available"
)


@check("SVC-CPU-ALWAYS", services(lambda svc: svc.cpu_always_allocated is True), section=lessons)
def test_cpu_always_allocated(it: Deployed, judge: Judge) -> Verdict:
    """§3 Critical Configuration Lessons: CPU always allocated (workers, scraper API).

    > | `--no-cpu-throttling` |
    > Workers run background threads; without this, CPU is only allocated during HTTP requests
    > **Fix:** Redeploy with `--no-cpu-throttling`
    """
    allocated = it.service.cpu_always_allocated
    if allocated is None:
        inv = judge.inv
        note = (
            f"read it from the Knative view: gcloud run services describe {it.name} --region={inv.region} "
            f"--project={inv.project} --format=export (use such exports for --snapshot)"
        )
        return judge.errored(UNKNOWN_CPU, fix=judge.fix(note=note))
    if not allocated:
        return judge.failed(
            "CPU is throttled (only allocated during requests)"
            + (f": {WORKER_SHUTS_DOWN}" if it.spec.is_worker else ""),
            expected="CPU always allocated (--no-cpu-throttling)",
            actual="CPU throttled",
            fix=judge.update(it.spec, cpu_always_allocated=True),
        )
    return judge.passed("CPU always allocated")


#: ``min_instances: 0`` asks for nothing (every service has >= 0): no vacuous test for it.
@check("SVC-MIN-INSTANCES", services(lambda svc: bool(svc.min_instances)), section=lessons)
def test_min_instances(it: Deployed, judge: Judge) -> Verdict:
    """§3 Critical Configuration Lessons: at least the checklist's minimum instances.

    > | `--min-instances=1` | Workers must always be running to poll Redis | All workers |
    """
    want = it.spec.min_instances or 0
    actual = it.service.min_instances
    found = Findings()
    found.compare("min instances", f">= {want}", actual, same=actual is not None and actual >= want)
    fix = judge.update(it.spec, min_instances=want)
    return judge.findings(found, what="may scale to zero", fix=fix, ok=f"min instances {actual} >= {want}")


def _equal(it: Deployed, judge: Judge, label: str, flag: str, attr: str) -> Verdict:
    """One numeric Cloud Run setting equal to the checklist's."""
    want = getattr(it.spec, attr)
    found = Findings()
    found.compare(label, want, getattr(it.service, attr))
    fix = judge.update(it.spec, **{attr: want})
    return judge.findings(found, what=f"{label} not {want} ({flag})", fix=fix, ok=f"{label} {want}")


@check("SVC-MAX-INSTANCES", services(lambda svc: svc.max_instances is not None))
def test_max_instances(it: Deployed, judge: Judge) -> Verdict:
    """§3.2, §3.4-3.6: workers run exactly the checklist's maximum instances.

    > --max-instances=1
    """
    return _equal(it, judge, "max instances", "--max-instances", "max_instances")


@check("SVC-TIMEOUT", services(lambda svc: svc.timeout_seconds is not None))
def test_request_timeout(it: Deployed, judge: Judge) -> Verdict:
    """§3.2, §3.4-3.6: workers have the checklist's request timeout.

    > --timeout=3600
    """
    return _equal(it, judge, "timeout seconds", "--timeout", "timeout_seconds")
