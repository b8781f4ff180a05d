"""Phase 3 Deploy Services: each service is deployed, ready and serving, from the right image and account.

One test per (service, requirement). A service that is not deployed fails
the deploy check once; every other check of it is not applicable.
"""

from __future__ import annotations

from mobius_gate.fixes import deploy_service, enable_api, investigate_revision, traffic_to_latest
from mobius_gate.requirements import check
from mobius_gate.revisions import PREVIOUS_REVISION, previous_ready
from mobius_gate.rules.common import Findings, section_cause
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.services import instance_address, is_snapshot
from mobius_gate.rules.subjects import Deployed, declared_services, services
from mobius_gate.spec import Checklist, ServiceSpec
from mobius_gate.verdict import Verdict

RUN_API = "run.googleapis.com"


@check("SVC-DEPLOYED", declared_services())
def test_service_deployed(svc: ServiceSpec, judge: Judge) -> Verdict:
    """§3 Deploy Services: every service of the checklist is deployed.

    > gcloud run deploy mobius-chat-api
    > | **Services** | 10 services | 2 services | Deploy 8 new services |
    > # Check all services running
    """
    inv = judge.inv
    service = inv.service(svc.name)
    if service is not None:
        return judge.passed(f"deployed ({service.uri or 'no URL reported'})")
    fix = deploy_service(judge.spec, svc, judge.where, instance_address(judge.spec, inv))
    reason = "not deployed"
    if inv.services.status == "disabled":
        reason += f" ({section_cause(inv.services, f'{RUN_API} is disabled in project {inv.project}')})"
        fix = judge.then(enable_api(RUN_API, judge.where), fix)
    return judge.failed(reason, expected="deployed", actual="absent", fix=fix)


def _ready_section(svc: ServiceSpec, spec: Checklist) -> str:
    return f"4.2; {svc.section}"


@check("SVC-READY", services(), section=_ready_section)
def test_service_ready(it: Deployed, judge: Judge) -> Verdict:
    """§4.2: the latest revision is ready and serves all traffic.

    > # Check all services running
    > --to-revisions=<previous-revision>=100

    The previous revision is the newest older ready one of the service's revisions list.
    """
    service = it.service
    created, ready = service.latest_created_revision, service.latest_ready_revision
    if is_snapshot(judge.inv) and created is None and ready is None and service.ready is None:
        return judge.na("a snapshot carries no revision status (judged on live only)")
    if service.reconciling:
        return _rolling_out(it, judge)
    found = Findings()
    if created is None:
        found.cannot_confirm("the latest created revision (field absent)")
    if ready is None:
        found.cannot_confirm("the latest ready revision (field absent)")
    if created is not None and ready is not None and created != ready:
        found.deviate("latest revision", f"{created} ready", f"latest ready is {ready}")
    if service.ready is None:
        found.cannot_confirm("the Ready condition (field absent)")
    elif not service.ready:
        found.deviate("Ready condition", "True", f"False: {service.ready_message or 'no message'}")
    if not service.traffic:
        found.cannot_confirm("traffic (field absent)")
    else:
        serving = sum(t.percent for t in service.traffic if t.latest or (ready and t.revision == ready))
        if serving != 100:
            split = ", ".join(f"{'LATEST' if t.latest else t.revision}={t.percent}%" for t in service.traffic)
            found.deviate("traffic to the latest ready revision", "100%", f"{serving}% ({split})")
    if "latest revision" in found.labels or "Ready condition" in found.labels:
        known = service.revisions is not None  # unknown (not listed): the placeholder stays
        previous = previous_ready(service.revisions, created) if known else PREVIOUS_REVISION
        fix = investigate_revision(it.spec, judge.where, created or ready or "<revision>", previous)
    else:
        fix = traffic_to_latest(it.spec, judge.where)
    return judge.findings(found, what="not ready and serving", fix=fix, ok=f"revision {ready} ready and serving 100%")


def _rolling_out(it: Deployed, judge: Judge) -> Verdict:
    """A rollout in progress (reconciling, condition PENDING/RECONCILING): not judged yet, never "not ready"."""
    service, where = it.service, judge.where
    rolling = service.latest_created_revision or "a new revision"
    serving = (
        f"{service.latest_ready_revision} serves meanwhile" if service.latest_ready_revision else "nothing serves yet"
    )
    note = f" ({service.ready_message})" if service.ready_message else ""
    describe = f"gcloud run services describe {it.name} --region={where.region} --project={where.project}"
    return judge.errored(
        f"rollout in progress: Cloud Run is still rolling out {rolling} ({serving}){note}; "
        "readiness is not settled yet",
        fix=f"no change: wait until the rollout settles ({describe} shows Ready True or False), then re-run",
    )


def _same_image(expected: str, actual: str | None) -> bool:
    """Equal, or the same ``repo:tag`` pinned to a digest (``...:latest@sha256:...``)."""
    return actual is not None and (actual == expected or actual.split("@", 1)[0] == expected)


@check("SVC-IMAGE", services())
def test_service_image(it: Deployed, judge: Judge) -> Verdict:
    """§3: the image is the checklist's (per service).

    > --image=gcr.io/$PROD_PROJECT/mobius-chat-api:latest
    """
    want = it.spec.image
    found = Findings()
    found.compare("image", want, it.service.image, same=_same_image(want, it.service.image))
    return judge.findings(found, what="wrong image", fix=judge.update(it.spec, image=want), ok=want)


@check("SVC-ACCOUNT", services())
def test_service_account(it: Deployed, judge: Judge) -> Verdict:
    """§3: the service runs as the platform service account.

    > --service-account=$PLATFORM_SA
    > export PLATFORM_SA=<service-account>@mobiusos-new.iam.gserviceaccount.com
    """
    want = it.spec.service_account
    found = Findings()
    found.compare("service account", want, it.service.service_account)
    fix = judge.update(it.spec, service_account=want)
    return judge.findings(found, what="wrong service account", fix=fix, ok=str(want))
