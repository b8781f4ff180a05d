"""Phase 1 §1.3 Create VPC Connector: the checklist's connector, and every connector a service names."""

from __future__ import annotations

from mobius_gate.fixes import Fix, Step, create_connector, repair_connector
from mobius_gate.inventory import Inventory, VpcConnector
from mobius_gate.requirements import check
from mobius_gate.rules.common import Findings, section_cause
from mobius_gate.rules.infra import (
    VPCACCESS_API,
    absent_reason,
    judge_network_project,
    network_path,
    upper,
    with_enable,
)
from mobius_gate.rules.judge import Judge
from mobius_gate.rules.subjects import each
from mobius_gate.spec import Checklist, ConnectorSpec
from mobius_gate.verdict import Verdict

REPOINT = "connector of "


def _connectors(spec: Checklist) -> list[str]:
    names = [spec.vpc_connector.name]
    return names + sorted({s.vpc_connector for s in spec.services if s.vpc_connector} - set(names))


@check("INF-VPC", each(_connectors), section=lambda _, spec: spec.vpc_connector.section)
def test_vpc_connector(name: str, judge: Judge) -> Verdict:
    """§1.3 Create VPC Connector: the connector is READY, as created, on the Redis network.

    > gcloud compute networks vpc-access connectors create mobius-redis-connector
    > --network=default
    > --range=10.8.0.0/28
    > --min-instances=2
    > --max-instances=10
    > VPC connector is READY
    """
    spec, inv, want = judge.spec, judge.inv, judge.spec.vpc_connector
    primary = name == want.name
    connector = inv.connector(name)
    if connector is None:
        return _absent(name, primary, judge)
    found = Findings()
    found.compare("state", "READY", upper(connector.state))
    what = "connector not as specified"
    if primary:
        if connector.subnet and connector.network is None:
            what = _subnet_shape(found, connector, want)
        else:
            found.compare("network", want.network, connector.network)
            judge_network_project(found, "network_project", connector.network_project, connector.network, inv.project)
            found.compare("ip_cidr_range", want.ip_cidr_range, connector.ip_cidr_range)
            _same_network_as_redis(found, spec, inv, connector)
        found.compare("min_instances", want.min_instances, connector.min_instances)
        found.compare("max_instances", want.max_instances, connector.max_instances)
        _named_connectors_exist(found, spec, inv)
    own = [label for label in found.labels if not label.startswith(REPOINT)]
    if own and not primary:  # only its state is judged; repair_connector knows the checklist's connector only
        describe = Step("vpcaccess.describe", name, inv.project, inv.region)
        fix = judge.fix((describe,), "wait for READY; recreate if it stays in another state")
    elif "network_project" in own:
        fix = _recreate_by_hand(name, judge)
    else:
        fix = repair_connector(spec, judge.where, own) if own else judge.fix()
    repoint = [
        Step("run.update", label.removeprefix(REPOINT), inv.project, inv.region, {"vpc_connector": name})
        for label in found.labels
        if label.startswith(REPOINT)
    ]
    place = (
        f"subnet {_subnet(connector)}" if connector.subnet and not connector.network else f"network {connector.network}"
    )
    ok = f"READY on {place}" + (f", {want.ip_cidr_range}" if primary else "")
    return judge.findings(found, what=what, fix=judge.then(fix, tuple(repoint)), ok=ok)


def _recreate_by_hand(name: str, judge: Judge) -> Fix:
    """A connector on another project's network: recreated by hand, never deleted automatically."""
    want, inv = judge.spec.vpc_connector, judge.inv
    note = (
        f"{name} is on another project's network: recreate it by hand on "
        f"{network_path(inv.project, want.network)} (gcloud compute networks vpc-access connectors delete, "
        f"then create --network={want.network} --range={want.ip_cidr_range}); the gate never deletes it"
    )
    return judge.fix((Step("vpcaccess.describe", name, inv.project, inv.region),), note)


def _subnet(connector: VpcConnector) -> str:
    return str(connector.subnet) + (f" (project {connector.subnet_project})" if connector.subnet_project else "")


def _subnet_shape(found: Findings, connector: VpcConnector, want: ConnectorSpec) -> str:
    """A connector created with ``--subnet``: it has no network or range of its own to compare.

    Its network is the subnet's, which only the Compute API tells (not read by the gate):
    the subnet's name is never taken for a network name. The checklist's shape
    (``--network --range``) differs, and neither changes in place: the fix is a recreate.
    """
    subnet = _subnet(connector)
    found.deviate("network", want.network, f"none of its own (created with --subnet={subnet})")
    found.deviate("ip_cidr_range", want.ip_cidr_range, f"none of its own (the range of subnet {connector.subnet})")
    found.cannot_confirm(f"the Redis network (the network of subnet {connector.subnet} is not read)")
    return (
        f"connector created with --subnet={connector.subnet}, not the checklist's "
        f"--network={want.network} --range={want.ip_cidr_range}"
    )


def _absent(name: str, primary: bool, judge: Judge) -> Verdict:
    inv, want = judge.inv, judge.spec.vpc_connector
    users = [s.name for s in judge.spec.services if s.vpc_connector == name]
    if primary:
        fix = with_enable(create_connector(judge.spec, judge.where), inv, VPCACCESS_API, inv.connectors)
    else:
        fix = judge.fix(note=f"create connector {name} or point {', '.join(users)} at {want.name}")
    reason = absent_reason("connector", inv.connectors, VPCACCESS_API, inv.project)
    details = {"used_by": ", ".join(users)}
    return judge.failed(reason, expected="READY", actual="absent", fix=fix, details=details)


def _same_network_as_redis(found: Findings, spec: Checklist, inv: Inventory, connector: VpcConnector) -> None:
    """The connector must reach Redis: same network (project and name) as the instance's authorized network."""
    if not inv.redis_instances.judgeable:
        cause = section_cause(inv.redis_instances, inv.redis_instances.status)
        found.cannot_confirm(f"the Redis network (redis_instances {inv.redis_instances.status}: {cause})")
        return
    instance = inv.redis_instance(spec.redis.name)
    if instance is None or connector.network is None:
        return  # §1.2 fails the missing instance; the connector is judged against the checklist
    if instance.authorized_network is None:
        found.cannot_confirm(f"the authorized network of {spec.redis.name} (field absent)")
        return
    # A short name on the wire is the resource's own project's network.
    theirs = network_path(instance.authorized_network_project or inv.project, instance.authorized_network)
    ours = network_path(connector.network_project or inv.project, connector.network)
    if theirs != ours:
        here = network_path(inv.project, "")
        if theirs.startswith(here) and ours.startswith(here):  # both this project's: the short names say it
            theirs, ours = theirs.removeprefix(here), ours.removeprefix(here)
        found.deviate("redis_network", f"{theirs} (network of {spec.redis.name})", ours)


def _named_connectors_exist(found: Findings, spec: Checklist, inv: Inventory) -> None:
    """Every connector a deployed service names exists (other than the checklist's, judged above)."""
    if not inv.services.ok:
        cause = section_cause(inv.services, inv.services.status)
        if inv.services.status != "disabled":
            found.cannot_confirm(f"connectors named by services (services {inv.services.status}: {cause})")
        return
    for service in inv.services.items:
        named = service.vpc_connector
        if named and named != spec.vpc_connector.name and inv.connector(named) is None:
            found.deviate(f"{REPOINT}{service.name}", "an existing connector", f"{named} (absent)")
