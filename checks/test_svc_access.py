"""Phase 3 access and runtime: who may invoke, the Cloud SQL attachment, the worker's command."""

from __future__ import annotations

from dataclasses import replace

from mobius_gate.fixes import RUN_INVOKER, Step, invoker_binding
from mobius_gate.requirements import check
from mobius_gate.rules.cloudsql import attached_instance_missing
from mobius_gate.rules.common import Findings, shown
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.services import is_snapshot
from mobius_gate.rules.subjects import Deployed, services
from mobius_gate.verdict import Verdict

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
#: Predefined roles holding ``run.routes.invoke`` (Cloud Run IAM roles reference: run.invoker,
#: run.servicesInvoker; run.admin has run.*, run.developer run.routes.*). roles/owner and
#: roles/editor cannot be granted to allUsers.
INVOKE_ROLES = (RUN_INVOKER, "roles/run.servicesInvoker", "roles/run.admin", "roles/run.developer")
WORKER_ENTRYPOINT = "app.worker_server:app"


@check("SVC-CLOUDSQL", services(lambda svc: svc.cloudsql))
def test_cloudsql_attached(it: Deployed, judge: Judge) -> Verdict:
    """§3.1, §3.2, §3.5, §3.6: the Cloud SQL instance is attached, and exists.

    > --add-cloudsql-instances=$CLOUDSQL_CONNECTION
    > export CLOUDSQL_CONNECTION=mobiusos-new:us-central1:mobius-platform-db
    """
    want = judge.spec.cloud_sql.connection_name
    if want in it.service.cloudsql_instances:
        try:
            missing = attached_instance_missing(judge.inv, judge.spec)
        except LookupError as exc:
            return judge.errored(f"{want} attached; cannot confirm it exists: {exc}")
        if missing is None:
            return judge.passed(f"{want} attached")
        note = f"nothing to change on {it.name}: create or restore the instance, then re-run"
        return judge.failed(
            missing, expected=f"{want} attached and existing", actual="attached, absent", fix=judge.fix(note=note)
        )
    return judge.failed(
        f"Cloud SQL instance {want} not attached",
        expected=want,
        actual=shown(it.service.cloudsql_instances),
        fix=judge.update(it.spec, add_cloudsql_instances=[want]),
    )


@check("SVC-INGRESS", services(lambda svc: svc.public is not None))
def test_ingress(it: Deployed, judge: Judge) -> Verdict:
    """§3, §4.2: public services allow unauthenticated calls at their run.app URL; mobius-dbt-ui must not.

    With Cloud Run's invoker IAM check off (``invokerIamDisabled``) anyone may invoke,
    whatever the policy says: public for a public service, a failure for a private one.
    Any role granting ``run.routes.invoke`` (roles/run.admin, ...) to allUsers makes it public.
    The default run.app URL must stay on for public and probed services (§4.2 curls it).

    > --allow-unauthenticated
    > --allow-unauthenticated=false
    > curl https://mobius-chat-api-xxx.run.app/health
    """
    found = Findings()
    steps: list[Step] = []
    note = _default_url(it, judge, found)
    members = it.service.invoker_members
    if members is None and not found.wrong and not (it.service.invoker_iam_disabled and not it.spec.public):
        if is_snapshot(judge.inv):
            return judge.na("a snapshot carries no IAM policy (judged on live only)")
        return judge.errored("cannot confirm access: IAM policy not read")
    ok = _public(it, judge, found, steps) if it.spec.public else _private(it, judge, found, steps)
    what = "not publicly invocable" if it.spec.public else "publicly invocable, must require authentication"
    if note and len(found.wrong) == 1:
        what = "its default run.app URL is disabled"
    return judge.findings(found, what=what, fix=judge.fix(steps, note), ok=ok)


def _default_url(it: Deployed, judge: Judge, found: Findings) -> str | None:
    """The run.app URL is disabled on a public or probed service: a deviation, and the command to restore it."""
    if it.service.default_uri_disabled is not True or not (it.spec.public or it.spec.health_path):
        return None
    found.deviate("default run.app URL", "enabled", "disabled (defaultUriDisabled)")
    inv = judge.inv
    return f"gcloud run services update {it.name} --default-url --region={inv.region} --project={inv.project}"


def _public(it: Deployed, judge: Judge, found: Findings, steps: list[Step]) -> str:
    members, check_off = it.service.invoker_members, it.service.invoker_iam_disabled
    if members is not None and "allUsers" not in members and check_off is not True:
        found.deviate("allUsers roles/run.invoker", "granted", "not granted")
        steps.append(invoker_binding(it.spec, judge.where, "allUsers", add=True))
    found.compare("ingress", "all", it.service.ingress)
    if it.service.ingress not in (None, "all"):
        steps += judge.update(it.spec, ingress="all").steps
    who = "anyone (invoker IAM check off)" if check_off and "allUsers" not in (members or []) else "allUsers"
    return f"public: {who} may invoke, ingress all"


def _private(it: Deployed, judge: Judge, found: Findings, steps: list[Step]) -> str:
    members, check_off = it.service.invoker_members, it.service.invoker_iam_disabled
    grants = {RUN_INVOKER: list(members or []), **it.service.public_grants}
    for role, holders in grants.items():
        for member in (m for m in PUBLIC_MEMBERS if m in holders):
            if role in INVOKE_ROLES:
                found.deviate(f"{member} {role}", "not granted", "granted")
                steps.append(_remove(it, judge, member, role))
            elif role.startswith(("projects/", "organizations/")):
                found.cannot_confirm(f"whether custom role {role} granted to {member} includes run.routes.invoke")
    if check_off is None:
        found.cannot_confirm("that the invoker IAM check is on (field absent)")
    elif check_off:
        found.deviate("invoker IAM check", "on", "off (invokerIamDisabled: anyone may invoke)")
        steps += judge.update(it.spec, invoker_iam_check=True).steps
    return "private: invoker IAM check on; neither allUsers nor allAuthenticatedUsers may invoke"


def _remove(it: Deployed, judge: Judge, member: str, role: str) -> Step:
    step = invoker_binding(it.spec, judge.where, member, add=False)
    return step if role == RUN_INVOKER else replace(step, params={**step.params, "role": role})


@check("SVC-COMMAND", services(lambda svc: svc.command is not None or svc.args is not None))
def test_worker_command(it: Deployed, judge: Judge) -> Verdict:
    """§3.2, §3.4: the worker runs the worker server (HTTP health + worker thread).

    > --command="python"
    > --args="-m,uvicorn,app.worker_server:app,--host,0.0.0.0,--port,8080"
    > --command="uvicorn"
    > --args="app.worker_server:app,--host,0.0.0.0,--port,8080"
    > we created `worker_server.py` that runs Uvicorn + spawns worker thread
    """
    want, service = it.spec, it.service
    found = Findings()
    if want.command is not None:
        found.compare("command", want.command, service.command)
    if want.args is not None:
        found.compare("args", want.args, service.args)
    wanted = [*(want.command or []), *(want.args or [])]
    if WORKER_ENTRYPOINT in wanted and WORKER_ENTRYPOINT not in [*service.command, *service.args] and not found.wrong:
        found.deviate("entrypoint", WORKER_ENTRYPOINT, "absent from command and args")
    fix = judge.update(want, command=want.command, args=want.args)
    return judge.findings(found, what="does not run the worker server", fix=fix, ok=f"runs {' '.join(wanted)}")
