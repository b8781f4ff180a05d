"""Phase 1 §1.3 Create VPC Connector: the checklist's connector, and every connector a service names."""

from __future__ import annotations

from mobius_gate.fixes import Step, create_connector, repair_connector
from mobius_gate.inventory import Inventory, VpcConnector
from mobius_gate.requirements import check
from mobius_gate.rules.common import Findings, section_cause
from mobius_gate.rules.infra import VPCACCESS_API, absent_reason, upper, with_enable
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
            found.compare("ip_cidr_range", want.ip_cidr_range, connector.ip_cidr_range)
            _same_network_as_redis(found, spec, inv, connector.network)
        found.compare("min_instances", want.min_instances, connector.min_instances)
        found.compare("max_instances", want.max_instances, connector.max_instances)
        _named_connectors_exist(found, spec, inv)
    own = [label for label in found.labels if not label.startswith(REPOINT)]
    if own and not primary:  # only its state is judged; repair_connector knows the checklist's connector only
        describe = Step("vpcaccess.describe", name, inv.project, inv.region)
        fix = judge.fix((describe,), "wait for READY; recreate if it stays in another state")
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


def _same_network_as_redis(found: Findings, spec: Checklist, inv: Inventory, network: str | None) -> None:
    """The connector must reach Redis: same network as the instance's authorized network."""
    if not inv.redis_instances.judgeable:
        cause = section_cause(inv.redis_instances, inv.redis_instances.status)
        found.cannot_confirm(f"the Redis network (redis_instances {inv.redis_instances.status}: {cause})")
        return
    instance = inv.redis_instance(spec.redis.name)
    if instance is None or network is None:
        return  # §1.2 fails the missing instance; the connector is judged against the checklist
    if instance.authorized_network is None:
        found.cannot_confirm(f"the authorized network of {spec.redis.name} (field absent)")
    elif instance.authorized_network != network:
        found.deviate("redis_network", f"{instance.authorized_network} (network of {spec.redis.name})", network)


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
