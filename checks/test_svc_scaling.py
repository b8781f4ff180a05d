"""Phase 3 Critical Configuration Lessons: CPU always allocated, minimum and maximum instances, timeout."""

from __future__ import annotations

from mobius_gate.fixes import Fix
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
    found.compare(_label(it, "min instances"), f">= {want}", actual, same=actual is not None and actual >= want)
    fix = _manual_fix(it, judge) or judge.update(it.spec, min_instances=want)
    manual = it.service.manual_instances
    what = "may scale to zero" if manual is None else f"manual instances {manual}: fewer than min {want}"
    return judge.findings(found, what=what, fix=fix, ok=f"{_label(it, 'min instances')} {actual} >= {want}")


def _label(it: Deployed, label: str) -> str:
    """``label``, or what stands in for it under service-level manual scaling."""
    return label if it.service.manual_instances is None else "manual instances"


def _manual_fix(it: Deployed, judge: Judge) -> Fix | None:
    """Under manual scaling the template's min/max are ignored: back to automatic scaling (one command)."""
    if it.service.manual_instances is None:
        return None
    bounds = " ".join(
        f"--{flag}={value}"
        for flag, value in (("min-instances", it.spec.min_instances), ("max-instances", it.spec.max_instances))
        if value is not None
    )
    inv = judge.inv
    command = (
        f"gcloud run services update {it.name} --scaling=auto {bounds} --region={inv.region} --project={inv.project}"
    )
    note = f"service-level manual scaling pins {it.service.manual_instances} instance(s): {command}"
    return judge.fix(note=note)


def _equal(it: Deployed, judge: Judge, label: str, flag: str, attr: str) -> Verdict:
    """One numeric Cloud Run setting equal to the checklist's."""
    want = getattr(it.spec, attr)
    found = Findings()
    manual = attr == "max_instances" and it.service.manual_instances is not None
    found.compare(_label(it, label) if manual else label, want, getattr(it.service, attr))
    fix = (_manual_fix(it, judge) if manual else None) or judge.update(it.spec, **{attr: want})
    what = f"{label} not {want} ({flag})"
    if manual:
        what = f"manual instances {it.service.manual_instances} (service-level manual scaling), not {label} {want}"
    return judge.findings(found, what=what, fix=fix, ok=f"{_label(it, label) if manual else label} {want}")


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
