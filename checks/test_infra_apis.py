"""Phase 1 §1.1 Enable Required APIs."""

from __future__ import annotations

from mobius_gate.fixes import enable_api
from mobius_gate.requirements import check
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import each
from mobius_gate.verdict import Verdict


@check("INF-API", each(lambda spec: spec.apis.required), section=lambda api, spec: spec.apis.section)
def test_api_enabled(api: str, judge: Judge) -> Verdict:
    """§1.1 Enable Required APIs: each required API is enabled (checklist.yaml adds run, sqladmin and
    logging, which §2-§4 use).

    > gcloud services enable redis.googleapis.com --project=$PROD_PROJECT
    > gcloud services enable vpcaccess.googleapis.com --project=$PROD_PROJECT
    > gcloud services enable aiplatform.googleapis.com --project=$PROD_PROJECT
    > gcloud services enable secretmanager.googleapis.com --project=$PROD_PROJECT
    """
    if api in judge.inv.apis.items:
        return judge.passed("enabled")
    fix = enable_api(api, judge.where)
    return judge.failed(f"not enabled in project {judge.inv.project}", expected="enabled", actual="disabled", fix=fix)
