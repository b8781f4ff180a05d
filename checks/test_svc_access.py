"""Phase 3 access and runtime: who may invoke, the Cloud SQL attachment, the worker's command."""

from __future__ import annotations

from mobius_gate.fixes import Step, invoker_binding
from mobius_gate.requirements import check
from mobius_gate.rules.cloudsql import attached_instance_missing
from mobius_gate.rules.common import Findings, shown
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.services import is_snapshot
from mobius_gate.rules.subjects import Deployed, services
from mobius_gate.verdict import Verdict

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
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
    """§3: public services allow unauthenticated calls; mobius-dbt-ui must not.

    With Cloud Run's invoker IAM check off (``invokerIamDisabled``) anyone may invoke,
    whatever the policy says: public for a public service, a failure for a private one.

    > --allow-unauthenticated
    > --allow-unauthenticated=false
    """
    members = it.service.invoker_members
    if members is None and is_snapshot(judge.inv):
        return judge.na("a snapshot carries no IAM policy (judged on live only)")
    if members is None:
        return judge.errored("cannot confirm access: IAM policy not read")
    found = Findings()
    steps: list[Step] = []
    check_off = it.service.invoker_iam_disabled
    if it.spec.public:
        if "allUsers" not in members and check_off is not True:
            found.deviate("allUsers roles/run.invoker", "granted", "not granted")
            steps.append(invoker_binding(it.spec, judge.where, "allUsers", add=True))
        found.compare("ingress", "all", it.service.ingress)
        if it.service.ingress not in (None, "all"):
            steps += judge.update(it.spec, ingress="all").steps
        who = "anyone (invoker IAM check off)" if check_off and "allUsers" not in members else "allUsers"
        ok = f"public: {who} may invoke, ingress all"
    else:
        for member in PUBLIC_MEMBERS:
            if member in members:
                found.deviate(f"{member} roles/run.invoker", "not granted", "granted")
                steps.append(invoker_binding(it.spec, judge.where, member, add=False))
        if check_off is None:
            found.cannot_confirm("that the invoker IAM check is on (field absent)")
        elif check_off:
            found.deviate("invoker IAM check", "on", "off (invokerIamDisabled: anyone may invoke)")
            steps += judge.update(it.spec, invoker_iam_check=True).steps
        ok = "private: invoker IAM check on; neither allUsers nor allAuthenticatedUsers may invoke"
    what = "not publicly invocable" if it.spec.public else "publicly invocable, must require authentication"
    return judge.findings(found, what=what, fix=judge.fix(steps), ok=ok)


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
